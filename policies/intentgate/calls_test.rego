package intentgate_test

import data.intentgate

multicall := object.union(vote_call, {"role": "container", "selector": "0xac9650d8", "dataLength": 292})

inner(call, path) := object.union(call, {"path": path, "depth": 1})

label(call) := concat("", ["call ", call.path, " to ", call.to])

# Containers

test_container_is_transparent_and_its_inner_calls_are_checked if {
	account := object.union(multicall, {"to": sender, "selector": "0xb61d27f6"})
	count(intentgate.deny) == 0 with input as with_calls([account, inner(vote_call, "0.0"), inner(tip_call, "0.1")])
}

test_forbidden_call_nested_in_a_multicall_is_denied if {
	forbidden := inner(object.union(vote_call, {"selector": "0xdeadbeef"}), "0.1")
	intentgate.deny == {{
		"code": "SELECTOR_NOT_ALLOWED",
		"message": concat("", [label(forbidden), ": the template does not list selector 0xdeadbeef for this target"]),
	}} with input as with_calls([multicall, inner(vote_call, "0.0"), forbidden])
}

test_multicall_on_an_unlisted_target_is_denied_even_when_empty if {
	empty := object.union(multicall, {"to": mallory})
	intentgate.deny == {{
		"code": "TARGET_NOT_ALLOWED",
		"message": concat("", [label(empty), ": the template does not list this target"]),
	}} with input as with_calls([empty])
}

test_account_batch_needs_no_listing_for_the_account if {
	account := object.union(multicall, {"to": lower(sender), "selector": "0x34fcd5be"})
	count(intentgate.deny) == 0 with input as with_calls([account, inner(vote_call, "0.0")])
}

# CONTAINER_WITH_VALUE

test_container_without_value_is_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([multicall, inner(vote_call, "0.0")])
}

test_container_with_value_is_denied if {
	paying := object.union(multicall, {"value": "1"})
	intentgate.deny == {{
		"code": "CONTAINER_WITH_VALUE",
		"message": concat("", [label(paying), " is a container that sends value 1"]),
	}} with input as with_calls([paying, inner(vote_call, "0.0")])
}

# CALL_OPAQUE

test_call_that_was_decoded_is_not_opaque if {
	count(intentgate.deny) == 0 with input as with_calls([transfer_call("1")])
}

test_opaque_call_is_denied if {
	opaque := object.union(vote_call, {"opaque": {"reason": "multicall nested deeper than 4"}})
	intentgate.deny == {{
		"code": "CALL_OPAQUE",
		"message": concat("", [label(opaque), " could not be decoded: multicall nested deeper than 4"]),
	}} with input as with_calls([opaque])
}

# TARGET_NOT_ALLOWED

test_listed_target_matches_whatever_its_casing if {
	count(intentgate.deny) == 0 with input as with_calls([object.union(vote_call, {"to": lower(vote)})])
}

test_unlisted_target_is_denied if {
	call := object.union(vote_call, {"to": mallory})
	intentgate.deny == {{
		"code": "TARGET_NOT_ALLOWED",
		"message": concat("", [label(call), ": the template does not list this target"]),
	}} with input as with_calls([call])
}

# SELECTOR_NOT_ALLOWED

test_listed_selector_matches_whatever_its_casing if {
	count(intentgate.deny) == 0 with input as with_calls([object.union(tip_call, {"selector": "0x2755CD2D"})])
}

test_unlisted_selector_is_denied if {
	call := object.union(vote_call, {"selector": "0x2755cd2d"})
	intentgate.deny == {{
		"code": "SELECTOR_NOT_ALLOWED",
		"message": concat("", [label(call), ": the template does not list selector 0x2755cd2d for this target"]),
	}} with input as with_calls([call])
}

test_plain_transfer_to_a_target_listing_receive_is_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([object.union(tip_call, {"selector": null})])
}

test_plain_transfer_to_a_target_without_receive_is_denied if {
	call := object.union(vote_call, {"selector": null})
	intentgate.deny == {{
		"code": "SELECTOR_NOT_ALLOWED",
		"message": concat("", [label(call), ": a call with empty data needs receive() listed for this target"]),
	}} with input as with_calls([call])
}

