package intentgate_test

import data.intentgate

expected_limits := [
	{
		"id": "sender-count-1d", "scope": "sender", "keyParts": ["inst-01", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"],
		"metric": "count", "amount": "1", "max": "50", "windowSeconds": 86400, "windowKind": "utc-day",
	},
	{
		"id": "instance-valueWei-1h", "scope": "instance", "keyParts": ["inst-01"],
		"metric": "valueWei", "amount": "100000000000000000", "max": "5000000000000000000",
		"windowSeconds": 3600, "windowKind": "rolling",
	},
	{
		"id": "template-gasWei-1d", "scope": "template", "keyParts": ["demo-vote"],
		"metric": "gasWei", "amount": "200000000000000", "max": "100000000000000000",
		"windowSeconds": 86400, "windowKind": "utc-day",
	},
	{
		"id": "global-count-1h", "scope": "global", "keyParts": [],
		"metric": "count", "amount": "1", "max": "10000", "windowSeconds": 3600, "windowKind": "rolling",
	},
]

# decision

test_decision_allows_the_fixture_with_its_limits if {
	intentgate.decision == {"allow": true, "reasons": [], "limits": expected_limits} with input as allowed_input
}

test_decision_denies_with_every_reason_sorted_by_code_then_message if {
	bad := object.union(with_calls([object.union(vote_call, {"to": mallory})]), {"intent": {"chainId": 10}, "now": "soon"})
	intentgate.decision == {
		"allow": false,
		"reasons": [
			{"code": "CHAIN_NOT_ALLOWED", "message": "chain 10 is not one of the chains the template declares"},
			{"code": "INPUT_INVALID", "message": "input.now must be a non-negative integer (unix seconds)"},
			{"code": "TARGET_NOT_ALLOWED", "message": concat("", ["call 0 to ", mallory, ": the template does not list this target"])},
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

# limits

test_template_without_limits_reserves_nothing if {
	intentgate.decision == {"allow": true, "reasons": [], "limits": []} with input as with_template_intent({"limits": []})
}

test_denied_request_reserves_nothing if {
	decision := intentgate.decision with input as object.union(allowed_input, {"intent": {"chainId": 10}})
	decision.allow == false
	decision.limits == []
}

test_value_limit_counts_the_value_of_every_call if {
	calls := [vote_call, tip_call, object.union(tip_call, {"path": "2", "value": "7"})]
	limits := intentgate.limits with input as with_calls(calls)
	limits[1].amount == "100000000000000007"
}

test_sender_key_part_is_lower_case if {
	limits := intentgate.limits with input as object.union(allowed_input, {"intent": {"sender": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"}})
	limits[0].keyParts == expected_limits[0].keyParts
}

# CHAIN_NOT_ALLOWED

test_chain_declared_by_template_is_allowed if {
	count(intentgate.deny) == 0 with input as object.union(allowed_input, {"intent": {"chainId": 1}})
}

test_chain_not_declared_by_template_is_denied if {
	intentgate.deny == {{"code": "CHAIN_NOT_ALLOWED", "message": "chain 10 is not one of the chains the template declares"}} with input as object.union(allowed_input, {"intent": {"chainId": 10}})
}

test_chain_rule_stays_silent_when_chain_id_is_invalid if {
	codes(intentgate.deny) == {"INPUT_INVALID"} with input as object.union(allowed_input, {"intent": {"chainId": "8453"}})
}

test_chain_rule_stays_silent_when_template_chains_are_invalid if {
	codes(intentgate.deny) == {"INPUT_INVALID"} with input as with_template_intent({"chains": "8453"})
}

# Addresses, selectors and digests are checked by length and character set, exactly as the
# patterns ^0x[0-9a-fA-F]{40}$, ^0x[0-9a-fA-F]{8}$ and ^sha256:[0-9a-f]{64}$ did.

test_addresses_are_0x_and_40_hex_digits if {
	intentgate.is_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
	intentgate.is_address("0x0000000000000000000000000000000000000000")
	every value in [
		"70997970C51812dc3A010C7d01b50e0d17dc79C8", "0X70997970C51812dc3A010C7d01b50e0d17dc79C8",
		"0x70997970C51812dc3A010C7d01b50e0d17dc79C", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8a",
		"0x70997970C51812dc3A010C7d01b50e0d17dc79Cg", " 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
		"0x70997970C51812dc3A010C7d01b50e0d17dc79C\n", "0x0x00000000000000000000000000000000000000",
		"0x００００００００００００００００００００００００００００００００００００００００", 1, null,
	] {
		not intentgate.is_address(value)
	}
}

test_selectors_are_0x_and_8_hex_digits if {
	intentgate.is_selector("0x2755cd2d")
	intentgate.is_selector("0x2755CD2D")
	every value in ["0x2755cd2", "0x2755cd2d0", "2755cd2d", "0x2755cd2g", "0x2755cd2\n", "0x2755cd2d ", 0] {
		not intentgate.is_selector(value)
	}
}

test_template_digests_are_sha256_and_64_lower_case_hex_digits if {
	intentgate.template_field_holds["input.template.digest"] with input.template.digest as "sha256:abababababababababababababababababababababababababababababababab"
	every value in [
		"sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB", "sha256:ababababababababababababababababababababababababababababababab", "sha256:abababababababababababababababababababababababababababababababab0",
		"sha512:abababababababababababababababababababababababababababababababab", "sha256:abababababababababababababababababababababababababababababababa\n", "abababababababababababababababababababababababababababababababab",
	] {
		not intentgate.template_field_holds["input.template.digest"] with input.template.digest as value
	}
}
