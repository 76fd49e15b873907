# Requests held for k-of-n operator approval. A template may declare, in
# input.template.intent.approvals, thresholds above which a request it otherwise allows
# still needs `required` distinct operators to approve it before it is relayed or
# sponsored:
#   valueAboveWei          the native value of all calls together
#   tokenAmountsAbove[]    per token: its ERC-20 transfers (transfer and transferFrom),
#                          and separately its approvals (approve), each summed over the
#                          whole request, so splitting an amount over calls gains nothing
# A request is held only when no rule denies it: approval turns a "not yet" into a yes,
# never a "no" into one. decision.rego answers a held request with allow false, one
# APPROVAL_REQUIRED reason per threshold passed, the limits it reserves while it waits,
# and approvals {required, reason}.
package intentgate

import data.intentgate.decimal

approvals_section := input.template.intent.approvals

# Every threshold the request passes, as a sentence for the operators who decide.
approval_triggers contains message if {
	threshold := approvals_section.valueAboveWei
	decimal.greater_than(total_value_wei, threshold)
	message := concat("", [
		"the calls send value ", total_value_wei, " together, above the template's approval threshold of ",
		threshold,
	])
}

approval_triggers contains message if {
	some threshold in approvals_section.tokenAmountsAbove
	some field, functions in token_cap_functions
	total := decimal.sum_of(token_amounts(threshold.token, field))
	decimal.greater_than(total, threshold.amount)
	message := concat("", [
		"token ", threshold.token, ": ", functions, " amounts total ", total,
		" across the request, above the template's approval threshold of ", threshold.amount,
	])
}

# Held: nothing denies the request, and it passes at least one threshold.
held if {
	count(deny) == 0
	count(approval_triggers) > 0
}

held_reasons contains {"code": "APPROVAL_REQUIRED", "message": message} if {
	held
	some message in approval_triggers
}

approval_request := {
	"required": approvals_section.required,
	"reason": concat("; ", sort(approval_triggers)),
} if held
