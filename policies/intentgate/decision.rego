# METADATA
# title: intentgate decision
# description: |
#   Checks one normalized intent against the intent declared by its signed template.
#   Input: {intent, template, instance, now}, where now is unix seconds chosen by the
#   gateway, so a replay of the same input always reaches the same decision.
#   Output: {allow, reasons, limits}. allow is true only when no rule adds a reason
#   to deny, which makes deny the default for anything the rules do not vouch for.
package intentgate

# METADATA
# title: decision
# description: The only entrypoint. Defined for every input, including none at all.
decision := {
	"allow": count(deny) == 0,
	"reasons": sort(deny),
	"limits": limits,
}

# Limits come from the template's declared limits in a later rule set; until then a
# decision reserves nothing.
limits := []

# Every rule that can refuse an intent adds one {code, message} here. sort(deny) in
# decision orders reasons by code then message, so the same input always yields the
# same reasons in the same order, whatever order the rules were evaluated in.
deny contains {"code": "INPUT_INVALID", "message": problem} if {
	some problem in input_problems
}

deny contains {"code": "CHAIN_NOT_ALLOWED", "message": message} if {
	intent_chain_id_is_valid
	template_chains_are_valid
	not input.intent.chainId in input.template.intent.chains
	message := concat("", [
		"chain ", format_int(input.intent.chainId, 10),
		" is not one of the chains the template declares",
	])
}

# Input shape. A problem is reported at the outermost missing part only, so a
# missing intent reads as one reason rather than one per field inside it.
#
# Each check is a rule without arguments because `not f(input.x)` fails outright
# when input.x is missing, while `not rule` is true when the rule is undefined.

input_problems contains "input must be an object with intent, template, instance and now" if {
	not input_is_object
}

input_problems contains "input.intent must be an object" if {
	input_is_object
	not intent_is_object
}

input_problems contains "input.intent.chainId must be a positive integer" if {
	intent_is_object
	not intent_chain_id_is_valid
}

input_problems contains "input.template must be an object" if {
	input_is_object
	not template_is_object
}

input_problems contains "input.template.intent must be an object" if {
	template_is_object
	not template_intent_is_object
}

input_problems contains "input.template.intent.chains must be an array of positive integers" if {
	template_intent_is_object
	not template_chains_are_valid
}

input_problems contains "input.instance must be an object" if {
	input_is_object
	not instance_is_object
}

input_problems contains "input.now must be a non-negative integer (unix seconds)" if {
	input_is_object
	not now_is_valid
}

input_is_object if is_object(input)

intent_is_object if is_object(input.intent)

intent_chain_id_is_valid if positive_integer(input.intent.chainId)

template_is_object if is_object(input.template)

template_intent_is_object if is_object(input.template.intent)

template_chains_are_valid if {
	is_array(input.template.intent.chains)
	every chain_id in input.template.intent.chains {
		positive_integer(chain_id)
	}
}

instance_is_object if is_object(input.instance)

now_is_valid if {
	is_number(input.now)
	input.now >= 0
	floor(input.now) == input.now
}

positive_integer(value) if {
	is_number(value)
	value > 0
	floor(value) == value
}
