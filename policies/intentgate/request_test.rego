package intentgate_test

import data.intentgate

# CAPABILITY_MISSING

test_meta_tx_with_relay_capability_is_allowed if {
	count(intentgate.deny) == 0 with input as allowed_input
}

test_user_op_with_sponsor_capability_is_allowed if {
	user_op := object.union(allowed_input, {"intent": {"kind": "user-op"}, "template": {"capabilities": ["sponsor:user-op"]}})
	count(intentgate.deny) == 0 with input as user_op
}

test_meta_tx_without_relay_capability_is_denied if {
	intentgate.deny == {{
		"code": "CAPABILITY_MISSING",
		"message": "a meta-tx request needs the capability relay:meta-tx, which the template does not grant",
	}} with input as object.union(allowed_input, {"template": {"capabilities": ["sponsor:user-op"]}})
}

test_user_op_without_sponsor_capability_is_denied if {
	intentgate.deny == {{
		"code": "CAPABILITY_MISSING",
		"message": "a user-op request needs the capability sponsor:user-op, which the template does not grant",
	}} with input as object.union(allowed_input, {"intent": {"kind": "user-op"}})
}

# EXPIRED

test_request_valid_until_after_now_is_allowed if {
	count(intentgate.deny) == 0 with input as object.union(allowed_input, {"intent": {"validUntil": now + 1}})
}

test_request_valid_until_now_is_expired if {
	intentgate.deny == {{
		"code": "EXPIRED",
		"message": "the request was valid until 1767225600, which is not after now (1767225600)",
	}} with input as object.union(allowed_input, {"intent": {"validUntil": now}})
}

test_request_valid_until_zero_is_expired if {
	codes(intentgate.deny) == {"EXPIRED"} with input as object.union(allowed_input, {"intent": {"validUntil": 0}})
}

# VALIDITY_TOO_LONG

test_validity_up_to_the_configured_bound_is_allowed if {
	count(intentgate.deny) == 0 with input as object.union(allowed_input, {"intent": {"validUntil": now + 86400}})
}

test_validity_beyond_the_configured_bound_is_denied if {
	intentgate.deny == {{
		"code": "VALIDITY_TOO_LONG",
		"message": "the request stays valid for 86401 seconds, more than the 86400 allowed",
	}} with input as object.union(allowed_input, {"intent": {"validUntil": now + 86401}})
}

test_validity_bound_comes_from_data if {
	intentgate.deny == {{
		"code": "VALIDITY_TOO_LONG",
		"message": "the request stays valid for 600 seconds, more than the 300 allowed",
	}} with input as allowed_input with data.intentgate.config.validity.max_seconds as 300
}

# GAS_LIMIT_OVER_CAP, FEE_OVER_CAP, COST_OVER_CAP

test_gas_at_the_caps_is_allowed if {
	gas := {"limit": "500000", "maxFeePerGas": "50000000000", "maxCostWei": "25000000000000000"}
	count(intentgate.deny) == 0 with input as object.union(allowed_input, {"intent": {"gas": gas}})
}

test_gas_limit_over_cap_is_denied if {
	intentgate.deny == {{
		"code": "GAS_LIMIT_OVER_CAP",
		"message": "the gas limit 500001 is above the template's cap of 500000",
	}} with input as object.union(allowed_input, {"intent": {"gas": {"limit": "500001"}}})
}

test_fee_over_cap_is_denied if {
	intentgate.deny == {{
		"code": "FEE_OVER_CAP",
		"message": "the max fee per gas 50000000001 is above the template's cap of 50000000000",
	}} with input as object.union(allowed_input, {"intent": {"gas": {"maxFeePerGas": "50000000001"}}})
}

test_cost_over_cap_is_denied if {
	intentgate.deny == {{
		"code": "COST_OVER_CAP",
		"message": "the max cost in wei 25000000000000001 is above the template's cap of 25000000000000000",
	}} with input as object.union(allowed_input, {"intent": {"gas": {"maxCostWei": "25000000000000001"}}})
}

test_gas_caps_compare_beyond_2_pow_53_exactly if {
	cap := "100000000000000000000000000000"
	intent_gas := {"limit": "1", "maxFeePerGas": "1", "maxCostWei": "100000000000000000000000000001"}
	patched := object.union(with_template_intent({"gas": {"maxCostWei": cap}}), {"intent": {"gas": intent_gas}})
	codes(intentgate.deny) == {"COST_OVER_CAP"} with input as patched
}
