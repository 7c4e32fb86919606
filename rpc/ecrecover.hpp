// secp256k1 public-key recovery: the address that signed a 32-byte digest (ecrecover).
#pragma once

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

constexpr std::size_t kEcdsaSignatureSize = 65;

// Recovers the address whose key produced `signature` (65 bytes r || s || v, v in
// {27, 28} or {0, 1}) over `digest`. Fails with kInvalidArgument for a wrong length, a
// bad v, r or s out of range, a high s (EIP-2 malleability), or a signature from which no
// key can be recovered. Thread-safe (the shared Secp256k1Context).
Result<Address> recover_address(const Hash32& digest, ByteView signature);

}  // namespace claimsync::eth
