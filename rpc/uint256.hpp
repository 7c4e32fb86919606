// U256: an unsigned 256-bit integer (token ids, amounts, balances).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/bytes.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

class U256 {
 public:
  U256() = default;
  U256(std::uint64_t v) : limbs_{v, 0, 0, 0} {}  // NOLINT: implicit from small ints is safe

  // JSON-RPC quantity: "0x" + 1..64 hex digits, no leading zeros except "0x0".
  // Anything else (missing prefix, empty, too long, bad digit) is kInvalidArgument.
  static Result<U256> from_quantity(std::string_view text);
  // Decimal digits only, value must fit 256 bits.
  static Result<U256> from_decimal(std::string_view text);
  // Exactly 32 big-endian bytes (one ABI word).
  static Result<U256> from_word(ByteView word32);

  std::array<std::uint8_t, 32> to_word() const;  // 32 big-endian bytes
  std::string to_decimal() const;
  std::string to_quantity() const;  // "0x..." minimal hex

  bool fits_u64() const { return limbs_[1] == 0 && limbs_[2] == 0 && limbs_[3] == 0; }
  // The value if it fits 64 bits.
  std::optional<std::uint64_t> to_u64() const {
    if (!fits_u64()) return std::nullopt;
    return limbs_[0];
  }

  std::strong_ordering operator<=>(const U256& o) const;
  bool operator==(const U256& o) const = default;

 private:
  std::array<std::uint64_t, 4> limbs_{};  // little-endian limbs: limbs_[0] is least significant
};

}  // namespace claimsync::eth
