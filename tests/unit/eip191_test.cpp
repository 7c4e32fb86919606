// EIP-191 personal_sign recovery. Signatures below were made with foundry's
// `cast wallet sign --private-key <key> "<message>"` using anvil's default keys:
//   #0 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 -> 0xf39F...2266
//   #1 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d -> 0x7099...79C8
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "rpc/eip191.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

const std::string kMessage = "I refer 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 to claimsync";
const std::string kSigKey0 =
    "0xf445f3420fb5669280147948bd49dc0b537a7761073452ecd54d5f04cb03fb2e"
    "6e591e7bbe2e5358a315d82da26efe8958f6ff26504c7dcd49ab00856cfa998d1c";
const std::string kSigKey1 =
    "0xab3722dc3e8bf97606c1a4b77a64992531a185d8dec784af8925cd65ecef6ecd"
    "7a9ff2dbbd2f284e4e61c3377d70bc5aa1e67c4de4eacd3cfd2845ae86a491971b";
const Address kAccount0 = *Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const Address kAccount1 = *Address::parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

Bytes sig(const std::string& hex) { return *from_hex(hex); }

std::string rejection(std::string_view message, const Bytes& signature) {
  Result<Address> r = recover_personal_sign(message, signature);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_CASE("personal_message_hash matches cast hash-message") {
  CHECK(personal_message_hash("hello").hex() ==
        "0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750");
  CHECK(personal_message_hash("").hex() ==
        "0x5f35dce98ba4fba25530a026ed80b2cecdaa31091ba4958b99b52ea1d068adad");
}

TEST_CASE("recovers the signer of cast wallet sign signatures") {
  CHECK(*recover_personal_sign(kMessage, sig(kSigKey0)) == kAccount0);
  CHECK(*recover_personal_sign(kMessage, sig(kSigKey1)) == kAccount1);
  CHECK(*recover_personal_sign(
            "claimsync referrer attestation",
            sig("0xce963192a055e31883c6cf593a77a1cad3b2bf786c392f36849cc5d09df6c612"
                "0274430bd8f17c77adf001359ee0cba94accd5ae877521dd1a66926cfc777fb21c")) ==
        kAccount0);
  CHECK(*recover_personal_sign(
            "", sig("0xc1977b761f1dd36c29795783460d241885c8e7f9d962dbe7bba2753fd94e89b4"
                    "44a1cd9ed855dd09afa3b73f7c2bd097ec9abc2d2775d737505a02d3f0cafa591b")) ==
        kAccount0);
  // Non-ASCII and newlines are signed as raw UTF-8 bytes.
  CHECK(*recover_personal_sign(
            "multi\nline \xc3\xbcn\xc3\xaf"
            "code",
            sig("0x82c2d5ab3a3054ed0aee2d6f125d25d219cb1d3efd927345264729b866ab95fa"
                "699619d0991007d6252d43473402b66661ddcd268204781d6920b46c0f1d3d1d1c")) ==
        kAccount0);
}

TEST_CASE("v may be 0/1 instead of 27/28") {
  Bytes s = sig(kSigKey0);
  s[64] -= 27;
  CHECK(*recover_personal_sign(kMessage, s) == kAccount0);
}

TEST_CASE("a tampered message recovers someone else") {
  Result<Address> r = recover_personal_sign(kMessage + " ", sig(kSigKey0));
  // Recovery of a tampered message either fails or yields a different, unrelated key.
  CHECK((!r.ok() || *r != kAccount0));
  Result<Address> r2 = recover_personal_sign(
      "I refer 0x0000000000000000000000000000000000000000 to claimsync", sig(kSigKey0));
  CHECK((!r2.ok() || *r2 != kAccount0));
}

TEST_CASE("a tampered signature recovers someone else or is rejected") {
  for (std::size_t pos : {0u, 17u, 31u, 32u, 50u, 63u}) {
    Bytes s = sig(kSigKey0);
    s[pos] ^= 0x01;
    INFO("flipped byte " << pos);
    Result<Address> r = recover_personal_sign(kMessage, s);
    CHECK((!r.ok() || *r != kAccount0));
  }
  Bytes flipped_v = sig(kSigKey0);
  flipped_v[64] = flipped_v[64] == 27 ? 28 : 27;
  Result<Address> r = recover_personal_sign(kMessage, flipped_v);
  CHECK((!r.ok() || *r != kAccount0));
}

TEST_CASE("malformed signatures are rejected with a reason") {
  Bytes good = sig(kSigKey0);
  SECTION("length") {
    CHECK_THAT(rejection(kMessage, Bytes{}),
               Catch::Contains("65 bytes") && Catch::Contains("got 0"));
    CHECK_THAT(rejection(kMessage, Bytes(good.begin(), good.end() - 1)), Catch::Contains("got 64"));
    Bytes longer = good;
    longer.push_back(0);
    CHECK_THAT(rejection(kMessage, longer), Catch::Contains("got 66"));
  }
  SECTION("bad v") {
    for (int v : {2, 26, 29, 35, 36, 37, 255}) {
      Bytes s = good;
      s[64] = static_cast<std::uint8_t>(v);
      INFO("v=" << v);
      CHECK_THAT(rejection(kMessage, s),
                 Catch::Contains("v must be") && Catch::Contains(std::to_string(v)));
    }
  }
  SECTION("high s (EIP-2): the malleated twin (r, n - s, v ^ 1) of a valid signature") {
    Bytes twin =
        sig("0xf445f3420fb5669280147948bd49dc0b537a7761073452ecd54d5f04cb03fb2e"
            "91a6e18441d1aca75cea27d25d91017561b7ddc05efc226e76275e07633ba7b41b");
    CHECK_THAT(rejection(kMessage, twin), Catch::Contains("upper half"));
  }
  SECTION("r or s zero or out of range") {
    Bytes zero_r = good;
    std::fill(zero_r.begin(), zero_r.begin() + 32, 0);
    CHECK_THAT(rejection(kMessage, zero_r), Catch::Contains("r is zero"));
    Bytes zero_s = good;
    std::fill(zero_s.begin() + 32, zero_s.begin() + 64, 0);
    CHECK_THAT(rejection(kMessage, zero_s), Catch::Contains("s is zero"));
    Bytes big_r = good;
    std::fill(big_r.begin(), big_r.begin() + 32, 0xff);  // >= n
    CHECK_THAT(rejection(kMessage, big_r), Catch::Contains("not below the curve order"));
    // r = n exactly.
    Bytes r_n =
        sig("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
            "6e591e7bbe2e5358a315d82da26efe8958f6ff26504c7dcd49ab00856cfa998d1c");
    CHECK_THAT(rejection(kMessage, r_n), Catch::Contains("not below the curve order"));
    Bytes big_s = good;
    std::fill(big_s.begin() + 32, big_s.begin() + 64, 0xff);
    CHECK_THAT(rejection(kMessage, big_s), Catch::Contains("upper half"));
  }
  SECTION("r that is no point's x coordinate") {
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is a quadratic non-residue mod p), so no
    // key can be recovered.
    Bytes s = good;
    std::fill(s.begin(), s.begin() + 32, 0);
    s[31] = 5;
    CHECK_THAT(rejection(kMessage, s), Catch::Contains("no public key"));
  }
}

TEST_CASE("recovery is thread-safe on the shared context") {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&ok, t] {
      for (int i = 0; i < 50; ++i) {
        bool a = recover_personal_sign(kMessage, sig(kSigKey0)).value() == kAccount0;
        bool b = recover_personal_sign(kMessage, sig(kSigKey1)).value() == kAccount1;
        ok[t] += (a && b) ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) CHECK(n == 50);
}
