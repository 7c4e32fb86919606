#include "tests/support/claim_fixtures.hpp"

#include <stdexcept>

#include "storage/laned_sink.hpp"

namespace claimsync::testing {
namespace {

constexpr const char* kMaxU256 =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

eth::Hash32 hash_of(std::uint8_t tag, std::uint64_t v) {
  std::array<std::uint8_t, 32> b{};
  b[0] = tag;
  b[1] = 0xef;
  for (int k = 0; k < 8; ++k) b[31 - k] = static_cast<std::uint8_t>(v >> (8 * k));
  return eth::Hash32(b);
}

}  // namespace

eth::Address fixture_wallet(std::uint64_t w) {
  std::array<std::uint8_t, 20> b{};
  b[0] = 0xab;  // hex letters, so a lower-case check has something to check
  b[1] = 0xcd;
  for (int k = 0; k < 8; ++k) b[19 - k] = static_cast<std::uint8_t>(w >> (8 * k));
  return eth::Address(b);
}

store::Claim make_claim(std::uint64_t i, std::uint64_t wallets, std::uint32_t levels) {
  store::Claim c;
  c.key.chain_id = 42161;
  c.key.tx_hash = hash_of(0x7a, i / 3);  // three claims per transaction
  c.key.log_index = static_cast<std::uint32_t>(i % 3);
  c.key.batch_index = static_cast<std::uint32_t>(i % 2);
  const std::uint64_t w = i % wallets;
  c.wallet = fixture_wallet(w);
  c.level = 1 + static_cast<std::uint32_t>(((i * 2654435761u) >> 7) % levels);
  c.amount = (i % 11 == 0) ? eth::U256::from_decimal(kMaxU256).value() : eth::U256(1 + i % 3);
  c.block_number = 1000 + i / 3;
  c.block_hash = hash_of(0xb1, c.block_number);
  c.block_time = 1'700'000'000 + ((i * 7) % 97) * 60;
  c.sources = store::kSourceScan | (i % 5 == 0 ? store::kSourceIntake : 0u);
  c.state = store::ClaimState::kPending;
  c.attempts = static_cast<std::uint32_t>(i % 3);
  if (i % 4 == 0) c.last_error = "timeout after 10s; it's \"fine\"";
  if (i % 7 == 0) c.referrer = fixture_wallet((w + 1) % wallets);
  c.created_at_ms = 1'700'000'000'000;
  c.updated_at_ms = c.created_at_ms;
  return c;
}

std::vector<store::Claim> make_claims(std::uint64_t n, std::uint64_t wallets,
                                      std::uint32_t levels) {
  std::vector<store::Claim> out;
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) out.push_back(make_claim(i, wallets, levels));
  return out;
}

std::vector<store::Claim> claims_in_two_lanes() {
  std::vector<store::Claim> pair;
  for (const store::Claim& c : make_claims(90, 90)) {
    if (pair.empty() ||
        store::LanedSink::lane_of(c.wallet, 2) != store::LanedSink::lane_of(pair[0].wallet, 2))
      pair.push_back(c);
    if (pair.size() == 2) return pair;
  }
  throw std::logic_error("claims_in_two_lanes: 90 wallets all in one lane");
}

}  // namespace claimsync::testing
