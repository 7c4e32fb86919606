#include "rpc/uint256.hpp"

#include <algorithm>

#include "rpc/hex_digit.hpp"

namespace claimsync::eth {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr std::size_t kMaxQuantityDigits = 64;

// limbs = limbs * mul + add; returns false on overflow of 256 bits.
bool mul_add_small(std::array<std::uint64_t, 4>& limbs, std::uint64_t mul, std::uint64_t add) {
  std::uint64_t carry = add;
  for (std::uint64_t& limb : limbs) {
    u128 t = static_cast<u128>(limb) * mul + carry;
    limb = static_cast<std::uint64_t>(t);
    carry = static_cast<std::uint64_t>(t >> 64);
  }
  return carry == 0;
}

// limbs = limbs / div; returns the remainder.
std::uint64_t div_small(std::array<std::uint64_t, 4>& limbs, std::uint64_t div) {
  u128 rem = 0;
  for (std::size_t i = limbs.size(); i-- > 0;) {
    u128 cur = (rem << 64) | limbs[i];
    limbs[i] = static_cast<std::uint64_t>(cur / div);
    rem = cur % div;
  }
  return static_cast<std::uint64_t>(rem);
}

bool is_zero(const std::array<std::uint64_t, 4>& limbs) {
  return std::all_of(limbs.begin(), limbs.end(), [](std::uint64_t l) { return l == 0; });
}

}  // namespace

Result<U256> U256::from_quantity(std::string_view text) {
  if (!has_hex_prefix(text)) {
    return error(ErrorCode::kInvalidArgument, "quantity must start with 0x");
  }
  std::string_view digits = text.substr(2);
  if (digits.empty()) return error(ErrorCode::kInvalidArgument, "quantity has no digits after 0x");
  if (digits.size() > kMaxQuantityDigits) {
    return error(ErrorCode::kInvalidArgument, "quantity has " + std::to_string(digits.size()) +
                                                  " hex digits, more than 64 (exceeds 256 bits)");
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return error(ErrorCode::kInvalidArgument, "quantity has leading zeros");
  }
  U256 out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    int v = hex_digit_value(digits[i]);
    if (v < 0) return error(ErrorCode::kInvalidArgument, bad_hex_digit_message(text, i + 2));
    mul_add_small(out.limbs_, 16, static_cast<std::uint64_t>(v));  // cannot overflow: <= 64 digits
  }
  return out;
}

Result<U256> U256::from_decimal(std::string_view text) {
  if (text.empty()) return error(ErrorCode::kInvalidArgument, "decimal number is empty");
  U256 out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9') {
      return error(ErrorCode::kInvalidArgument,
                   "invalid decimal digit at position " + std::to_string(i));
    }
    if (!mul_add_small(out.limbs_, 10, static_cast<std::uint64_t>(c - '0'))) {
      return error(ErrorCode::kInvalidArgument, "decimal number does not fit 256 bits");
    }
  }
  return out;
}

Result<U256> U256::from_word(ByteView word32) {
  if (word32.size() != 32) {
    return error(ErrorCode::kInvalidArgument,
                 "ABI uint256 word must be 32 bytes, got " + std::to_string(word32.size()));
  }
  U256 out;
  for (std::size_t i = 0; i < 32; ++i) {
    // byte i (big-endian) lands in limb 3 - i/8 at bit 8 * (7 - i%8)
    out.limbs_[3 - i / 8] |= static_cast<std::uint64_t>(word32[i]) << (8 * (7 - i % 8));
  }
  return out;
}

std::array<std::uint8_t, 32> U256::to_word() const {
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    out[i] = static_cast<std::uint8_t>(limbs_[3 - i / 8] >> (8 * (7 - i % 8)));
  }
  return out;
}

std::string U256::to_decimal() const {
  if (is_zero(limbs_)) return "0";
  std::array<std::uint64_t, 4> v = limbs_;
  std::string out;
  while (!is_zero(v)) out += static_cast<char>('0' + div_small(v, 10));
  std::reverse(out.begin(), out.end());
  return out;
}

std::string U256::to_quantity() const {
  std::array<std::uint8_t, 32> word = to_word();
  std::string hex = to_hex(word, false);
  std::size_t first = hex.find_first_not_of('0');
  return "0x" + (first == std::string::npos ? std::string("0") : hex.substr(first));
}

std::strong_ordering U256::operator<=>(const U256& o) const {
  for (std::size_t i = limbs_.size(); i-- > 0;) {
    if (limbs_[i] != o.limbs_[i]) return limbs_[i] <=> o.limbs_[i];
  }
  return std::strong_ordering::equal;
}

}  // namespace claimsync::eth
