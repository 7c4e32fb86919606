// EIP-191 `personal_sign` signature recovery on libsecp256k1.
#pragma once

#include <string_view>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

// keccak256("\x19Ethereum Signed Message:\n" + decimal(len(message)) + message).
Hash32 personal_message_hash(std::string_view message);

// Recovers the address that produced `signature` (65 bytes r || s || v, v in {27, 28} or
// {0, 1}) over `message` with personal_sign. Fails with kInvalidArgument for a wrong
// length, a bad v, r or s out of range, a high s (EIP-2 malleability), or a signature
// from which no key can be recovered. Thread-safe.
Result<Address> recover_personal_sign(std::string_view message, ByteView signature);

}  // namespace claimsync::eth
