// LoadGenerator: drives a seeded, mixed ERC-1155 load against ClaimNFT on an interval-mining
// anvil, for the end-to-end guarantee test (tests/integration/guarantee_test.cpp).
//
//   LoadGenerator load(chain, nft, {.seed = 42});
//   load.prepare();                       // funds the holders (anvil --auto-impersonate)
//   for (...) { load.run_wave(); if (...) load.reorg(2); }
//   load.stats().last_block;              // highest block holding a load transaction
//
// The load: single mints, batch mints of several levels, batch mints repeating a level,
// repeated (wallet, level) mints in later transactions, mints of token ids that are not
// levels, and transfers, batch transfers and burns by holder wallets (none of which is a
// mint). Mints go to random wallets (every wallet gets at least one once enough waves ran);
// "transfer-only" wallets receive tokens by transfer only and so must never become members.
//
// A wave is sent as one JSON-RPC batch with explicit nonces, then every receipt is awaited
// (bounded). Waves never overlap, so the mempool is empty between waves; reorg() relies on
// that: it replaces the last `depth` blocks (with 0..2 fresh mints in the new branch), and
// the load transactions those blocks held, which anvil drops, are sent again with the next
// wave, like a wallet that retries. Which mints end up final is decided by the chain, not by
// this class: the test recomputes the truth from the chain afterwards.
//
// REQUIRES: anvil started with --auto-impersonate (holders are random addresses). Not
// thread-safe (one load thread). Throws std::runtime_error when the chain misbehaves (a tx
// is refused or not mined in time): a broken environment, not a result.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_rpc.hpp"

namespace claimsync::testing {

struct LoadOptions {
  std::uint64_t seed = 1;
  std::size_t wallets = 240;         // random wallets that receive mints
  std::size_t holders = 40;          // the first `holders` wallets also send transfers/burns
  std::size_t transfer_only = 12;    // extra wallets that receive transfers only
  std::size_t claims_per_wave = 56;  // planned level claims per wave (a wave may exceed it)
  std::uint32_t max_level = 19;      // levels are 1..max_level (the node's default)
  std::chrono::milliseconds receipt_timeout{30'000};
};

struct LoadStats {
  std::size_t waves = 0;
  std::size_t txs_sent = 0;      // including resends
  std::size_t txs_ok = 0;        // receipts with status 1
  std::size_t txs_reverted = 0;  // receipts with status 0 (a transfer whose mint was reorged out)
  std::size_t txs_resent = 0;    // dropped by a reorg, sent again
  std::size_t level_claims_sent =
      0;  // level claims in successful mint receipts (incl. later reorged)
  std::size_t single_mints = 0, batch_mints = 0, batch_repeats_in_tx = 0, repeated_levels = 0,
              non_level_mints = 0, transfers = 0, batch_transfers = 0, burns = 0;
  std::size_t reorgs = 0, reorged_blocks = 0, replacement_mints = 0;
  std::uint64_t last_block = 0;  // highest block holding a load receipt (or reorg head)
};

class LoadGenerator {
 public:
  LoadGenerator(Anvil& chain, std::string contract, const LoadOptions& options);

  // Gives every holder ETH for gas (anvil_setBalance).
  void prepare();
  // Plans one wave (plus any resends), sends it as one batch, waits for all receipts.
  void run_wave();
  // anvil_reorg(depth) with 0..2 replacement mints; queues the dropped load txs for resend.
  void reorg(std::uint64_t depth);

  const LoadStats& stats() const { return stats_; }
  const std::vector<std::string>& wallets() const { return wallets_; }
  const std::vector<std::string>& transfer_only_wallets() const { return transfer_only_; }

 private:
  enum class Kind { kMint, kTransfer, kBurn };
  struct PlannedTx {
    nlohmann::json tx;  // eth_sendTransaction object without nonce
    Kind kind = Kind::kMint;
    std::string to;                                              // mint/transfer recipient
    std::vector<std::pair<std::uint64_t, std::uint64_t>> items;  // (id, amount)
  };
  struct SentTx {
    PlannedTx planned;
    std::string hash;
    std::size_t wave = 0;
  };

  std::vector<PlannedTx> plan_wave();
  PlannedTx plan_mint();
  bool plan_holder_move(PlannedTx& out);
  PlannedTx mint_tx(const std::string& from, const std::string& to,
                    std::vector<std::pair<std::uint64_t, std::uint64_t>> items);
  std::string pick_mint_recipient();
  std::uint64_t random_level();
  std::uint64_t uniform(std::uint64_t lo, std::uint64_t hi);  // inclusive
  std::string random_address();
  std::string dev_account();

  std::vector<SentTx> send(std::vector<PlannedTx> txs);
  void await_receipts(const std::vector<SentTx>& sent);
  void account_receipt(const SentTx& sent, const nlohmann::json& receipt);

  Anvil& chain_;
  RawRpc rpc_;
  std::string contract_;
  LoadOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::string> wallets_;
  std::vector<std::string> transfer_only_;
  std::size_t next_unvisited_ = 0;  // wallets_[i] for i < this got a mint planned
  std::vector<std::pair<std::string, std::uint64_t>> minted_pairs_;  // for repeats
  // What holders hold by the confirmed receipts (reserved when a move is planned).
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> held_;
  std::vector<SentTx> recent_;     // the txs of the last waves (reorg may drop them)
  std::vector<PlannedTx> resend_;  // dropped by a reorg: go out with the next wave
  LoadStats stats_;
};

}  // namespace claimsync::testing
