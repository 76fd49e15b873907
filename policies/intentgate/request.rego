# Rules about the request as a whole: its chain, the capability its kind needs, its
# validity window and its gas.
package intentgate

import data.intentgate.config
import data.intentgate.decimal

# CHAIN_NOT_ALLOWED: the template lists the chains its instances may use.
deny contains {"code": "CHAIN_NOT_ALLOWED", "message": message} if {
	intent_chain_id_is_valid
	template_chains_are_valid
	not input.intent.chainId in input.template.intent.chains
	message := concat("", [
		"chain ", format_int(input.intent.chainId, 10),
		" is not one of the chains the template declares",
	])
}

# CAPABILITY_MISSING: a template is published for the kinds of request it may make,
# so a template made for meta-transactions never gets a user operation sponsored.
required_capability := {
	"meta-tx": "relay:meta-tx",
	"user-op": "sponsor:user-op",
}

deny contains {"code": "CAPABILITY_MISSING", "message": message} if {
	template_field_holds["input.template.capabilities"]
	needed := required_capability[input.intent.kind]
	not needed in input.template.capabilities
	message := concat("", ["a ", input.intent.kind, " request needs the capability ", needed, ", which the template does not grant"])
}

# EXPIRED and VALIDITY_TOO_LONG: the request must still be valid at input.now, and not
# for longer than the operator allows, since a long-lived signed request is one more
# that can be replayed later or held back and submitted at a worse moment.
deny contains {"code": "EXPIRED", "message": message} if {
	intent_field_holds["input.intent.validUntil"]
	now_is_valid
	input.intent.validUntil <= input.now
	message := concat("", [
		"the request was valid until ", format_int(input.intent.validUntil, 10),
		", which is not after now (", format_int(input.now, 10), ")",
	])
}

deny contains {"code": "VALIDITY_TOO_LONG", "message": message} if {
	intent_field_holds["input.intent.validUntil"]
	now_is_valid
	config_field_holds["validity.max_seconds"]
	seconds := input.intent.validUntil - input.now
	seconds > config.validity.max_seconds
	message := concat("", [
		"the request stays valid for ", format_int(seconds, 10), " seconds, more than the ",
		format_int(config.validity.max_seconds, 10), " allowed",
	])
}

# GAS_LIMIT_OVER_CAP, FEE_OVER_CAP and COST_OVER_CAP: what the gateway may end up
# paying for is capped by the template. decimal.greater_than is undefined for anything
# that is not a decimal, which input.rego reports.
gas_caps := [
	{"code": "GAS_LIMIT_OVER_CAP", "field": "limit", "cap": "maxGasLimit", "what": "gas limit"},
	{"code": "FEE_OVER_CAP", "field": "maxFeePerGas", "cap": "maxFeePerGasWei", "what": "max fee per gas"},
	{"code": "COST_OVER_CAP", "field": "maxCostWei", "cap": "maxCostWei", "what": "max cost in wei"},
]

deny contains {"code": gas_cap.code, "message": message} if {
	some gas_cap in gas_caps
	value := input.intent.gas[gas_cap.field]
	cap := input.template.intent.gas[gas_cap.cap]
	decimal.greater_than(value, cap)
	message := concat("", ["the ", gas_cap.what, " ", value, " is above the template's cap of ", cap])
}
