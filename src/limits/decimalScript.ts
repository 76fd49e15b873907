/**
 * Lua helpers for non-negative decimal strings. Redis runs Lua with doubles, which lose precision
 * above 2^53 (about 0.009 ETH in wei), so limits on wei are added and compared as digit strings.
 * Inputs are canonical: digits only, no leading zeros except "0" itself.
 */
export const decimalLua = `
local function dec_cmp(a, b)
  if #a ~= #b then return (#a < #b) and -1 or 1 end
  if a == b then return 0 end
  return (a < b) and -1 or 1
end
local function dec_add(a, b)
  local out, carry, i, j = {}, 0, #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local s = carry + (i > 0 and (string.byte(a, i) - 48) or 0) + (j > 0 and (string.byte(b, j) - 48) or 0)
    carry = math.floor(s / 10)
    out[#out + 1] = string.char(48 + s % 10)
    i, j = i - 1, j - 1
  end
  return string.reverse(table.concat(out))
end
local function dec_sub_floor(a, b)
  if dec_cmp(a, b) <= 0 then return '0' end
  local out, borrow, i, j = {}, 0, #a, #b
  while i > 0 do
    local s = (string.byte(a, i) - 48) - borrow - (j > 0 and (string.byte(b, j) - 48) or 0)
    if s < 0 then s, borrow = s + 10, 1 else borrow = 0 end
    out[#out + 1] = string.char(48 + s)
    i, j = i - 1, j - 1
  end
  local result = string.reverse(table.concat(out)):gsub('^0+', '')
  if result == '' then return '0' end
  return result
end
`
