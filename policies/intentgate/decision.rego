# METADATA
# title: intentgate decision
# description: |
#   Checks one normalized intent against the intent declared by its signed template.
#   Input: {intent, template, instance, now}, built by src/policy/buildPolicyInput.ts,
#   where now is unix seconds chosen by the gateway, so a replay of the same input
#   always reaches the same decision.
#   Data: data.intentgate.config, the operator's settings (policies/intentgate/data.json).
#   Output: {allow, reasons, limits}, plus approvals {required, reason} when the request
#   is held for operator approval (approvals.rego). allow is true only when no rule adds
#   a reason to deny and no approval threshold is passed, which makes deny the default
#   for anything the rules do not vouch for.
package intentgate

import data.intentgate.decimal

# METADATA
# title: decision
# description: The only entrypoint. Defined for every input, including none at all.
decision := object.union(verdict, held_part)

verdict := {
	"allow": (count(deny) + count(held_reasons)) == 0,
	"reasons": sort(deny | held_reasons),
	"limits": limits,
}

# The approvals key is there only for a held request, so a plain decision keeps its shape.
default held_part := {}

held_part := {"approvals": approval_request} if held

# Every rule that can refuse an intent adds one {code, message} to deny; the rules live
# in the other files of this package, one concern each. sort(deny) in decision orders
# reasons by code then message, so the same input always yields the same reasons in the
# same order, whatever order the rules were evaluated in.

# The counters an allowed request must fit under, one per template limit, in the
# template's order. A denied request reserves nothing; a held one reserves them while it
# waits, so approving it can never pass a limit.
default limits := []

limits := [limit_request(limit) | some limit in input.template.intent.limits] if count(deny) == 0

limit_request(limit) := {
	"id": limit.id,
	"scope": limit.scope,
	"keyParts": limit_key_parts[limit.scope],
	"metric": limit.metric,
	"amount": limit_amounts[limit.metric],
	"max": limit.max,
	"windowSeconds": limit.windowSeconds,
	"windowKind": limit.windowKind,
}

# What identifies a counter below its limit id. Senders are lower-cased so the key does
# not depend on how an address was checksummed. The template scope counts by template
# id, not digest, so publishing a new version of a template does not reset its counters.
limit_key_parts := {
	"sender": [input.instance.id, lower(input.intent.sender)],
	"instance": [input.instance.id],
	"template": [input.template.id],
	"global": [],
}

# What one request adds to a counter of each metric. gasWei reserves the most the
# gateway may pay; the relay refunds the difference once the real cost is known.
limit_amounts := {
	"count": "1",
	"valueWei": total_value_wei,
	"gasWei": input.intent.gas.maxCostWei,
}

# Native value of the whole request: every call, containers included, so nothing a
# container forwards escapes the sum.
total_value_wei := decimal.sum_of([call.value | some call in input.intent.calls])

# Helpers shared by the rule files.

# 0x and 40 hex digits of either case.
is_address(value) if hex_of_length(value, "0x", 40, hex_chars)

# is_address, where the value is most likely one the input names in its usual places (the
# sender, each call's target, each listed target and token): those are checked once per
# evaluation, and each later check is a lookup. Wasm does not remember a function's results,
# and the same few addresses were checked again by every rule that reads them.
input_address(value) if {
	value in well_formed_input_addresses
} else if {
	is_address(value)
}

well_formed_input_addresses contains value if {
	some value in named_input_addresses
	is_address(value)
}

named_input_addresses contains input.intent.sender

named_input_addresses contains call.to if some call in input.intent.calls

named_input_addresses contains entry.to if some entry in input.template.intent.calls

named_input_addresses contains cap.token if some cap in input.template.intent.tokenCaps

# `prefix` then exactly `length` characters from `chars`. String builtins rather than
# regex.match, which opa-wasm compiles again on every evaluation (see decimal.is_canonical).
hex_of_length(value, prefix, length, chars) if {
	is_string(value)
	startswith(value, prefix)
	digits := trim_prefix(value, prefix)
	count(digits) == length
	trim_left(digits, chars) == ""
}

hex_chars := "0123456789abcdefABCDEF"

positive_integer(value) if {
	is_number(value)
	value > 0
	floor(value) == value
}

non_negative_integer(value) if {
	is_number(value)
	value >= 0
	floor(value) == value
}

non_empty_string(value) if {
	is_string(value)
	value != ""
}

# Names a call in a reason: its path in the request and its target.
call_label(call) := concat("", ["call ", call.path, " to ", call.to])
