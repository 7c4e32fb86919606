// Hash32: a 32-byte hash (block hash, tx hash, log topic).
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

class Hash32 {
 public:
  static constexpr std::size_t kSize = 32;

  Hash32() = default;  // all zero
  explicit Hash32(const std::array<std::uint8_t, kSize>& bytes) : bytes_(bytes) {}

  // Parses "0x" + exactly 64 hex digits (any case). kInvalidArgument otherwise.
  static Result<Hash32> parse(std::string_view text);
  // REQUIRES: bytes.size() == 32, else kInvalidArgument.
  static Result<Hash32> from_bytes(ByteView bytes);

  const std::array<std::uint8_t, kSize>& bytes() const { return bytes_; }
  bool is_zero() const;
  std::string hex() const;  // "0x" + 64 lower-case digits

  auto operator<=>(const Hash32&) const = default;

 private:
  std::array<std::uint8_t, kSize> bytes_{};
};

}  // namespace claimsync::eth

template <>
struct std::hash<claimsync::eth::Hash32> {
  std::size_t operator()(const claimsync::eth::Hash32& h) const noexcept;
};
