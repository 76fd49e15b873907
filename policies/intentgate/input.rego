# INPUT_INVALID for every part of the input another rule reads. The other rules stay
# silent on parts they cannot read, so this file is what keeps a malformed input from
# slipping past them: each field a rule uses has a check here.
package intentgate

import data.intentgate.decimal

deny contains {"code": "INPUT_INVALID", "message": problem} if {
	some problem in input_problems
}

# A problem is reported at the outermost missing part only, so a missing intent reads
# as one reason rather than one per field inside it.
#
# Checks are rules without arguments, or functions of a value known to exist, because
# `not f(input.x)` is false rather than true when input.x is missing.

input_problems contains "input must be an object with intent, template, instance and now" if {
	not input_is_object
}

input_problems contains "input.intent must be an object" if {
	input_is_object
	not intent_is_object
}

input_problems contains "input.template must be an object" if {
	input_is_object
	not template_is_object
}

input_problems contains "input.template.intent must be an object" if {
	template_is_object
	not template_intent_is_object
}

input_problems contains "input.instance.id must be a non-empty string" if {
	input_is_object
	not instance_id_is_valid
}

input_problems contains "input.now must be a non-negative integer (unix seconds)" if {
	input_is_object
	not now_is_valid
}

input_is_object if is_object(input)

intent_is_object if is_object(input.intent)

template_is_object if is_object(input.template)

template_intent_is_object if is_object(input.template.intent)

instance_id_is_valid if non_empty_string(input.instance.id)

now_is_valid if non_negative_integer(input.now)

# Top-level fields of the intent and the template: what each must be, and whether it is.

input_problems contains concat("", [path, " must be ", expected]) if {
	intent_is_object
	some path, expected in intent_fields
	not intent_field_holds[path]
}

input_problems contains concat("", [path, " must be ", expected]) if {
	template_is_object
	some path, expected in template_fields
	not template_field_holds[path]
}

input_problems contains concat("", [path, " must be ", expected]) if {
	template_intent_is_object
	some path, expected in template_intent_fields
	not template_intent_field_holds[path]
}

intent_fields := {
	"input.intent.kind": `"meta-tx" or "user-op"`,
	"input.intent.chainId": "a positive integer",
	"input.intent.sender": "an address",
	"input.intent.calls": "an array",
	"input.intent.gas": "an object with decimal limit, maxFeePerGas and maxCostWei",
	"input.intent.validUntil": "a non-negative integer (unix seconds)",
}

intent_field_holds["input.intent.kind"] if has_key(required_capability, input.intent.kind)

intent_field_holds["input.intent.chainId"] if intent_chain_id_is_valid

intent_field_holds["input.intent.sender"] if input_address(input.intent.sender)

intent_field_holds["input.intent.calls"] if is_array(input.intent.calls)

intent_field_holds["input.intent.gas"] if {
	decimal.is_decimal(input.intent.gas.limit)
	decimal.is_decimal(input.intent.gas.maxFeePerGas)
	decimal.is_decimal(input.intent.gas.maxCostWei)
}

intent_field_holds["input.intent.validUntil"] if non_negative_integer(input.intent.validUntil)

intent_chain_id_is_valid if positive_integer(input.intent.chainId)

template_fields := {
	"input.template.id": "a non-empty string",
	"input.template.digest": "sha256: and 64 lower-case hex digits",
	"input.template.verificationLevel": "an integer from 0 to 3",
	"input.template.capabilities": "an array of strings",
}

template_field_holds["input.template.id"] if non_empty_string(input.template.id)

template_field_holds["input.template.digest"] if hex_of_length(input.template.digest, "sha256:", 64, "0123456789abcdef")

template_field_holds["input.template.verificationLevel"] if input.template.verificationLevel in verification_levels

template_field_holds["input.template.capabilities"] if {
	is_array(input.template.capabilities)
	every capability in input.template.capabilities {
		is_string(capability)
	}
}

template_intent_fields := {
	"input.template.intent.chains": "an array of positive integers",
	"input.template.intent.calls": "an array",
	"input.template.intent.tokenCaps": "an array",
	"input.template.intent.limits": "an array",
	"input.template.intent.maxTxValueWei": "a decimal when present",
	"input.template.intent.gas": "an object with decimal maxGasLimit, maxFeePerGasWei and maxCostWei",
	"input.template.intent.approvals": "absent, or an object with required from 1 to 10, a decimal valueAboveWei when present and an array tokenAmountsAbove when present",
}

template_intent_field_holds["input.template.intent.chains"] if template_chains_are_valid

template_intent_field_holds["input.template.intent.calls"] if is_array(input.template.intent.calls)

template_intent_field_holds["input.template.intent.tokenCaps"] if is_array(input.template.intent.tokenCaps)

template_intent_field_holds["input.template.intent.limits"] if is_array(input.template.intent.limits)

