package intentgate_test

import data.intentgate

test_allowed_input_has_no_input_problems if {
	count(intentgate.input_problems) == 0 with input as allowed_input
}

test_input_problems_deny_as_input_invalid if {
	intentgate.deny == {{"code": "INPUT_INVALID", "message": "input.instance.id must be a non-empty string"}} with input as object.remove(allowed_input, ["instance"])
}

# The outer parts

test_missing_intent_is_one_problem if {
	intentgate.input_problems == {"input.intent must be an object"} with input as object.remove(allowed_input, ["intent"])
}

test_missing_template_is_one_problem if {
	intentgate.input_problems == {"input.template must be an object"} with input as object.remove(allowed_input, ["template"])
}

test_template_without_intent_is_one_problem if {
	intentgate.input_problems == {"input.template.intent must be an object"} with input as object.union(allowed_input, {"template": {"intent": "any"}})
}

test_instance_id_must_be_a_non_empty_string if {
	every instance in [{"id": ""}, {"id": 7}, {"id": null}] {
		intentgate.input_problems == {"input.instance.id must be a non-empty string"} with input as object.union(allowed_input, {"instance": instance})
	}
}

test_now_must_be_unix_seconds if {
	every now in [-1, 1.5, "2026-01-01T00:00:00Z"] {
		problems := intentgate.input_problems with input as object.union(allowed_input, {"now": now})
		problems == {"input.now must be a non-negative integer (unix seconds)"}
	}
}

test_missing_now_is_a_problem if {
	intentgate.input_problems == {"input.now must be a non-negative integer (unix seconds)"} with input as object.remove(allowed_input, ["now"])
}

# Fields of the intent

test_each_intent_field_is_checked if {
	cases := [
		["kind", "transfer", `input.intent.kind must be "meta-tx" or "user-op"`],
		["chainId", 0, "input.intent.chainId must be a positive integer"],
		["chainId", 1.5, "input.intent.chainId must be a positive integer"],
		["sender", "0x1234", "input.intent.sender must be an address"],
		["calls", {"0": vote_call}, "input.intent.calls must be an array"],
		["gas", {"limit": 200000, "maxFeePerGas": "1", "maxCostWei": "1"}, "input.intent.gas must be an object with decimal limit, maxFeePerGas and maxCostWei"],
		["validUntil", "tomorrow", "input.intent.validUntil must be a non-negative integer (unix seconds)"],
	]
	every case in cases {
		[field, value, problem] := case
		problems := intentgate.input_problems with input as object.union(allowed_input, {"intent": {field: value}})
		problems == {problem}
	}
}

# Fields of the template

test_each_template_field_is_checked if {
	cases := [
		["id", "", "input.template.id must be a non-empty string"],
		["digest", "sha256:ABC", "input.template.digest must be sha256: and 64 lower-case hex digits"],
		["verificationLevel", 4, "input.template.verificationLevel must be an integer from 0 to 3"],
		["capabilities", ["relay:meta-tx", 1], "input.template.capabilities must be an array of strings"],
	]
	every case in cases {
		[field, value, problem] := case
		problems := intentgate.input_problems with input as object.union(allowed_input, {"template": {field: value}})
		problems == {problem}
	}
}

test_each_template_intent_field_is_checked if {
	cases := [
		["chains", [1, "8453"], "input.template.intent.chains must be an array of positive integers"],
		["calls", "all", "input.template.intent.calls must be an array"],
		["tokenCaps", null, "input.template.intent.tokenCaps must be an array"],
		["limits", {}, "input.template.intent.limits must be an array"],
		["maxTxValueWei", "1.5", "input.template.intent.maxTxValueWei must be a decimal when present"],
		["gas", {"maxCostWei": 1}, "input.template.intent.gas must be an object with decimal maxGasLimit, maxFeePerGasWei and maxCostWei"],
	]
	every case in cases {
		[field, value, problem] := case
		problems := intentgate.input_problems with input as with_template_intent({field: value})
		problems == {problem}
	}
}

test_max_tx_value_may_be_absent if {
	patched := json.remove(allowed_input, ["template/intent/maxTxValueWei"])
	not "maxTxValueWei" in object.keys(patched.template.intent)
	count(intentgate.input_problems) == 0 with input as patched
}

# Items of the intent's calls

