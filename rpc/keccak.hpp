// keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3-256's 0x06).
#pragma once

#include <string_view>

#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"

namespace claimsync::eth {

Hash32 keccak256(ByteView data);
Hash32 keccak256(std::string_view text);

}  // namespace claimsync::eth
