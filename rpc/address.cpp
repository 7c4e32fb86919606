#include "rpc/address.hpp"

#include <algorithm>
#include <cstring>

#include "rpc/hex_digit.hpp"
#include "rpc/keccak.hpp"

namespace claimsync::eth {
namespace {

constexpr std::size_t kHexDigits = 2 * Address::kSize;

bool has_char_in(std::string_view digits, char lo, char hi) {
  return std::any_of(digits.begin(), digits.end(), [=](char c) { return c >= lo && c <= hi; });
}

// EIP-55: hex digit i is upper-case iff nibble i of keccak256(lower-case hex) is >= 8.
std::string eip55(std::string_view lower_digits) {
  Hash32 h = keccak256(lower_digits);
  std::string out(lower_digits);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint8_t nibble = (h.bytes()[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0x0f;
    if (nibble >= 8 && out[i] >= 'a' && out[i] <= 'f')
      out[i] = static_cast<char>(out[i] - 'a' + 'A');
  }
  return out;
}

}  // namespace

Result<Address> Address::parse(std::string_view text) {
  if (!has_hex_prefix(text)) {
    return error(ErrorCode::kInvalidArgument, "address must start with 0x");
  }
  std::string_view digits = text.substr(2);
  if (digits.size() != kHexDigits) {
    return error(ErrorCode::kInvalidArgument, "address must be 0x + 40 hex digits, got " +
                                                  std::to_string(digits.size()) + " digits");
  }
  Result<Bytes> bytes = from_hex(text);
  if (!bytes.ok()) return bytes.status().with_context("address");
  std::array<std::uint8_t, kSize> raw{};
  std::copy(bytes->begin(), bytes->end(), raw.begin());
  Address a(raw);
  bool mixed = has_char_in(digits, 'a', 'f') && has_char_in(digits, 'A', 'F');
  if (mixed && a.checksummed().substr(2) != digits) {
    return error(ErrorCode::kInvalidArgument,
                 "address has mixed case but an invalid EIP-55 checksum (expected " +
                     a.checksummed() + "); check for a typo or pass it all lower-case");
  }
  return a;
}

Result<Address> Address::from_word(ByteView word32) {
  if (word32.size() != 32) {
    return error(ErrorCode::kInvalidArgument,
                 "ABI address word must be 32 bytes, got " + std::to_string(word32.size()));
  }
  constexpr std::size_t kPad = 32 - kSize;
  if (!std::all_of(word32.begin(), word32.begin() + kPad, [](std::uint8_t b) { return b == 0; })) {
    return error(ErrorCode::kInvalidArgument, "ABI address word has non-zero padding");
  }
  std::array<std::uint8_t, kSize> raw{};
  std::copy(word32.begin() + kPad, word32.end(), raw.begin());
  return Address(raw);
}

bool Address::is_zero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

std::string Address::lower_hex() const { return to_hex(bytes_); }

std::string Address::checksummed() const { return "0x" + eip55(to_hex(bytes_, false)); }

}  // namespace claimsync::eth

std::size_t std::hash<claimsync::eth::Address>::operator()(
    const claimsync::eth::Address& a) const noexcept {
  // Fold all 20 bytes: vanity addresses share leading zero bytes, so no slice suffices.
  std::uint64_t w[3] = {0, 0, 0};
  std::memcpy(w, a.bytes().data(), a.bytes().size());
  std::uint64_t v = w[0] * 0x9e3779b97f4a7c15ULL ^ w[1] * 0xc2b2ae3d27d4eb4fULL ^ w[2];
  return static_cast<std::size_t>(v ^ (v >> 29));
}
