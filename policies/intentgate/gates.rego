# Rules driven by data.intentgate.config, the document operators edit
# (policies/intentgate/data.json, shipped in the bundle):
#   validity.max_seconds               how far past now a request may stay valid
#   level_gates.min_level              verification level every template needs (0-3)
#   level_gates.value_moving_min_level level a template needs for calls that move value
#   denylist.addresses                 addresses no request may touch, in any case
# A config that is missing or malformed denies everything as CONFIG_INVALID, because
# a gate that cannot be read must not open.
package intentgate

import data.intentgate.config
import data.intentgate.decimal

deny contains {"code": "CONFIG_INVALID", "message": concat("", ["data.intentgate.config.", key, " must be ", expected])} if {
	some key, expected in config_fields
	not config_field_holds[key]
}

config_fields := {
	"validity.max_seconds": "a positive integer",
	"level_gates.min_level": "an integer from 0 to 3",
	"level_gates.value_moving_min_level": "an integer from 0 to 3",
	"denylist.addresses": "an array of addresses",
}

config_field_holds["validity.max_seconds"] if positive_integer(config.validity.max_seconds)

config_field_holds["level_gates.min_level"] if config.level_gates.min_level in verification_levels

config_field_holds["level_gates.value_moving_min_level"] if config.level_gates.value_moving_min_level in verification_levels

config_field_holds["denylist.addresses"] if {
	is_array(config.denylist.addresses)
	every address in config.denylist.addresses {
		is_address(address)
	}
}

# 0 draft, 1 reviewed, 2 audited, 3 certified (src/templates/manifest.ts).
verification_levels := {0, 1, 2, 3}

# LEVEL_TOO_LOW: templates below a level are refused outright, and value-moving calls
# need a higher level than calls that only change state inside an app.
deny contains {"code": "LEVEL_TOO_LOW", "message": message} if {
	config_field_holds["level_gates.min_level"]
	level := input.template.verificationLevel
	level in verification_levels
	level < config.level_gates.min_level
	message := concat("", [
		"the template's verification level ", format_int(level, 10),
		" is below ", format_int(config.level_gates.min_level, 10), ", which every request needs",
	])
}

deny contains {"code": "LEVEL_TOO_LOW", "message": message} if {
	config_field_holds["level_gates.value_moving_min_level"]
	level := input.template.verificationLevel
	level in verification_levels
	level < config.level_gates.value_moving_min_level
	some call in value_moving_calls
	message := concat("", [
		call_label(call), " moves value, which needs verification level ",
		format_int(config.level_gates.value_moving_min_level, 10),
		"; the template has ", format_int(level, 10),
	])
}

# A call moves value when it sends native value or is a token transfer or approval the
# normalizer decoded: every decoded standard call moves tokens or grants their use.
value_moving_calls contains call if {
	some call in input.intent.calls
	decimal.greater_than(call.value, "0")
}

value_moving_calls contains call if {
	some call in input.intent.calls
	is_object(call.decoded)
}

# ADDRESS_DENIED: the sender, any call target and any address a decoded call names
# (recipient, owner, spender, operator) are checked, whatever the case of either side.
denied_addresses := {lower(address) | some address in config.denylist.addresses}

deny contains {"code": "ADDRESS_DENIED", "message": message} if {
	lower(input.intent.sender) in denied_addresses
	message := concat("", ["the sender ", input.intent.sender, " is on the deny-list"])
}

deny contains {"code": "ADDRESS_DENIED", "message": message} if {
	some call in input.intent.calls
	lower(call.to) in denied_addresses
	message := concat("", [call_label(call), ": the target is on the deny-list"])
}

deny contains {"code": "ADDRESS_DENIED", "message": message} if {
	some call in input.intent.calls
	some name in {"to", "from", "spender", "operator"}
	address := call.decoded.args[name]
	lower(address) in denied_addresses
	message := concat("", [call_label(call), ": the ", name, " ", address, " is on the deny-list"])
}