# VALUE_OVER_CAP

test_value_up_to_the_function_cap_is_allowed if {
	# tip() raises the target's 0.5 ether cap to 1 ether.
	count(intentgate.deny) == 0 with input as with_calls([object.union(tip_call, {"value": "1000000000000000000"})])
}

test_value_over_the_function_cap_is_denied if {
	call := object.union(tip_call, {"value": "1000000000000000001"})
	intentgate.deny == {{
		"code": "VALUE_OVER_CAP",
		"message": concat("", [label(call), " sends value 1000000000000000001, above its cap of 1000000000000000000"]),
	}} with input as with_calls([call])
}

test_value_up_to_the_target_cap_is_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([object.union(tip_call, {"selector": null, "value": "500000000000000000"})])
}

test_value_over_the_target_cap_is_denied if {
	call := object.union(tip_call, {"selector": null, "value": "500000000000000001"})
	intentgate.deny == {{
		"code": "VALUE_OVER_CAP",
		"message": concat("", [label(call), " sends value 500000000000000001, above its cap of 500000000000000000"]),
	}} with input as with_calls([call])
}

test_value_to_a_target_capped_at_zero_is_denied if {
	codes(intentgate.deny) == {"VALUE_OVER_CAP"} with input as with_calls([object.union(vote_call, {"value": "1"})])
}

# TX_VALUE_OVER_CAP

test_total_value_up_to_the_transaction_cap_is_allowed if {
	calls := [tip_call, object.union(tip_call, {"path": "2", "value": "1000000000000000000"}), object.union(tip_call, {"path": "3", "value": "400000000000000000"})]
	count(intentgate.deny) == 0 with input as with_calls(calls)
}

test_total_value_over_the_transaction_cap_is_denied if {
	calls := [tip_call, object.union(tip_call, {"path": "2", "value": "1000000000000000000"}), object.union(tip_call, {"path": "3", "value": "400000000000000001"})]
	intentgate.deny == {{
		"code": "TX_VALUE_OVER_CAP",
		"message": "the calls send value 1500000000000000001 together, above the template's cap of 1500000000000000000",
	}} with input as with_calls(calls)
}

test_total_value_is_uncapped_without_a_transaction_cap if {
	calls := [tip_call, object.union(tip_call, {"path": "2", "value": "1000000000000000000"}), object.union(tip_call, {"path": "3", "value": "1000000000000000000"})]
	patched := json.remove(with_calls(calls), ["template/intent/maxTxValueWei"])
	count(intentgate.deny) == 0 with input as patched
}

# TOKEN_AMOUNT_OVER_CAP

test_token_amounts_up_to_their_caps_are_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([transfer_call("1000"), approve_call("500"), transfer_from_call("1000")])
}

test_transfer_over_the_cap_is_denied if {
	call := transfer_call("1001")
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": concat("", [label(call), ": transfer of 1001 is above the template's maxTransferAmount of 1000"]),
	}} with input as with_calls([call])
}

test_transfer_from_over_the_cap_is_denied if {
	call := transfer_from_call("1001")
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": concat("", [label(call), ": transferFrom of 1001 is above the template's maxTransferAmount of 1000"]),
	}} with input as with_calls([call])
}

test_approve_over_the_cap_is_denied if {
	call := approve_call("115792089237316195423570985008687907853269984665640564039457584007913129639935")
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": concat("", [label(call), ": approve of 115792089237316195423570985008687907853269984665640564039457584007913129639935 is above the template's maxApproveAmount of 500"]),
	}} with input as with_calls([call])
}

test_token_without_a_cap_entry_is_governed_by_the_allow_list_alone if {
	count(intentgate.deny) == 0 with input as object.union(with_calls([transfer_call("1000000")]), {"template": {"intent": {"tokenCaps": []}}})
}

test_cap_entry_without_the_field_leaves_that_function_uncapped if {
	caps := [{"token": token, "maxApproveAmount": "500"}]
	count(intentgate.deny) == 0 with input as object.union(with_calls([transfer_call("1000000")]), {"template": {"intent": {"tokenCaps": caps}}})
}
