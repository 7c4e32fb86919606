#include "rpc/hash32.hpp"

#include <algorithm>
#include <cstring>

#include "rpc/hex_digit.hpp"

namespace claimsync::eth {

Result<Hash32> Hash32::parse(std::string_view text) {
  if (!has_hex_prefix(text)) {
    return error(ErrorCode::kInvalidArgument, "hash must start with 0x");
  }
  if (text.size() != 2 + 2 * kSize) {
    return error(ErrorCode::kInvalidArgument, "hash must be 0x + 64 hex digits, got " +
                                                  std::to_string(text.size() - 2) + " digits");
  }
  Result<Bytes> bytes = from_hex(text);
  if (!bytes.ok()) return bytes.status().with_context("hash");
  return from_bytes(*bytes);
}

Result<Hash32> Hash32::from_bytes(ByteView bytes) {
  if (bytes.size() != kSize) {
    return error(ErrorCode::kInvalidArgument,
                 "hash must be 32 bytes, got " + std::to_string(bytes.size()));
  }
  std::array<std::uint8_t, kSize> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return Hash32(out);
}

bool Hash32::is_zero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](std::uint8_t b) { return b == 0; });
}

std::string Hash32::hex() const { return to_hex(bytes_); }

}  // namespace claimsync::eth

std::size_t std::hash<claimsync::eth::Hash32>::operator()(
    const claimsync::eth::Hash32& h) const noexcept {
  // Hashes are uniformly distributed already: any 8 bytes make a good bucket key.
  std::size_t v = 0;
  std::memcpy(&v, h.bytes().data(), sizeof(v));
  return v;
}
