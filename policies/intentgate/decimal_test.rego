package intentgate.decimal_test

import data.intentgate.decimal

uint256_max := "115792089237316195423570985008687907853269984665640564039457584007913129639935"

# is_decimal

test_canonical_decimals_are_decimals if {
	every value in ["0", "1", "10", uint256_max, concat("", ["9", substring(uint256_max, 0, 77)])] {
		decimal.is_decimal(value)
	}
}

test_other_values_are_not_decimals if {
	every value in ["", "01", "-1", "1.5", "1e3", " 1", "0x10", 1, null, ["1"], concat("", ["1", uint256_max])] {
		not decimal.is_decimal(value)
	}
}

# Exactly what ^(0|[1-9][0-9]*)$ accepted: ASCII digits only, nothing before or after them.
test_only_ascii_digits_are_decimal_digits if {
	every value in ["00", "0 ", "1\n", "\n1", "1 2", "١٢", "１", "1\u0000", "+1", "9a", "a9"] {
		not decimal.is_decimal(value)
		not decimal.is_canonical(value)
	}
}

# greater_than

test_longer_decimal_is_greater if {
	decimal.greater_than("10", "9")
	decimal.greater_than(uint256_max, "99999999999999999999")
}

test_same_length_compares_by_digits if {
	decimal.greater_than("1000000000000000000001", "1000000000000000000000")
	not decimal.greater_than("1000000000000000000000", "1000000000000000000001")
}

test_equal_decimals_are_not_greater if {
	not decimal.greater_than(uint256_max, uint256_max)
	not decimal.greater_than("0", "0")
}

test_shorter_decimal_is_not_greater if {
	not decimal.greater_than("9", "10")
}

test_sum_longer_than_uint256_compares_as_greater if {
	ten_max := "1157920892373161954235709850086879078532699846656405640394575840079131296399350"
	decimal.greater_than(ten_max, uint256_max)
	not decimal.greater_than(uint256_max, ten_max)
}

test_canonical_decimals_of_any_length if {
	decimal.is_canonical(concat("", ["1", uint256_max, uint256_max]))
	decimal.is_canonical("0")
	not decimal.is_canonical("01")
	not decimal.is_canonical("")
	not decimal.is_canonical(1)
}

test_greater_than_is_undefined_for_non_decimals if {
	not decimal.greater_than("2", 1)
	not decimal.greater_than(2, "1")
	not decimal.greater_than("02", "1")
	not decimal.greater_than(concat("", ["0", uint256_max, uint256_max]), "1")
}

# sum_of

test_sum_of_nothing_is_zero if {
	decimal.sum_of([]) == "0"
}

test_sum_of_small_values if {
	decimal.sum_of(["1", "2", "0", "39"]) == "42"
}

test_sum_carries_across_every_limb if {
	# 10^72 - 1 plus one carries through eight limbs.
	nines := "999999999999999999999999999999999999999999999999999999999999999999999999"
	decimal.sum_of([nines, "1"]) == concat("", ["1", substring("000000000000000000000000000000000000000000000000000000000000000000000000", 0, 72)])
}

test_sum_beyond_uint256_stays_exact if {
	decimal.sum_of([uint256_max, uint256_max]) == "231584178474632390847141970017375815706539969331281128078915168015826259279870"
	decimal.sum_of([uint256_max, uint256_max, uint256_max, uint256_max, uint256_max, uint256_max, uint256_max, uint256_max, uint256_max, uint256_max]) == "1157920892373161954235709850086879078532699846656405640394575840079131296399350"
}

test_sum_of_zeros_and_one_amount_is_that_amount if {
	decimal.sum_of(["0", "0"]) == "0"
	decimal.sum_of(["0", uint256_max, "0"]) == uint256_max
	decimal.sum_of(["7"]) == "7"
}

test_sum_of_wei_amounts if {
	decimal.sum_of(["1500000000000000000", "250000000000000000", "3"]) == "1750000000000000003"
}

test_sum_is_undefined_when_an_item_is_not_a_decimal if {
	not decimal.sum_of(["1", 2])
	not decimal.sum_of(["1", "-2"])
	not decimal.sum_of("12")
	not decimal.sum_of(["0", "01"])
	not decimal.sum_of(["0", 0])
	not decimal.sum_of(["5", concat("", ["1", uint256_max])])
}

# greater_than orders [length, digits]: length decides before any digit does.
test_length_decides_before_digits if {
	decimal.greater_than("100", "99")
	not decimal.greater_than("99", "100")
	decimal.greater_than("2000", "1999")
	not decimal.greater_than("1999", "2000")
	decimal.greater_than("10", "0")
	not decimal.greater_than("0", "10")
}

test_one_non_zero_amount_must_still_be_a_decimal if {
	not decimal.sum_of(["7", "01"])
	not decimal.sum_of(["7", "-0"])
}
