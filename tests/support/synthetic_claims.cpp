#include "tests/support/synthetic_claims.hpp"

#include <algorithm>
#include <array>

namespace claimsync::testing {
namespace {

template <std::size_t N>
void put_be32(std::array<std::uint8_t, N>& out, std::uint32_t n) {
  for (int i = 0; i < 4; ++i) out[N - 4 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
}

}  // namespace

eth::Address synthetic_wallet(std::uint32_t n) {
  std::array<std::uint8_t, 20> b{};
  b[0] = 0xab;
  put_be32(b, n);
  return eth::Address(b);
}

store::Claim synthetic_claim(std::uint32_t n) {
  std::array<std::uint8_t, 32> tx{};
  tx[0] = 0x77;
  put_be32(tx, n);
  std::array<std::uint8_t, 32> block{};
  block[0] = 0xb1;
  put_be32(block, n);
  store::Claim c;
  c.key = store::ClaimKey{kSyntheticChainId, eth::Hash32(tx), n % 7, 0};
  c.wallet = synthetic_wallet(n);
  c.level = 1 + n % 19;
  c.amount = eth::U256(1);
  c.block_number = kSyntheticFirstBlock + n;
  c.block_hash = eth::Hash32(block);
  c.block_time = 1'700'000'000 + n;
  c.sources = store::kSourceScan;
  return c;
}

store::StoreIdentity synthetic_identity() {
  store::StoreIdentity id;
  id.chain_id = kSyntheticChainId;
  id.contract = synthetic_wallet(0xc0ffee);
  id.start_block = kSyntheticFirstBlock;
  return id;
}

Result<std::vector<store::Claim>> commit_synthetic_claims(store::NodeStore& store,
                                                          std::uint32_t count, std::int64_t now_ms,
                                                          std::uint32_t per_range) {
  std::vector<store::Claim> all;
  all.reserve(count);
  for (std::uint32_t first = 0; first < count; first += per_range) {
    const std::uint32_t last = std::min(count, first + per_range) - 1;
    std::vector<store::Claim> chunk;
    for (std::uint32_t n = first; n <= last; ++n) chunk.push_back(synthetic_claim(n));
    const store::BlockRange range{kSyntheticFirstBlock + first, kSyntheticFirstBlock + last};
    auto committed = store.commit_range(range, {}, chunk, now_ms);
    if (!committed.ok()) return committed.status();
    all.insert(all.end(), chunk.begin(), chunk.end());
  }
  return all;
}

}  // namespace claimsync::testing