template_intent_field_holds["input.template.intent.maxTxValueWei"] if {
	not has_key(input.template.intent, "maxTxValueWei")
}

template_intent_field_holds["input.template.intent.maxTxValueWei"] if {
	decimal.is_decimal(input.template.intent.maxTxValueWei)
}

template_intent_field_holds["input.template.intent.gas"] if {
	decimal.is_decimal(input.template.intent.gas.maxGasLimit)
	decimal.is_decimal(input.template.intent.gas.maxFeePerGasWei)
	decimal.is_decimal(input.template.intent.gas.maxCostWei)
}

template_intent_field_holds["input.template.intent.approvals"] if {
	not has_key(input.template.intent, "approvals")
}

template_intent_field_holds["input.template.intent.approvals"] if approvals_are_valid

# What decision.rego reads of the section: how many approvals, and which thresholds.
approvals_are_valid if {
	section := input.template.intent.approvals
	is_object(section)
	section.required in numbers.range(1, 10)
	check_holds("optional_decimal", section, "valueAboveWei")
	optional_array(section, "tokenAmountsAbove")
}

optional_array(item, field) if not has_key(item, field)

optional_array(item, field) if is_array(item[field])

template_chains_are_valid if {
	is_array(input.template.intent.chains)
	every chain_id in input.template.intent.chains {
		positive_integer(chain_id)
	}
}

# Items of the arrays, each named by its index. Every check is its own rule, so one
# that cannot be evaluated never hides another, and each reads only an item known to be
# an object, so a missing field fails the check instead of leaving it undefined.

input_problems contains problem if {
	some i, call in input.intent.calls
	some problem in item_problems(["input.intent.calls", i], call, call_checks)
}

input_problems contains problem if {
	some i, allowed in input.template.intent.calls
	some problem in item_problems(["input.template.intent.calls", i], allowed, allowed_call_checks)
}

input_problems contains problem if {
	some i, allowed in input.template.intent.calls
	some f, allowed_function in allowed.functions
	location := ["input.template.intent.calls", i, ".functions", f]
	some problem in item_problems(location, allowed_function, allowed_function_checks)
}

input_problems contains problem if {
	some i, cap in input.template.intent.tokenCaps
	some problem in item_problems(["input.template.intent.tokenCaps", i], cap, token_cap_checks)
}

input_problems contains problem if {
	some i, threshold in input.template.intent.approvals.tokenAmountsAbove
	location := ["input.template.intent.approvals.tokenAmountsAbove", i]
	some problem in item_problems(location, threshold, approval_threshold_checks)
}

input_problems contains problem if {
	some i, limit in input.template.intent.limits
	some problem in item_problems(["input.template.intent.limits", i], limit, limit_checks)
}

# A decoded call must be one this policy knows how to read, or its caps could not apply.
input_problems contains concat("", [indexed("input.intent.calls", i), ".decoded must name a known standard and function, with args"]) if {
	some i, call in input.intent.calls
	is_object(call)
	has_key(call, "decoded")
	not decoded_shape(call.decoded)
}

input_problems contains problem if {
	some i, call in input.intent.calls
	is_object(call)
	shape := decoded_shape(call.decoded)
	some problem in item_problems(["input.intent.calls", i, ".decoded.args"], call.decoded.args, shape)
}

input_problems contains concat("", [indexed("input.intent.calls", i), ".opaque must be an object with a string reason"]) if {
	some i, call in input.intent.calls
	is_object(call)
	has_key(call, "opaque")
	not opaque_is_valid(call.opaque)
}

# The rules look allowed calls and token caps up by address, so each address may appear
# once; lower-case, since an address is the same whatever its checksum casing.
input_problems contains concat("", ["input.template.intent.calls lists ", lower(first.to), " more than once"]) if {
	some i, first in input.template.intent.calls
	some j, second in input.template.intent.calls
	i < j
	lower(first.to) == lower(second.to)
}

input_problems contains concat("", [indexed("input.template.intent.calls", i), ".functions lists ", lower(first.selector), " more than once"]) if {
	some i, allowed in input.template.intent.calls
	some f, first in allowed.functions
	some g, second in allowed.functions
	f < g
	lower(first.selector) == lower(second.selector)
}

input_problems contains concat("", ["input.template.intent.tokenCaps lists ", lower(first.token), " more than once"]) if {
	some i, first in input.template.intent.tokenCaps
	some j, second in input.template.intent.tokenCaps
	i < j
	lower(first.token) == lower(second.token)
}

opaque_is_valid(opaque) if is_string(opaque.reason)

# Whether an object has a key, whatever its value (null and false included). It is undefined
# for anything but an object, as object.keys is; object.keys would also build the set of every
# key for each check, which Wasm pays for on each call.
has_key(item, key) if {
	is_object(item)
	_ = item[key]
}

decoded_shape(decoded) := decoded_arguments[decoded.standard][decoded.function] if is_object(decoded.args)

