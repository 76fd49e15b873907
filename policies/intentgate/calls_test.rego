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
	}} with input as with_multicall_calls([multicall, inner(vote_call, "0.0"), forbidden])
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

test_multicall_listed_for_its_target_is_allowed_even_when_empty if {
	count(intentgate.deny) == 0 with input as with_multicall_calls([multicall])
}

test_multicall_selector_matches_whatever_its_casing if {
	upper_case := object.union(multicall, {"selector": "0xAC9650D8"})
	count(intentgate.deny) == 0 with input as with_multicall_calls([upper_case, inner(vote_call, "0.0")])
}

test_multicall_not_listed_for_its_target_is_denied if {
	# The token target lists transfer, approve and transferFrom, but not multicall.
	container := object.union(multicall, {"to": token})
	intentgate.deny == {{
		"code": "SELECTOR_NOT_ALLOWED",
		"message": concat("", [label(container), ": multicall must be listed for this target; the template does not list the container's selector 0xac9650d8"]),
	}} with input as with_calls([container, inner(transfer_call("1"), "0.0")])
}

test_multicall_not_listed_is_denied_even_when_empty if {
	container := object.union(multicall, {"to": token})
	codes(intentgate.deny) == {"SELECTOR_NOT_ALLOWED"} with input as with_calls([container])
}

test_container_with_empty_data_is_denied_even_where_receive_is_listed if {
	container := object.union(multicall, {"to": tipjar, "selector": null})
	intentgate.deny == {{
		"code": "SELECTOR_NOT_ALLOWED",
		"message": concat("", [label(container), ": multicall must be listed for this target; the template does not list the container's selector null"]),
	}} with input as with_calls([container, inner(tip_call, "0.0")])
}

test_account_batch_needs_no_listing_of_its_function if {
	account := object.union(multicall, {"to": sender, "selector": "0x34fcd5be"})
	count(intentgate.deny) == 0 with input as with_calls([account, inner(transfer_call("1"), "0.0")])
}

# CONTAINER_WITH_VALUE

test_container_without_value_is_allowed if {
	count(intentgate.deny) == 0 with input as with_multicall_calls([multicall, inner(vote_call, "0.0")])
}

test_container_with_value_is_denied if {
	paying := object.union(multicall, {"value": "1"})
	intentgate.deny == {{
		"code": "CONTAINER_WITH_VALUE",
		"message": concat("", [label(paying), " is a container that sends value 1"]),
	}} with input as with_multicall_calls([paying, inner(vote_call, "0.0")])
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

# A target listed twice (input.rego reports it) has no single entry, so the rules that read
# the entry stay silent rather than pick one of the two.
test_target_listed_twice_is_input_invalid_only if {
	twice := object.union(template_intent.calls[1], {"to": lower(tipjar), "functions": []})
	patched := object.union(with_calls([object.union(tip_call, {"value": "900000000000000000"})]), {"template": {"intent": {"calls": array.concat(template_intent.calls, [twice])}}})
	codes(intentgate.deny) == {"INPUT_INVALID"} with input as patched
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

uint256_max := "115792089237316195423570985008687907853269984665640564039457584007913129639935"

token_message(total, field, cap) := concat("", [
	"token ", token, ": ", {"maxTransferAmount": "transfer and transferFrom", "maxApproveAmount": "approve"}[field],
	" amounts total ", total, " across the request, above the template's ", field, " of ", cap,
])

at(call, path) := object.union(call, {"path": path})

test_token_amounts_up_to_their_caps_are_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([transfer_call("1000"), at(approve_call("500"), "1")])
}

test_transfer_over_the_cap_is_denied if {
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message("1001", "maxTransferAmount", "1000"),
	}} with input as with_calls([transfer_call("1001")])
}

test_transfer_from_over_the_cap_is_denied if {
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message("1001", "maxTransferAmount", "1000"),
	}} with input as with_calls([transfer_from_call("1001")])
}

test_approve_over_the_cap_is_denied if {
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message(uint256_max, "maxApproveAmount", "500"),
	}} with input as with_calls([approve_call(uint256_max)])
}

test_transfers_summing_to_the_cap_are_allowed if {
	calls := [transfer_call("400"), at(transfer_from_call("350"), "1"), at(transfer_call("250"), "2")]
	count(intentgate.deny) == 0 with input as with_calls(calls)
}

