#include "rpc/ecrecover.hpp"

#include <secp256k1_recovery.h>

#include <algorithm>
#include <array>
#include <compare>
#include <string>

#include "rpc/keccak.hpp"
#include "rpc/secp256k1_context.hpp"

namespace claimsync::eth {
namespace {

using Scalar = std::array<std::uint8_t, 32>;

// secp256k1 group order n, and n / 2 (the largest s EIP-2 accepts), big-endian.
constexpr Scalar kOrder = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                           0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};
constexpr Scalar kHalfOrder = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                               0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4,
                               0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

Status invalid(std::string message) {
  return error(ErrorCode::kInvalidArgument, "signature: " + std::move(message));
}

// Big-endian comparison of the 32-byte scalar in `sig` at `pos` with `limit`.
std::strong_ordering compare(ByteView sig, std::size_t pos, const Scalar& limit) {
  return std::lexicographical_compare_three_way(sig.begin() + pos, sig.begin() + pos + 32,
                                                limit.begin(), limit.end());
}

bool is_zero(ByteView sig, std::size_t pos) {
  return std::all_of(sig.begin() + pos, sig.begin() + pos + 32,
                     [](std::uint8_t b) { return b == 0; });
}

// 0 or 1 from v in {27, 28} or {0, 1}; -1 otherwise (chain-id-encoded v belongs to transactions).
int recovery_id(std::uint8_t v) {
  if (v == 27 || v == 28) return v - 27;
  if (v == 0 || v == 1) return v;
  return -1;
}

// Range checks libsecp256k1 would also make, done first so that errors say which rule failed.
Status check_scalars(ByteView sig) {
  if (is_zero(sig, 0) || compare(sig, 0, kOrder) >= 0) {
    return invalid("r is zero or not below the curve order");
  }
  if (is_zero(sig, 32)) return invalid("s is zero");
  if (compare(sig, 32, kHalfOrder) > 0) {
    return invalid("s is in the upper half of the curve order (EIP-2 malleable)");
  }
  return {};
}

Address address_of(const secp256k1_pubkey& pubkey) {
  std::array<std::uint8_t, 65> serialized{};
  std::size_t len = serialized.size();
  secp256k1_ec_pubkey_serialize(Secp256k1Context::shared().get(), serialized.data(), &len, &pubkey,
                                SECP256K1_EC_UNCOMPRESSED);
  // The address is the last 20 bytes of keccak256 of X || Y (without the 0x04 tag).
  Hash32 h = keccak256(ByteView(serialized).subspan(1));
  std::array<std::uint8_t, Address::kSize> raw{};
  std::copy(h.bytes().end() - Address::kSize, h.bytes().end(), raw.begin());
  return Address(raw);
}

}  // namespace

Result<Address> recover_address(const Hash32& digest, ByteView signature) {
  if (signature.size() != kEcdsaSignatureSize) {
    return invalid("must be 65 bytes (r, s, v), got " + std::to_string(signature.size()));
  }
  int recid = recovery_id(signature[64]);
  if (recid < 0) return invalid("v must be 27, 28, 0 or 1, got " + std::to_string(signature[64]));
  CLAIMSYNC_RETURN_IF_ERROR(check_scalars(signature));

  const secp256k1_context* ctx = Secp256k1Context::shared().get();
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, signature.data(), recid)) {
    return invalid("r or s out of range");
  }
  secp256k1_pubkey pubkey;
  if (!secp256k1_ecdsa_recover(ctx, &pubkey, &sig, digest.bytes().data())) {
    return invalid("no public key can be recovered from it");
  }
  return address_of(pubkey);
}

}  // namespace claimsync::eth
