// keccak-256, implemented here because no library on the target platform provides it:
// Debian 12's OpenSSL 3.0 only has SHA3-256 (FIPS 202 padding 0x06, a different hash;
// "KECCAK-256" arrived in OpenSSL 3.2) and Debian packages no standalone keccak library.
// This is the textbook keccak-f[1600] permutation (24 rounds, lanes as little-endian
// 64-bit words) with rate 1088 bits and the original Keccak padding (0x01 ... 0x80) that
// Ethereum uses. Checked against published vectors in tests/unit/primitives_test.cpp.
#include "rpc/keccak.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

namespace claimsync::eth {
namespace {

constexpr std::size_t kRate = 136;  // bytes: (1600 - 2 * 256) / 8

constexpr std::array<std::uint64_t, 24> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// rho rotation offsets and pi lane order, walked along the pi cycle starting at lane 1.
constexpr std::array<int, 24> kRho = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                      27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr std::array<int, 24> kPi = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                     15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

using State = std::array<std::uint64_t, 25>;  // lane (x, y) at index x + 5 * y

void keccak_f1600(State& a) {
  for (std::uint64_t rc : kRoundConstants) {
    // theta
    std::array<std::uint64_t, 5> c{};
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      std::uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    std::uint64_t carry = a[1];
    for (int i = 0; i < 24; ++i) {
      std::uint64_t next = a[kPi[i]];
      a[kPi[i]] = std::rotl(carry, kRho[i]);
      carry = next;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      std::array<std::uint64_t, 5> row{};
      for (int x = 0; x < 5; ++x) row[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    // iota
    a[0] ^= rc;
  }
}

// XORs `block` (at most kRate bytes) into the state, byte i into lane i/8 at bit 8*(i%8).
void absorb(State& s, const std::uint8_t* block, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    s[i / 8] ^= static_cast<std::uint64_t>(block[i]) << (8 * (i % 8));
  }
}

}  // namespace

Hash32 keccak256(ByteView data) {
  State s{};
  std::size_t off = 0;
  for (; data.size() - off >= kRate; off += kRate) {
    absorb(s, data.data() + off, kRate);
    keccak_f1600(s);
  }
  std::array<std::uint8_t, kRate> last{};
  std::size_t rest = data.size() - off;
  if (rest > 0) std::memcpy(last.data(), data.data() + off, rest);
  last[rest] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  absorb(s, last.data(), kRate);
  keccak_f1600(s);

  std::array<std::uint8_t, Hash32::kSize> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(s[i / 8] >> (8 * (i % 8)));
  }
  return Hash32(out);
}

Hash32 keccak256(std::string_view text) {
  return keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace claimsync::eth