test_each_call_field_is_checked if {
	cases := [
		["path", 0, "input.intent.calls[1].path must be a string"],
		["role", "delegatecall", `input.intent.calls[1].role must be "call" or "container"`],
		["to", "vote", "input.intent.calls[1].to must be an address"],
		["value", 1, "input.intent.calls[1].value must be a decimal string"],
		["selector", "0x2755cd", "input.intent.calls[1].selector must be 0x and 8 hex digits, or null"],
	]
	every case in cases {
		[field, value, problem] := case
		problems := intentgate.input_problems with input as with_calls([vote_call, object.union(tip_call, {field: value})])
		problems == {problem}
	}
}

test_call_that_is_not_an_object_is_a_problem if {
	intentgate.input_problems == {"input.intent.calls[0] must be an object"} with input as with_calls(["0x"])
}

test_call_missing_a_field_is_a_problem if {
	intentgate.input_problems == {"input.intent.calls[0].value must be a decimal string"} with input as with_calls([object.remove(vote_call, ["value"])])
}

test_null_selector_is_well_formed if {
	count(intentgate.input_problems) == 0 with input as with_calls([object.union(tip_call, {"selector": null})])
}

test_every_decoded_call_of_a_known_shape_is_well_formed if {
	decoded := [
		transfer_call("1").decoded,
		approve_call("1").decoded,
		transfer_from_call("1").decoded,
		{"standard": "erc721", "function": "safeTransferFrom", "args": {"from": sender, "to": alice, "tokenId": "7"}},
		{"standard": "erc721-or-erc1155", "function": "setApprovalForAll", "args": {"operator": alice, "approved": true}},
		{"standard": "erc1155", "function": "safeTransferFrom", "args": {"from": sender, "to": alice, "id": "7", "amount": "2"}},
		{"standard": "erc1155", "function": "safeBatchTransferFrom", "args": {"from": sender, "to": alice, "ids": ["7", "8"], "amounts": ["2", "3"]}},
	]
	every item in decoded {
		count(intentgate.input_problems) == 0 with input as with_calls([object.union(vote_call, {"decoded": item})])
	}
}

test_decoded_call_of_an_unknown_shape_is_a_problem if {
	every item in [
		{"standard": "erc20", "function": "burn", "args": {"amount": "1"}},
		{"standard": "erc4626", "function": "deposit", "args": {}},
		{"standard": "erc20", "function": "transfer"},
		"transfer",
	] {
		problems := intentgate.input_problems with input as with_calls([object.union(vote_call, {"decoded": item})])
		problems == {"input.intent.calls[0].decoded must name a known standard and function, with args"}
	}
}

test_decoded_args_are_checked if {
	cases := [
		[{"standard": "erc20", "function": "transfer", "args": {"to": alice, "amount": 5}}, "input.intent.calls[0].decoded.args.amount must be a decimal string"],
		[{"standard": "erc20", "function": "approve", "args": {"amount": "5"}}, "input.intent.calls[0].decoded.args.spender must be an address"],
		[{"standard": "erc721-or-erc1155", "function": "setApprovalForAll", "args": {"operator": alice, "approved": "yes"}}, "input.intent.calls[0].decoded.args.approved must be a boolean"],
		[{"standard": "erc1155", "function": "safeBatchTransferFrom", "args": {"from": sender, "to": alice, "ids": ["7"], "amounts": [2]}}, "input.intent.calls[0].decoded.args.amounts must be an array of decimal strings"],
	]
	every case in cases {
		[item, problem] := case
		problems := intentgate.input_problems with input as with_calls([object.union(vote_call, {"decoded": item})])
		problems == {problem}
	}
}

test_opaque_must_carry_a_reason if {
	intentgate.input_problems == {"input.intent.calls[0].opaque must be an object with a string reason"} with input as with_calls([object.union(vote_call, {"opaque": true})])
}

test_opaque_with_a_reason_is_well_formed if {
	count(intentgate.input_problems) == 0 with input as with_calls([object.union(vote_call, {"opaque": {"reason": "unknown selector"}})])
}

# Items of the template's intent

test_each_allowed_call_field_is_checked if {
	cases := [
		[{"to": "0x0"}, "input.template.intent.calls[1].to must be an address"],
		[{"maxValueWei": "-1"}, "input.template.intent.calls[1].maxValueWei must be a decimal string"],
		[{"functions": "tip()"}, "input.template.intent.calls[1].functions must be an array"],
	]
	every case in cases {
		[patch, problem] := case
		calls := [template_intent.calls[0], object.union(template_intent.calls[1], patch), template_intent.calls[2]]
		problems := intentgate.input_problems with input as with_template_intent({"calls": calls})
		problems == {problem}
	}
}

