// Byte strings and their hex encoding.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/status.hpp"

namespace claimsync::eth {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Lower-case hex, with "0x" prefix when `prefixed`.
std::string to_hex(ByteView bytes, bool prefixed = true);

// Parses hex data ("0x" prefix optional, case-insensitive, even length required).
// Fails with kInvalidArgument naming the offending character or the odd length.
Result<Bytes> from_hex(std::string_view text);

}  // namespace claimsync::eth
