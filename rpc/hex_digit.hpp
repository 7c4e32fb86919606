// Internal helpers shared by the hex parsers of rpc/ (bytes, address, hash, U256).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace claimsync::eth {

// 0..15 for a hex digit of either case, -1 otherwise.
constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool has_hex_prefix(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

constexpr std::string_view strip_hex_prefix(std::string_view s) {
  return has_hex_prefix(s) ? s.substr(2) : s;
}

// "invalid hex character 'g' at position 5" (printable) or "... byte 0x07 ..." (not);
// `pos` indexes `text`.
std::string bad_hex_digit_message(std::string_view text, std::size_t pos);

}  // namespace claimsync::eth
