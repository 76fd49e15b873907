# Rules about each call of the intent against the template's allow-list. The intent
# lists every call flattened, containers (a multicall, an account's batch) followed by
# their inner calls. Containers are transparent: their inner calls are what is checked
# against selectors and value caps. A multicall container is still a call into its target,
# whose code runs even with no inner call at all, so it must be allowed explicitly: its
# target must be listed, and so must its own function (multicall(bytes[]), 0xac9650d8, or
# whichever selector the container calls) for that target. Only the account's own batch
# (a container addressed to the sender) needs no listing.
#
# A call with a null selector (empty data: a plain value transfer) is allowed only
# when the template lists the function receive() for its target; that entry's
# maxValueWei, if any, caps the value.
#
# Token caps apply to decoded ERC-20 transfer, transferFrom and approve calls on a
# token the template lists in tokenCaps, summed per token over every call of the
# request, so splitting an amount across calls or multicall items gains nothing. A
# transfer or approve on a token without a cap entry, or of a kind the entry does not
# cap, is governed by the allow-list alone.
package intentgate

import data.intentgate.decimal

checked_calls contains call if {
	some call in input.intent.calls
	call.role == "call"
}

# Containers that call into a target of their own: every container but the account's
# own batch.
multicall_containers contains call if {
	some call in input.intent.calls
	call.role == "container"
	lower(call.to) != lower(input.intent.sender)
}

targeted_calls contains call if some call in checked_calls

targeted_calls contains call if some call in multicall_containers

# The template's entry for a target, as a one-item array when it lists the target once;
# input.rego reports a target listed twice. Looked up in an index built once per evaluation:
# Wasm does not remember a function's results, and each call was looked up by four rules.
allowed_entries(target) := object.get(allowed_entries_by_target, lower(target), [])

allowed_entries_by_target[target] := [entry |
	some entry in input.template.intent.calls
	lower(entry.to) == target
] if {
	some listed in input.template.intent.calls
	target := lower(listed.to)
}

allowed_functions(entry, selector) := [allowed |
	some allowed in entry.functions
	function_matches(allowed, selector)
]

function_matches(allowed, selector) if {
	is_string(selector)
	lower(allowed.selector) == lower(selector)
}

function_matches(allowed, null) if allowed.signature == "receive()"

# CALL_OPAQUE: a call the normalizer could not decode safely may do anything.
deny contains {"code": "CALL_OPAQUE", "message": message} if {
	some call in input.intent.calls
	is_string(call.opaque.reason)
	message := concat("", [call_label(call), " could not be decoded: ", call.opaque.reason])
}

# CONTAINER_WITH_VALUE: value sent to a container is not sent by any call the policy
# checks, and a multicall that reuses msg.value in each inner call spends it many times.
deny contains {"code": "CONTAINER_WITH_VALUE", "message": message} if {
	some call in input.intent.calls
	call.role == "container"
	decimal.greater_than(call.value, "0")
	message := concat("", [call_label(call), " is a container that sends value ", call.value])
}

# TARGET_NOT_ALLOWED
deny contains {"code": "TARGET_NOT_ALLOWED", "message": message} if {
	some call in targeted_calls
	input_address(call.to)
	count(allowed_entries(call.to)) == 0
	message := concat("", [call_label(call), ": the template does not list this target"])
}

# SELECTOR_NOT_ALLOWED
deny contains {"code": "SELECTOR_NOT_ALLOWED", "message": message} if {
	some call in checked_calls
	[entry] := allowed_entries(call.to)
	is_string(call.selector)
	count(allowed_functions(entry, call.selector)) == 0
	message := concat("", [call_label(call), ": the template does not list selector ", call.selector, " for this target"])
}

deny contains {"code": "SELECTOR_NOT_ALLOWED", "message": message} if {
	some call in checked_calls
	[entry] := allowed_entries(call.to)
	call.selector == null
	count(allowed_functions(entry, null)) == 0
	message := concat("", [call_label(call), ": a call with empty data needs receive() listed for this target"])
}

# A multicall container runs its target's multicall function, so the template must list
# that function for the target like any other; listing the target alone is not enough.
deny contains {"code": "SELECTOR_NOT_ALLOWED", "message": message} if {
	some call in multicall_containers
	[entry] := allowed_entries(call.to)
	not container_function_listed(entry, call.selector)
	message := concat("", [
		call_label(call), ": multicall must be listed for this target; the template does not list the container's selector ",
		selector_text(call.selector),
	])
}

# A container always calls a function; receive() never stands in for one.
container_function_listed(entry, selector) if {
	is_string(selector)
	count(allowed_functions(entry, selector)) > 0
}

selector_text(selector) := selector if is_string(selector)

selector_text(null) := "null"

# VALUE_OVER_CAP: the function's own maxValueWei, else the target's.
deny contains {"code": "VALUE_OVER_CAP", "message": message} if {
	some call in checked_calls
	[entry] := allowed_entries(call.to)
	[allowed] := allowed_functions(entry, call.selector)
	cap := object.get(allowed, "maxValueWei", entry.maxValueWei)
	decimal.greater_than(call.value, cap)
	message := concat("", [call_label(call), " sends value ", call.value, ", above its cap of ", cap])
}

# TX_VALUE_OVER_CAP: the value of all calls together, when the template caps it.
deny contains {"code": "TX_VALUE_OVER_CAP", "message": message} if {
	cap := input.template.intent.maxTxValueWei
	decimal.greater_than(total_value_wei, cap)
	message := concat("", ["the calls send value ", total_value_wei, " together, above the template's cap of ", cap])
}

# TOKEN_AMOUNT_OVER_CAP: which cap field bounds the amount of each decoded function.
# The normalizer writes transferFrom as erc20-or-erc721 (the selector is shared); an
# erc20 transferFrom is counted as well should one ever be decoded as such.
token_cap_fields := {
	"erc20": {"transfer": "maxTransferAmount", "transferFrom": "maxTransferAmount", "approve": "maxApproveAmount"},
	"erc20-or-erc721": {"transferFrom": "maxTransferAmount"},
}

# What each cap field bounds, for messages.
token_cap_functions := {
	"maxTransferAmount": "transfer and transferFrom",
	"maxApproveAmount": "approve",
}

# The decoded amounts of every call of the request to token that field caps.
token_amounts(token, field) := [call.decoded.args.amount |
	some call in input.intent.calls
	lower(call.to) == lower(token)
	token_cap_fields[call.decoded.standard][call.decoded.function] == field
]

# Each cap bounds the sum over the whole request, summed exactly (decimal.sum_of), so
# many calls each under the cap cannot add up to more than it.
deny contains {"code": "TOKEN_AMOUNT_OVER_CAP", "message": message} if {
	some cap in input.template.intent.tokenCaps
	some field, functions in token_cap_functions
	cap_amount := cap[field]
	total := decimal.sum_of(token_amounts(cap.token, field))
	decimal.greater_than(total, cap_amount)
	message := concat("", [
		"token ", cap.token, ": ", functions, " amounts total ", total,
		" across the request, above the template's ", field, " of ", cap_amount,
	])
}
