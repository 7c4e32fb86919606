// Fuzz target: signature recovery inputs (rpc/ecrecover, rpc/eip191, rpc/eip712).
// Input: 32 bytes digest, then the signature bytes; the rest of the input after 65
// bytes is also used as a personal_sign message and as EIP-712 domain strings.
// Contract: an address or kInvalidArgument; an accepted signature is 65 bytes with a
// valid v and a low s (EIP-2); v in {0,1} and {27,28} recover the same address; and a
// signature made with libsecp256k1 by a key derived from the input recovers that key's
// address (through recover_address, and through recover_personal_sign on its hash).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "rpc/ecrecover.hpp"
#include "rpc/eip191.hpp"
#include "rpc/eip712.hpp"
#include "rpc/keccak.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

// secp256k1 n / 2, big-endian: the largest s EIP-2 allows.
constexpr std::array<std::uint8_t, 32> kHalfOrder = {
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0};

secp256k1_context* signing_context() {
  static secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_SIGN);
  return ctx;
}

// r || s || v (v = 27 + recid) of `digest` by `key`; false when the key is invalid.
bool sign(const std::array<std::uint8_t, 32>& key, const Hash32& digest,
          std::array<std::uint8_t, 65>& out, Address& signer) {
  secp256k1_context* ctx = signing_context();
  if (!secp256k1_ec_seckey_verify(ctx, key.data())) return false;
  secp256k1_ecdsa_recoverable_signature sig;
  if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest.bytes().data(), key.data(), nullptr,
                                        nullptr))
    return false;
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out.data(), &recid, &sig);
  out[64] = static_cast<std::uint8_t>(27 + recid);
  secp256k1_pubkey pub;
  FUZZ_CHECK(secp256k1_ec_pubkey_create(ctx, &pub, key.data()), "pubkey of a valid key");
  std::array<std::uint8_t, 65> raw{};
  std::size_t len = raw.size();
  secp256k1_ec_pubkey_serialize(ctx, raw.data(), &len, &pub, SECP256K1_EC_UNCOMPRESSED);
  const Hash32 h = keccak256(ByteView(raw.data() + 1, 64));
  std::array<std::uint8_t, 20> a{};
  std::copy(h.bytes().begin() + 12, h.bytes().end(), a.begin());
  signer = Address(a);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 32) return 0;
  std::array<std::uint8_t, 32> d{};
  std::copy(data, data + 32, d.begin());
  const Hash32 digest(d);
  const ByteView sig(data + 32, std::min<std::size_t>(size - 32, 80));

  auto who = recover_address(digest, sig);
  if (who.ok()) {
    FUZZ_CHECK(sig.size() == kEcdsaSignatureSize, "only 65-byte signatures recover");
    const std::uint8_t v = sig[64];
    FUZZ_CHECK(v == 0 || v == 1 || v == 27 || v == 28, "v is 0/1/27/28");
    FUZZ_CHECK(!std::lexicographical_compare(kHalfOrder.begin(), kHalfOrder.end(), sig.begin() + 32,
                                             sig.begin() + 64),
               "s is low (EIP-2)");
    std::array<std::uint8_t, 65> other{};
    std::copy(sig.begin(), sig.end(), other.begin());
    other[64] = v >= 27 ? v - 27 : v + 27;
    auto alt = recover_address(digest, other);
    FUZZ_CHECK(alt.ok() && *alt == *who, "v and v+27 recover the same address");
  } else {
    FUZZ_CHECK(who.status().code() == ErrorCode::kInvalidArgument, "kInvalidArgument");
  }

  const std::string_view message(reinterpret_cast<const char*>(data) + 32, size - 32);
  auto personal = recover_personal_sign(message, sig);
  if (!personal.ok())
    FUZZ_CHECK(personal.status().code() == ErrorCode::kInvalidArgument, "kInvalidArgument");

  // Round trip with a real signature by a key taken from the input (the digest bytes).
  std::array<std::uint8_t, 65> good{};
  Address signer;
  if (sign(d, digest, good, signer)) {
    auto back = recover_address(digest, good);
    FUZZ_CHECK(back.ok() && *back == signer, "a real signature recovers its signer");
    const Hash32 ph = personal_message_hash(message);
    std::array<std::uint8_t, 65> good_personal{};
    Address signer2;
    FUZZ_CHECK(sign(d, ph, good_personal, signer2) && signer2 == signer, "same key");
    auto back2 = recover_personal_sign(message, good_personal);
    FUZZ_CHECK(back2.ok() && *back2 == signer, "a real personal_sign recovers its signer");
    // EIP-712 over a domain made of the input: the digest a wallet signs, recovered.
    eip712::Domain domain{std::string(message.substr(0, 16)), "1", size, signer};
    const Hash32 type = eip712::type_hash("Fuzz(address who,string text)");
    const Hash32 body =
        eip712::hash_struct(type, {eip712::field(signer), eip712::string_field(message)});
    const Hash32 typed = eip712::digest(eip712::domain_separator(domain), body);
    std::array<std::uint8_t, 65> good_typed{};
    Address signer3;
    FUZZ_CHECK(sign(d, typed, good_typed, signer3), "same key signs the typed digest");
    auto back3 = recover_address(typed, good_typed);
    FUZZ_CHECK(back3.ok() && *back3 == signer, "a real EIP-712 signature recovers its signer");
  }
  return 0;
}
