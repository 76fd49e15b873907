# METADATA
# title: decimal
# description: |
#   Exact arithmetic on non-negative integers written as decimal strings, such as wei
#   amounts. Wei values overflow JSON numbers (2^53) and Rego numbers do not round-trip
#   them exactly in every runtime, so amounts stay strings and are compared digit-wise
#   and summed in 9-digit limbs, each of which is an exact small number everywhere.
#   Every function is undefined for arguments that are not canonical decimals, so a
#   malformed amount can never compare as within a cap. Inputs are bounded to uint256
#   (is_decimal); greater_than also takes longer canonical decimals, since a sum of
#   uint256 amounts (sum_of) may exceed 78 digits and must still compare as above a cap.
package intentgate.decimal

# A uint256 has at most 78 decimal digits; a canonical decimal has no leading zeros.
is_decimal(value) if {
	is_canonical(value)
	count(value) <= 78
}

# A canonical decimal of any length, such as a sum of uint256 amounts: "0", or digits only
# without a leading zero. String builtins rather than regex.match: opa-wasm compiles a
# pattern again on every evaluation, which cost about 40% of evaluating an allowed request.
is_canonical("0") := true

is_canonical(value) if {
	is_string(value)
	value != ""
	not startswith(value, "0")
	only_digits(value)
}

# trim_left drops every leading character in its cutset: only a string made of nothing but
# those characters trims to "".
only_digits(value) if trim_left(value, "0123456789") == ""

# a > b. Canonical decimals of different lengths order by length; of the same length,
# by their digits, which for ASCII digits is plain string order. Arrays compare element by
# element, so [length, digits] orders exactly so, in one body: a function of several bodies
# is evaluated body by body in Wasm, each checking both arguments again.
greater_than(a, b) if {
	is_canonical(a)
	is_canonical(b)
	[count(a), a] > [count(b), b]
}

# The sum of an array of decimals, as a decimal. Undefined if any item is not one. Zeros add
# nothing, so they are left out; with at most one other item, that item is the sum, and the
# limb arithmetic (most of an allowed request's evaluation time) is only done for two or more.
# The items are checked once, here, rather than once by each body of sum_of_addends.
sum_of(values) := sum_of_addends(nonzero_decimals(values))

sum_of_addends(addends) := "0" if count(addends) == 0

sum_of_addends(addends) := addends[0] if count(addends) == 1

sum_of_addends(addends) := total if {
	count(addends) >= 2
	split := [limbs(value) | some value in addends]
	column_sums := [sum([parts[i] | some parts in split]) | some i in numbers.range(0, limb_count - 1)]
	total := limbs_to_decimal(carried(column_sums))
}

nonzero_decimals(values) := [value | some value in values; value != "0"] if {
	is_array(values)
	every value in values {
		is_decimal(value)
	}
}

# Nine limbs of nine digits hold 81 digits, more than any uint256 needs.
limb_count := 9

limb_digits := 9

limb_base := 1000000000

padded_digits := limb_count * limb_digits

zeros := "000000000000000000000000000000000000000000000000000000000000000000000000000000000"

# Limbs of a decimal, least significant first.
limbs(value) := [limb_value(substring(padded, padded_digits - (limb_digits * (i + 1)), limb_digits)) |
	some i in numbers.range(0, limb_count - 1)
] if {
	padded := concat("", [substring(zeros, 0, padded_digits - count(value)), value])
}

# to_number keeps leading zeros in some runtimes and then emits invalid JSON, so they go first.
limb_value(digits) := 0 if trim_left(digits, "0") == ""

limb_value(digits) := to_number(trimmed) if {
	trimmed := trim_left(digits, "0")
	trimmed != ""
}

# Carries column sums into limbs below the base. A column sum stays below 2^53 for fewer
# than nine million addends, so every step is exact. (t - t % base) / base divides a
# multiple of the base, which is exact where floor(t / base) might round. Rego has no
# loops, so the nine carries are written out; two more limbs take the final carry.
carried(s) := [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10] if {
	t0 := s[0]
	r0 := t0 % limb_base
	t1 := s[1] + ((t0 - r0) / limb_base)
	r1 := t1 % limb_base
	t2 := s[2] + ((t1 - r1) / limb_base)
	r2 := t2 % limb_base
	t3 := s[3] + ((t2 - r2) / limb_base)
	r3 := t3 % limb_base
	t4 := s[4] + ((t3 - r3) / limb_base)
	r4 := t4 % limb_base
	t5 := s[5] + ((t4 - r4) / limb_base)
	r5 := t5 % limb_base
	t6 := s[6] + ((t5 - r5) / limb_base)
	r6 := t6 % limb_base
	t7 := s[7] + ((t6 - r6) / limb_base)
	r7 := t7 % limb_base
	t8 := s[8] + ((t7 - r7) / limb_base)
	r8 := t8 % limb_base
	t9 := (t8 - r8) / limb_base
	r9 := t9 % limb_base
	r10 := (t9 - r9) / limb_base
}

# Most significant limb first, each padded to nine digits, then leading zeros dropped. Only
# sums of two or more non-zero addends come here, so some digit is never zero.
limbs_to_decimal(parts) := trim_left(digits, "0") if {
	last := count(parts) - 1
	digits := concat("", [pad_limb(parts[last - i]) | some i in numbers.range(0, last)])
}

pad_limb(limb) := concat("", [substring(zeros, 0, limb_digits - count(text)), text]) if {
	text := format_int(limb, 10)
}
