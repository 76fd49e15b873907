package intentgate_test

import data.intentgate

# The fixture sends 0.1 ETH (tip_call); these thresholds sit either side of it.
value_threshold(threshold) := {"required": 2, "valueAboveWei": threshold}

held_for_value := with_template_intent({"approvals": value_threshold("99999999999999999")})

value_message := concat("", [
	"the calls send value 100000000000000000 together, above the template's approval threshold of ",
	"99999999999999999",
])

test_value_above_the_threshold_is_held_with_its_limits if {
	intentgate.decision == {
		"allow": false,
		"reasons": [{"code": "APPROVAL_REQUIRED", "message": value_message}],
		"limits": expected_limits,
		"approvals": {"required": 2, "reason": value_message},
	} with input as held_for_value
}

test_value_at_the_threshold_is_allowed if {
	intentgate.decision == {"allow": true, "reasons": [], "limits": expected_limits} with input as with_template_intent({"approvals": value_threshold("100000000000000000")})
}

test_a_template_without_approvals_never_holds if {
	not intentgate.held with input as allowed_input
	not "approvals" in object.keys(intentgate.decision) with input as allowed_input
}

test_a_denied_request_is_denied_not_held if {
	# Above the threshold, but on a chain the template does not declare: approval cannot help.
	bad := object.union(held_for_value, {"intent": {"chainId": 10}})
	decision := intentgate.decision with input as bad
	decision.allow == false
	codes(decision.reasons) == {"CHAIN_NOT_ALLOWED"}
	decision.limits == []
	not "approvals" in object.keys(decision)
}

# The input, with the template's approvals section replaced.
with_approvals(base, section) := object.union(base, {"template": {"intent": {"approvals": section}}})

token_threshold(amount) := {"required": 3, "tokenAmountsAbove": [{"token": token, "amount": amount}]}

test_token_transfers_above_the_threshold_are_held if {
	# 300 and 250 are each under 500, and under the cap of 1000, but 550 together.
	calls := [transfer_call("300"), at(transfer_from_call("250"), "1")]
	decision := intentgate.decision with input as with_approvals(with_calls(calls), token_threshold("500"))
	message := concat("", [
		"token ", token, ": transfer and transferFrom amounts total 550 across the request, ",
		"above the template's approval threshold of 500",
	])
	decision.reasons == [{"code": "APPROVAL_REQUIRED", "message": message}]
	decision.approvals == {"required": 3, "reason": message}
}

test_token_approvals_are_summed_apart_from_transfers if {
	held_input := with_approvals(with_calls([transfer_call("400"), at(approve_call("450"), "1")]), token_threshold("400"))
	decision := intentgate.decision with input as held_input
	count(decision.reasons) == 1
	contains(decision.approvals.reason, "approve amounts total 450")
}

test_token_amounts_at_the_threshold_are_allowed if {
	allowed := with_approvals(with_calls([transfer_call("400"), at(approve_call("400"), "1")]), token_threshold("400"))
	intentgate.decision.allow with input as allowed
}

test_another_token_is_not_held_by_a_threshold if {
	thresholds := {"required": 1, "tokenAmountsAbove": [{"token": mallory, "amount": "1"}]}
	intentgate.decision.allow with input as with_approvals(with_calls([transfer_call("900")]), thresholds)
}

test_a_token_threshold_matches_whatever_the_casing if {
	thresholds := {"required": 1, "tokenAmountsAbove": [{"token": lower(token), "amount": "1"}]}
	intentgate.held with input as with_approvals(with_calls([transfer_call("2")]), thresholds)
}

test_every_threshold_passed_is_a_reason_and_part_of_the_reason if {
	both := {"required": 2, "valueAboveWei": "1", "tokenAmountsAbove": [{"token": token, "amount": "1"}]}
	decision := intentgate.decision with input as with_approvals(with_calls([tip_call, transfer_call("2")]), both)
	count(decision.reasons) == 2
	codes(decision.reasons) == {"APPROVAL_REQUIRED"}
	decision.approvals.reason == concat("; ", [reason.message | some reason in decision.reasons])
}

# A malformed section is INPUT_INVALID: a threshold that cannot be read must not let a
# request through unheld.

approvals_problem := concat("", [
	"input.template.intent.approvals must be absent, or an object with required from 1 to 10, ",
	"a decimal valueAboveWei when present and an array tokenAmountsAbove when present",
])

test_malformed_approvals_sections_are_input_invalid if {
	every section in [
		"yes",
		{"valueAboveWei": "1"},
		{"required": 0, "valueAboveWei": "1"},
		{"required": 11, "valueAboveWei": "1"},
		{"required": 1.5, "valueAboveWei": "1"},
		{"required": "2", "valueAboveWei": "1"},
		{"required": 2, "valueAboveWei": 1},
		{"required": 2, "valueAboveWei": "01"},
		{"required": 2, "tokenAmountsAbove": {"token": token}},
	] {
		decision := intentgate.decision with input as with_template_intent({"approvals": section})
		decision.allow == false
		decision.reasons == [{"code": "INPUT_INVALID", "message": approvals_problem}]
	}
}

test_malformed_token_thresholds_are_input_invalid if {
	thresholds := {"required": 2, "tokenAmountsAbove": [{"token": "0x12", "amount": "1"}, {"token": token}, 7]}
	problems := intentgate.input_problems with input as with_template_intent({"approvals": thresholds})
	problems == {
		"input.template.intent.approvals.tokenAmountsAbove[0].token must be an address",
		"input.template.intent.approvals.tokenAmountsAbove[1].amount must be a decimal string",
		"input.template.intent.approvals.tokenAmountsAbove[2] must be an object",
	}
}