test_allowed_call_that_is_not_an_object_is_a_problem if {
	intentgate.input_problems == {"input.template.intent.calls[0] must be an object"} with input as with_template_intent({"calls": [vote]})
}

test_each_allowed_function_field_is_checked if {
	cases := [
		[{"signature": "tip()", "selector": "0x2755cd2d", "maxValueWei": 1}, "input.template.intent.calls[1].functions[0].maxValueWei must be a decimal string when present"],
		[{"signature": "tip()", "selector": "2755cd2d"}, "input.template.intent.calls[1].functions[0].selector must be 0x and 8 hex digits"],
		[{"selector": "0x2755cd2d"}, "input.template.intent.calls[1].functions[0].signature must be a string"],
		["tip()", "input.template.intent.calls[1].functions[0] must be an object"],
	]
	every case in cases {
		[allowed_function, problem] := case
		calls := [template_intent.calls[0], object.union(template_intent.calls[1], {"functions": [allowed_function]}), template_intent.calls[2]]
		problems := intentgate.input_problems with input as with_template_intent({"calls": calls})
		problems == {problem}
	}
}

test_target_listed_twice_is_a_problem if {
	twice := object.union(template_intent.calls[0], {"to": lower(vote)})
	problems := intentgate.input_problems with input as with_template_intent({"calls": array.concat(template_intent.calls, [twice])})
	problems == {concat("", ["input.template.intent.calls lists ", lower(vote), " more than once"])}
}

test_selector_listed_twice_for_a_target_is_a_problem if {
	functions := [{"signature": "tip()", "selector": "0x2755cd2d"}, {"signature": "tip()", "selector": "0x2755CD2D"}]
	calls := [template_intent.calls[0], object.union(template_intent.calls[1], {"functions": functions}), template_intent.calls[2]]
	problems := intentgate.input_problems with input as with_template_intent({"calls": calls})
	problems == {"input.template.intent.calls[1].functions lists 0x2755cd2d more than once"}
}

test_each_token_cap_field_is_checked if {
	cases := [
		[{"token": "token"}, "input.template.intent.tokenCaps[0].token must be an address"],
		[{"token": token, "maxTransferAmount": "1e3"}, "input.template.intent.tokenCaps[0].maxTransferAmount must be a decimal string when present"],
		[{"token": token, "maxApproveAmount": 500}, "input.template.intent.tokenCaps[0].maxApproveAmount must be a decimal string when present"],
		[token, "input.template.intent.tokenCaps[0] must be an object"],
	]
	every case in cases {
		[cap, problem] := case
		problems := intentgate.input_problems with input as with_template_intent({"tokenCaps": [cap]})
		problems == {problem}
	}
}

test_token_listed_twice_is_a_problem if {
	caps := [{"token": token, "maxTransferAmount": "1"}, {"token": lower(token), "maxApproveAmount": "1"}]
	problems := intentgate.input_problems with input as with_template_intent({"tokenCaps": caps})
	problems == {concat("", ["input.template.intent.tokenCaps lists ", lower(token), " more than once"])}
}

test_each_limit_field_is_checked if {
	cases := [
		["id", "", "input.template.intent.limits[0].id must be a non-empty string"],
		["scope", "planet", `input.template.intent.limits[0].scope must be "sender", "instance", "template" or "global"`],
		["metric", "calls", `input.template.intent.limits[0].metric must be "count", "valueWei" or "gasWei"`],
		["windowKind", "calendar", `input.template.intent.limits[0].windowKind must be "utc-day" or "rolling"`],
		["windowSeconds", 0, "input.template.intent.limits[0].windowSeconds must be a positive integer"],
		["max", 50, "input.template.intent.limits[0].max must be a decimal string"],
	]
	every case in cases {
		[field, value, problem] := case
		problems := intentgate.input_problems with input as with_template_intent({"limits": [object.union(template_intent.limits[0], {field: value})]})
		problems == {problem}
	}
}

test_limit_that_is_not_an_object_is_a_problem if {
	intentgate.input_problems == {"input.template.intent.limits[0] must be an object"} with input as with_template_intent({"limits": ["1d"]})
}

# check_holds is one chain of else branches: each check holds for its own kind of value
# only, a failing check is not rescued by a later branch, and an unknown check never holds.

