# Rules about each call of the intent against the template's allow-list. The intent
# lists every call flattened, containers (a multicall, an account's batch) followed by
# their inner calls. Containers are transparent: their inner calls are what is checked
# against selectors and value caps. A multicall container is still a call into its target,
# whose code runs even with no inner call at all, so its target must be listed; only the
# account's own batch (a container addressed to the sender) needs no listing.
#
# A call with a null selector (empty data: a plain value transfer) is allowed only
# when the template lists the function receive() for its target; that entry's
# maxValueWei, if any, caps the value.
#
# Token caps apply to decoded ERC-20 transfer, transferFrom and approve calls on a
# token the template lists in tokenCaps. A transfer or approve on a token without a
# cap entry, or of a kind the entry does not cap, is governed by the allow-list alone.
package intentgate

import data.intentgate.decimal

checked_calls contains call if {
	some call in input.intent.calls
	call.role == "call"
}

targeted_calls contains call if some call in checked_calls

targeted_calls contains call if {
	some call in input.intent.calls
	call.role == "container"
	lower(call.to) != lower(input.intent.sender)
}

# The template's entry for a target, as a one-item array when it lists the target once;
# input.rego reports a target listed twice.
allowed_entries(target) := [entry |
	some entry in input.template.intent.calls
	lower(entry.to) == lower(target)
]

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
	is_address(call.to)
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
token_cap_fields := {
	"erc20": {"transfer": "maxTransferAmount", "approve": "maxApproveAmount"},
	"erc20-or-erc721": {"transferFrom": "maxTransferAmount"},
}

token_cap_entries(token) := [cap |
	some cap in input.template.intent.tokenCaps
	lower(cap.token) == lower(token)
]

deny contains {"code": "TOKEN_AMOUNT_OVER_CAP", "message": message} if {
	some call in input.intent.calls
	field := token_cap_fields[call.decoded.standard][call.decoded.function]
	[cap] := token_cap_entries(call.to)
	cap_amount := cap[field]
	amount := call.decoded.args.amount
	decimal.greater_than(amount, cap_amount)
	message := concat("", [
		call_label(call), ": ", call.decoded.function, " of ", amount,
		" is above the template's ", field, " of ", cap_amount,
	])
}
