// GuaranteeParams: the knobs of the end-to-end guarantee tests (chain speed, finality,
// load size, chaos), with defaults per test and overrides from the environment, so one
// binary replays a reported mix without a rebuild:
//
//   CLAIMSYNC_GUARANTEE_BLOCK_MS=250 CLAIMSYNC_GUARANTEE_CONFIRMATIONS=4
//   CLAIMSYNC_GUARANTEE_KILLS=20 CLAIMSYNC_GUARANTEE_OUTAGE_MS=12000
//   CLAIMSYNC_GUARANTEE_WAVES=152 CLAIMSYNC_GUARANTEE_LOAD_MS=150000 build/tests/guarantee_test
//
// Variables (each optional, a non-negative integer; anything else throws at startup):
// _BLOCK_MS, _CONFIRMATIONS, _WAVES, _LOAD_MS, _REORGS, _REORG_MIN_DEPTH, _REORG_MAX_DEPTH,
// _KILLS, _OUTAGES, _OUTAGE_MS, _CATCH_UP_MS, _CLAIMS_PER_WAVE, _WALLETS, _NODE_DEFAULTS (0/1),
// _DEBUG_LOG (0/1) (prefix CLAIMSYNC_GUARANTEE).
// describe() prints them all on one line, for the test output and replays.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace claimsync::testing {

struct GuaranteeParams {
  std::uint64_t block_ms = 1000;  // anvil interval mining
  std::uint64_t confirmations = 5;
  std::size_t waves = 50;
  std::chrono::milliseconds load_phase{100'000};
  int reorgs = 6;
  std::uint64_t reorg_min_depth = 1, reorg_max_depth = 3;
  int kills = 12;
  int outages = 2;
  std::chrono::milliseconds min_outage{10'000};
  std::chrono::milliseconds catch_up{240'000};
  std::size_t claims_per_wave = 56;
  std::size_t wallets = 240;   // wallets that receive mints (LoadOptions::wallets)
  bool node_defaults = false;  // _NODE_DEFAULTS=1: the node runs with the product's backoffs
  bool debug_log = false;      // _DEBUG_LOG=1: log.level = "debug"

  std::string describe() const;
};

// `defaults` with every CLAIMSYNC_GUARANTEE_* variable that is set applied on top.
// Throws std::invalid_argument on a malformed value or an impossible combination.
GuaranteeParams guarantee_params_from_env(GuaranteeParams defaults);

}  // namespace claimsync::testing