check_cases := {
	"address": [vote, "0x12"],
	"decimal": ["10", "010"],
	"optional_decimal": ["10", 10],
	"string": ["", 1],
	"selector": ["0x2755cd2d", null],
	"selector_or_null": [null, "0x2755cd2"],
	"non_empty_string": ["a", ""],
	"role": ["container", "batch"],
	"array": [[], {}],
	"scope": ["global", "all"],
	"metric": ["gasWei", "gas"],
	"window_kind": ["rolling", "daily"],
	"positive_integer": [1, 0],
	"boolean": [false, "false"],
	"decimals": [["1", "0"], ["1", "01"]],
}

test_every_check_holds_for_its_values_only if {
	every check, values in check_cases {
		[good, bad] := values
		intentgate.check_holds(check, {"field": good}, "field")
		not intentgate.check_holds(check, {"field": bad}, "field")
	}
	every check in object.keys(intentgate.check_descriptions) {
		check in object.keys(check_cases)
	}
}

test_missing_field_holds_only_where_optional if {
	{check | some check, _ in check_cases; intentgate.check_holds(check, {}, "field")} == {"optional_decimal"}
}

test_unknown_check_never_holds if {
	not intentgate.check_holds("anything", {"field": "anything"}, "field")
}

# An array that is an object instead is one problem, not one more per key: paths are only
# written for numeric indexes.
test_functions_that_are_an_object_are_one_problem if {
	calls := [template_intent.calls[0], object.union(template_intent.calls[1], {"functions": {"tip": {"selector": 1}}}), template_intent.calls[2]]
	problems := intentgate.input_problems with input as with_template_intent({"calls": calls})
	problems == {"input.template.intent.calls[1].functions must be an array"}
}

test_decoded_args_of_a_nested_call_name_its_path if {
	inner := object.union(transfer_call("1"), {"path": "0.1", "depth": 1, "decoded": {"standard": "erc20", "function": "transfer", "args": {"to": "nobody", "amount": "1"}}})
	problems := intentgate.input_problems with input as with_calls([vote_call, inner])
	problems == {"input.intent.calls[1].decoded.args.to must be an address"}
}

# A field that is present counts as present whatever its value: null and false are not absent.
test_present_null_or_false_fields_are_checked if {
	every value in [null, false] {
		intentgate.input_problems == {"input.intent.calls[0].decoded must name a known standard and function, with args"} with input as with_calls([object.union(vote_call, {"decoded": value})])
		intentgate.input_problems == {"input.intent.calls[0].opaque must be an object with a string reason"} with input as with_calls([object.union(vote_call, {"opaque": value})])
		intentgate.input_problems == {"input.template.intent.maxTxValueWei must be a decimal when present"} with input as with_template_intent({"maxTxValueWei": value})
		intentgate.input_problems == {"input.template.intent.tokenCaps[0].maxApproveAmount must be a decimal string when present"} with input as with_template_intent({"tokenCaps": [{"token": token, "maxApproveAmount": value}]})
	}
}

test_kind_must_name_a_known_kind_exactly if {
	every kind in ["Meta-tx", "", 1, null, ["meta-tx"]] {
		intentgate.input_problems == {`input.intent.kind must be "meta-tx" or "user-op"`} with input as object.union(allowed_input, {"intent": {"kind": kind}})
	}
}

# Addresses the input names in its usual places are checked once and then looked up; any
# other address is still checked in full, and a malformed one is never taken as checked.
test_addresses_outside_the_usual_places_are_checked_in_full if {
	decoded := {"standard": "erc20", "function": "transfer", "args": {"to": concat("", [alice, "0"]), "amount": "1"}}
	problems := intentgate.input_problems with input as with_calls([object.union(transfer_call("1"), {"decoded": decoded})])
	problems == {"input.intent.calls[0].decoded.args.to must be an address"}
	count(intentgate.input_problems) == 0 with input as with_calls([transfer_call("1")])
}

test_a_malformed_sender_is_a_problem_wherever_it_is_named if {
	bad := "0x70997970C51812dc3A010C7d01b50e0d17dc79CZ"
	patched := object.union(with_calls([object.union(vote_call, {"to": bad})]), {"intent": {"sender": bad}})
	intentgate.input_problems == {"input.intent.sender must be an address", "input.intent.calls[0].to must be an address"} with input as patched
	not "TARGET_NOT_ALLOWED" in codes(intentgate.deny) with input as patched
}