# The args of each decoded call, as the normalizers write them (src/intents/intent.ts).
decoded_arguments := {
	"erc20": {
		"transfer": {"to": "address", "amount": "decimal"},
		"approve": {"spender": "address", "amount": "decimal"},
	},
	"erc20-or-erc721": {"transferFrom": {"from": "address", "to": "address", "amount": "decimal"}},
	"erc721": {"safeTransferFrom": {"from": "address", "to": "address", "tokenId": "decimal"}},
	"erc721-or-erc1155": {"setApprovalForAll": {"operator": "address", "approved": "boolean"}},
	"erc1155": {
		"safeTransferFrom": {"from": "address", "to": "address", "id": "decimal", "amount": "decimal"},
		"safeBatchTransferFrom": {"from": "address", "to": "address", "ids": "decimals", "amounts": "decimals"},
	},
}

indexed(path, index) := concat("", [path, index_suffix(index)])

index_suffix(index) := concat("", ["[", format_int(index, 10), "]"])

# Where an item is: [array, index], [array, index, suffix] or [array, index, inner array,
# inner index]. The path is only written out for a problem; building it for every item cost
# more than checking most items. Like indexed, it is undefined for an index that is not a
# number (an object's key, when an array was expected), which leaves such an item unchecked
# here: the check of the field that should be an array reports it.
path_text([path, index]) := indexed(path, index)

path_text([path, index, suffix]) := concat("", [indexed(path, index), suffix])

path_text([path, index, inner, inner_index]) := concat("", [indexed(path, index), inner, index_suffix(inner_index)])

item_problems(location, item, _) := {concat("", [path_text(location), " must be an object"])} if not is_object(item)

item_problems(location, item, checks) := {problem |
	some field, check in checks
	not check_holds(check, item, field)
	problem := concat("", [path_text(location), ".", field, " must be ", check_descriptions[check]])
} if is_object(item)

call_checks := {
	"path": "string",
	"role": "role",
	"to": "address",
	"value": "decimal",
	"selector": "selector_or_null",
}

allowed_call_checks := {"to": "address", "maxValueWei": "decimal", "functions": "array"}

allowed_function_checks := {"signature": "string", "selector": "selector", "maxValueWei": "optional_decimal"}

approval_threshold_checks := {"token": "address", "amount": "decimal"}

token_cap_checks := {"token": "address", "maxTransferAmount": "optional_decimal", "maxApproveAmount": "optional_decimal"}

limit_checks := {
	"id": "non_empty_string",
	"scope": "scope",
	"metric": "metric",
	"windowKind": "window_kind",
	"windowSeconds": "positive_integer",
	"max": "decimal",
}

check_descriptions := {
	"string": "a string",
	"non_empty_string": "a non-empty string",
	"boolean": "a boolean",
	"address": "an address",
	"decimal": "a decimal string",
	"decimals": "an array of decimal strings",
	"optional_decimal": "a decimal string when present",
	"array": "an array",
	"role": `"call" or "container"`,
	"selector": "0x and 8 hex digits",
	"selector_or_null": "0x and 8 hex digits, or null",
	"scope": `"sender", "instance", "template" or "global"`,
	"metric": `"count", "valueWei" or "gasWei"`,
	"window_kind": `"utc-day" or "rolling"`,
	"positive_integer": "a positive integer",
}

# One chain of else branches rather than one function body per check: Wasm evaluates every
# body of a function on every call, so each check paid for comparing its name with all
# sixteen, while a chain stops at the first branch that holds. The most frequent checks come
# first. A check that fails falls through the rest, whose names do not match, to undefined.
check_holds(check, item, field) if {
	check == "address"
	input_address(item[field])
} else if {
	check == "decimal"
	decimal.is_decimal(item[field])
} else if {
	check == "optional_decimal"
	not has_key(item, field)
} else if {
	check == "optional_decimal"
	decimal.is_decimal(item[field])
} else if {
	check == "string"
	is_string(item[field])
} else if {
	check == "selector"
	is_selector(item[field])
} else if {
	check == "selector_or_null"
	item[field] == null
} else if {
	check == "selector_or_null"
	is_selector(item[field])
} else if {
	check == "non_empty_string"
	non_empty_string(item[field])
} else if {
	check == "role"
	item[field] in {"call", "container"}
} else if {
	check == "array"
	is_array(item[field])
} else if {
	check == "scope"
	item[field] in {"sender", "instance", "template", "global"}
} else if {
	check == "metric"
	item[field] in {"count", "valueWei", "gasWei"}
} else if {
	check == "window_kind"
	item[field] in {"utc-day", "rolling"}
} else if {
	check == "positive_integer"
	positive_integer(item[field])
} else if {
	check == "boolean"
	is_boolean(item[field])
} else if {
	check == "decimals"
	is_array(item[field])
	every value in item[field] {
		decimal.is_decimal(value)
	}
}

is_selector(value) if hex_of_length(value, "0x", 8, hex_chars)