test_transfers_each_under_the_cap_but_over_it_together_are_denied if {
	calls := [transfer_call("400"), at(transfer_from_call("350"), "1"), at(transfer_call("251"), "2")]
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message("1001", "maxTransferAmount", "1000"),
	}} with input as with_calls(calls)
}

test_transfers_split_across_a_multicall_are_summed if {
	container := object.union(multicall, {"to": token})
	listed := array.concat(
		[template_intent.calls[0], template_intent.calls[1]],
		[object.union(template_intent.calls[2], {"functions": array.concat(template_intent.calls[2].functions, [{"signature": "multicall(bytes[])", "selector": "0xac9650d8"}])})],
	)
	calls := [container, inner(transfer_call("600"), "0.0"), inner(transfer_call("600"), "0.1")]
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message("1200", "maxTransferAmount", "1000"),
	}} with input as object.union(with_calls(calls), {"template": {"intent": {"calls": listed}}})
}

test_approvals_summing_to_the_cap_are_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([approve_call("250"), at(approve_call("250"), "1")])
}

test_approvals_each_under_the_cap_but_over_it_together_are_denied if {
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message("501", "maxApproveAmount", "500"),
	}} with input as with_calls([approve_call("250"), at(approve_call("251"), "1")])
}

test_transfers_and_approvals_are_summed_apart if {
	# 1000 transferred and 500 approved: each at its own cap, not 1500 against either.
	calls := [transfer_call("600"), at(approve_call("500"), "1"), at(transfer_from_call("400"), "2")]
	count(intentgate.deny) == 0 with input as with_calls(calls)
}

test_calls_to_a_token_are_summed_whatever_its_casing if {
	calls := [transfer_call("600"), at(object.union(transfer_call("401"), {"to": lower(token)}), "1")]
	codes(intentgate.deny) == {"TOKEN_AMOUNT_OVER_CAP"} with input as with_calls(calls)
}

test_amounts_of_different_tokens_are_summed_apart if {
	other := mallory
	listed := array.concat(template_intent.calls, [object.union(template_intent.calls[2], {"to": other})])
	caps := [template_intent.tokenCaps[0], {"token": other, "maxTransferAmount": "1000"}]
	calls := [transfer_call("1000"), at(object.union(transfer_call("1000"), {"to": other}), "1")]
	count(intentgate.deny) == 0 with input as object.union(with_calls(calls), {"template": {"intent": {"calls": listed, "tokenCaps": caps}}})
}

test_sum_beyond_uint256_is_still_over_the_cap if {
	# Ten unlimited approvals sum to 79 digits, longer than any uint256 cap.
	caps := [{"token": token, "maxApproveAmount": uint256_max}]
	calls := [at(approve_call(uint256_max), format_int(i, 10)) | some i in numbers.range(0, 9)]
	total := "1157920892373161954235709850086879078532699846656405640394575840079131296399350"
	intentgate.deny == {{
		"code": "TOKEN_AMOUNT_OVER_CAP",
		"message": token_message(total, "maxApproveAmount", uint256_max),
	}} with input as object.union(with_calls(calls), {"template": {"intent": {"tokenCaps": caps}}})
}

test_erc20_transfer_from_counts_against_the_transfer_cap if {
	# The normalizer decodes transferFrom as erc20-or-erc721; an erc20 one is capped too.
	call := object.union(transfer_from_call("1001"), {"decoded": {"standard": "erc20"}})
	"TOKEN_AMOUNT_OVER_CAP" in codes(intentgate.deny) with input as with_calls([call])
}

test_token_without_a_cap_entry_is_governed_by_the_allow_list_alone if {
	count(intentgate.deny) == 0 with input as object.union(with_calls([transfer_call("1000000")]), {"template": {"intent": {"tokenCaps": []}}})
}

test_cap_entry_without_the_field_leaves_that_function_uncapped if {
	caps := [{"token": token, "maxApproveAmount": "500"}]
	count(intentgate.deny) == 0 with input as object.union(with_calls([transfer_call("1000000"), at(transfer_call("1000000"), "1")]), {"template": {"intent": {"tokenCaps": caps}}})
}
