package intentgate_test

import data.intentgate

config := {
	"validity": {"max_seconds": 86400},
	"level_gates": {"min_level": 0, "value_moving_min_level": 2},
	"denylist": {"addresses": []},
}

at_level(level) := object.union(allowed_input, {"template": {"verificationLevel": level}})

# CONFIG_INVALID

test_shipped_config_is_valid if {
	count(intentgate.deny) == 0 with input as allowed_input
	count(intentgate.deny) == 0 with input as allowed_input with data.intentgate.config as config
}

test_missing_config_denies_everything if {
	intentgate.deny == {
		{"code": "CONFIG_INVALID", "message": "data.intentgate.config.denylist.addresses must be an array of addresses"},
		{"code": "CONFIG_INVALID", "message": "data.intentgate.config.level_gates.min_level must be an integer from 0 to 3"},
		{"code": "CONFIG_INVALID", "message": "data.intentgate.config.level_gates.value_moving_min_level must be an integer from 0 to 3"},
		{"code": "CONFIG_INVALID", "message": "data.intentgate.config.validity.max_seconds must be a positive integer"},
	} with input as allowed_input with data.intentgate.config as {}
}

test_each_config_key_is_checked if {
	cases := [
		[{"validity": {"max_seconds": 0}}, "validity.max_seconds must be a positive integer"],
		[{"level_gates": {"min_level": 4}}, "level_gates.min_level must be an integer from 0 to 3"],
		[{"level_gates": {"value_moving_min_level": "2"}}, "level_gates.value_moving_min_level must be an integer from 0 to 3"],
		[{"denylist": {"addresses": ["0xdead"]}}, "denylist.addresses must be an array of addresses"],
	]
	every case in cases {
		[patch, problem] := case
		reasons := intentgate.deny with input as allowed_input with data.intentgate.config as object.union(config, patch)
		reasons == {{"code": "CONFIG_INVALID", "message": concat("", ["data.intentgate.config.", problem])}}
	}
}

# LEVEL_TOO_LOW, for every request

test_template_at_the_minimum_level_is_allowed if {
	count(intentgate.deny) == 0 with input as at_level(2) with data.intentgate.config.level_gates.min_level as 2
}

test_template_below_the_minimum_level_is_denied if {
	intentgate.deny == {{
		"code": "LEVEL_TOO_LOW",
		"message": "the template's verification level 2 is below 3, which every request needs",
	}} with input as at_level(2) with data.intentgate.config.level_gates.min_level as 3
}

# LEVEL_TOO_LOW, for value-moving calls

test_draft_template_may_make_calls_that_move_no_value if {
	count(intentgate.deny) == 0 with input as object.union(at_level(0), {"intent": {"calls": [vote_call]}})
}

test_call_sending_value_needs_the_value_moving_level if {
	intentgate.deny == {{
		"code": "LEVEL_TOO_LOW",
		"message": concat("", ["call 1 to ", tipjar, " moves value, which needs verification level 2; the template has 1"]),
	}} with input as at_level(1)
}

test_decoded_token_call_needs_the_value_moving_level if {
	reasons := intentgate.deny with input as object.union(at_level(1), {"intent": {"calls": [approve_call("1")]}})
	reasons == {{
		"code": "LEVEL_TOO_LOW",
		"message": concat("", ["call 0 to ", token, " moves value, which needs verification level 2; the template has 1"]),
	}}
}

test_value_moving_level_comes_from_data if {
	count(intentgate.deny) == 0 with input as at_level(1) with data.intentgate.config.level_gates.value_moving_min_level as 1
}

# ADDRESS_DENIED

test_addresses_off_the_deny_list_are_allowed if {
	count(intentgate.deny) == 0 with input as with_calls([transfer_from_call("1")]) with data.intentgate.config.denylist.addresses as [mallory]
}

test_denied_sender_is_denied if {
	intentgate.deny == {{
		"code": "ADDRESS_DENIED",
		"message": concat("", ["the sender ", sender, " is on the deny-list"]),
	}} with input as allowed_input with data.intentgate.config.denylist.addresses as [lower(sender)]
}

test_denied_target_is_denied_even_when_it_is_a_container if {
	container := object.union(vote_call, {"role": "container", "selector": "0xac9650d8"})
	calls := [container, object.union(vote_call, {"path": "0.0", "depth": 1})]
	intentgate.deny == {
		{"code": "ADDRESS_DENIED", "message": concat("", ["call 0 to ", vote, ": the target is on the deny-list"])},
		{"code": "ADDRESS_DENIED", "message": concat("", ["call 0.0 to ", vote, ": the target is on the deny-list"])},
	} with input as with_multicall_calls(calls) with data.intentgate.config.denylist.addresses as [vote]
}

test_denied_address_in_decoded_args_is_denied if {
	every case in [[transfer_call("1"), "to"], [approve_call("1"), "spender"], [transfer_from_call("1"), "to"]] {
		[call, name] := case
		reasons := intentgate.deny with input as with_calls([call]) with data.intentgate.config.denylist.addresses as [concat("", ["0x", upper(substring(alice, 2, 40))])]
		reasons == {{
			"code": "ADDRESS_DENIED",
			"message": concat("", ["call 0 to ", token, ": the ", name, " ", alice, " is on the deny-list"]),
		}}
	}
}

test_denied_owner_and_operator_are_denied if {
	operator_call := object.union(vote_call, {"decoded": {"standard": "erc721-or-erc1155", "function": "setApprovalForAll", "args": {"operator": mallory, "approved": true}}})
	reasons := intentgate.deny with input as with_calls([transfer_from_call("1"), operator_call]) with data.intentgate.config.denylist.addresses as [mallory, sender]
	codes(reasons) == {"ADDRESS_DENIED"}
	count(reasons) == 3
}
