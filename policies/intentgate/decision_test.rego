package intentgate_test

import data.intentgate

# A complete, allowed input. Each negative test changes one part of it, so a failure
# points at the rule under test rather than at the fixture.
allowed_input := {
	"intent": {
		"kind": "meta-tx",
		"chainId": 8453,
		"sender": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
		"calls": [{
			"to": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
			"value": "0",
			"selector": "0xa9059cbb",
		}],
	},
	"template": {
		"id": "demo.tipjar",
		"version": "1.0.0",
		"intent": {"chains": [1, 8453]},
	},
	"instance": {"id": "inst-01"},
	"now": 1767225600,
}

chain_message(chain_id) := concat("", ["chain ", format_int(chain_id, 10), " is not one of the chains the template declares"])

# decision

test_decision_allows_intent_on_a_declared_chain if {
	intentgate.decision == {"allow": true, "reasons": [], "limits": []} with input as allowed_input
}

test_decision_denies_with_every_reason_sorted_by_code_then_message if {
	bad := object.union(object.remove(allowed_input, ["instance"]), {"now": -1})
	intentgate.decision == {
		"allow": false,
		"reasons": [
			{"code": "INPUT_INVALID", "message": "input.instance must be an object"},
			{"code": "INPUT_INVALID", "message": "input.now must be a non-negative integer (unix seconds)"},
		],
		"limits": [],
	} with input as bad
}

test_decision_is_defined_and_denies_without_input if {
	intentgate.decision == {
		"allow": false,
		"reasons": [{"code": "INPUT_INVALID", "message": "input must be an object with intent, template, instance and now"}],
		"limits": [],
	}
}

test_decision_denies_input_that_is_not_an_object if {
	intentgate.decision.reasons == [{
		"code": "INPUT_INVALID",
		"message": "input must be an object with intent, template, instance and now",
	}] with input as ["intent"]
}

test_decision_reasons_mix_codes_in_code_order if {
	bad := object.union(allowed_input, {"intent": {"chainId": 10}, "now": "soon"})
	intentgate.decision.reasons == [
		{"code": "CHAIN_NOT_ALLOWED", "message": chain_message(10)},
		{"code": "INPUT_INVALID", "message": "input.now must be a non-negative integer (unix seconds)"},
	] with input as bad
}

# CHAIN_NOT_ALLOWED

test_chain_declared_by_template_is_allowed if {
	count(intentgate.deny) == 0 with input as allowed_input
}

test_chain_not_declared_by_template_is_denied if {
	intentgate.deny == {{"code": "CHAIN_NOT_ALLOWED", "message": chain_message(10)}} with input as object.union(allowed_input, {"intent": {"chainId": 10}})
}

test_template_declaring_no_chains_denies_every_chain if {
	intentgate.deny == {{"code": "CHAIN_NOT_ALLOWED", "message": chain_message(8453)}} with input as object.union(allowed_input, {"template": {"intent": {"chains": []}}})
}

test_chain_rule_stays_silent_when_chain_id_is_invalid if {
	reasons := intentgate.deny with input as object.union(allowed_input, {"intent": {"chainId": "8453"}})
	reasons == {{"code": "INPUT_INVALID", "message": "input.intent.chainId must be a positive integer"}}
}

test_chain_rule_stays_silent_when_template_chains_are_invalid if {
	reasons := intentgate.deny with input as object.union(allowed_input, {"template": {"intent": {"chains": "8453"}}})
	reasons == {{"code": "INPUT_INVALID", "message": "input.template.intent.chains must be an array of positive integers"}}
}

# INPUT_INVALID, one pair per part of the input

test_allowed_input_has_no_input_problems if {
	count(intentgate.input_problems) == 0 with input as allowed_input
}

test_missing_intent_is_one_problem if {
	intentgate.input_problems == {"input.intent must be an object"} with input as object.remove(allowed_input, ["intent"])
}

test_chain_id_must_be_a_positive_integer if {
	every chain_id in [0, -1, 1.5, "1", null] {
		intentgate.input_problems == {"input.intent.chainId must be a positive integer"} with input as object.union(allowed_input, {"intent": {"chainId": chain_id}})
	}
}

test_missing_template_is_one_problem if {
	intentgate.input_problems == {"input.template must be an object"} with input as object.remove(allowed_input, ["template"])
}

test_template_without_intent_is_a_problem if {
	intentgate.input_problems == {"input.template.intent must be an object"} with input as object.union(allowed_input, {"template": {"intent": "any"}})
}

test_template_chains_must_be_positive_integers if {
	every chains in [[1, "8453"], [0], {"1": 1}] {
		intentgate.input_problems == {"input.template.intent.chains must be an array of positive integers"} with input as object.union(allowed_input, {"template": {"intent": {"chains": chains}}})
	}
}

test_missing_instance_is_a_problem if {
	intentgate.input_problems == {"input.instance must be an object"} with input as object.remove(allowed_input, ["instance"])
}

test_now_must_be_unix_seconds if {
	every now in [-1, 1.5, "2026-01-01T00:00:00Z"] {
		intentgate.input_problems == {"input.now must be a non-negative integer (unix seconds)"} with input as object.union(allowed_input, {"now": now})
	}
}

test_now_of_zero_is_valid if {
	count(intentgate.input_problems) == 0 with input as object.union(allowed_input, {"now": 0})
}

test_missing_now_is_a_problem if {
	intentgate.input_problems == {"input.now must be a non-negative integer (unix seconds)"} with input as object.remove(allowed_input, ["now"])
}
