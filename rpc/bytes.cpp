#include "rpc/bytes.hpp"

#include <string>

#include "rpc/hex_digit.hpp"

namespace claimsync::eth {

std::string bad_hex_digit_message(std::string_view text, std::size_t pos) {
  unsigned char c = static_cast<unsigned char>(text[pos]);
  std::string what;
  if (c >= 0x20 && c < 0x7f) {
    what = std::string("'") + static_cast<char>(c) + "'";
  } else {
    static constexpr char kDigits[] = "0123456789abcdef";
    what = std::string("byte 0x") + kDigits[c >> 4] + kDigits[c & 0x0f];
  }
  return "invalid hex character " + what + " at position " + std::to_string(pos);
}

std::string to_hex(ByteView bytes, bool prefixed) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2 + 2);
  if (prefixed) out += "0x";
  for (std::uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

Result<Bytes> from_hex(std::string_view text) {
  std::string_view digits = strip_hex_prefix(text);
  if (digits.size() % 2 != 0) {
    return error(ErrorCode::kInvalidArgument,
                 "hex data has an odd number of digits (" + std::to_string(digits.size()) + ")");
  }
  Bytes out(digits.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_digit_value(digits[2 * i]);
    int lo = hex_digit_value(digits[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      std::size_t bad = (text.size() - digits.size()) + (hi < 0 ? 2 * i : 2 * i + 1);
      return error(ErrorCode::kInvalidArgument, bad_hex_digit_message(text, bad));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

}  // namespace claimsync::eth
