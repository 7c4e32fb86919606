// Address: a 20-byte Ethereum account address.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rpc/bytes.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

class Address {
 public:
  static constexpr std::size_t kSize = 20;

  Address() = default;  // the zero address
  explicit Address(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Parses "0x" + 40 hex digits. All-lower and all-upper are accepted as is; mixed case
  // must be a valid EIP-55 checksum. Errors (kInvalidArgument) say which rule failed.
  static Result<Address> parse(std::string_view text);

  // The address from the last 20 bytes of a 32-byte ABI word; fails if the first 12
  // bytes are not zero (an ABI-encoded address is left-padded with zeros).
  static Result<Address> from_word(ByteView word32);

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  bool is_zero() const;

  std::string lower_hex() const;    // "0xab12..." (how the database stores wallets)
  std::string checksummed() const;  // EIP-55 mixed case

  auto operator<=>(const Address&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

}  // namespace claimsync::eth

template <>
struct std::hash<claimsync::eth::Address> {
  std::size_t operator()(const claimsync::eth::Address& a) const noexcept;
};
