// FollowerHarness: a Follower on a FakeChain with a real RocksDB NodeStore (on /dev/shm
// when available, so thousands of synced commits stay fast), a ManualClock and helpers
// to restart the node and compare the outbox with the canonical chain.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/follower.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"
#include "tests/support/fake_chain.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {

// A TempDir on /dev/shm when it is a writable tmpfs, else under $TMPDIR.
std::unique_ptr<TempDir> fast_temp_dir(const std::string& prefix);

// Levels 1..19 (the default config).
std::vector<std::uint32_t> default_levels();

// Options for a follower of `chain`: confirmations 0, span 8, window 256, levels 1..19,
// progress lines never.
node::FollowerOptions fake_follower_options(const FakeChain& chain, std::uint64_t start_block = 1);

class FollowerHarness {
 public:
  explicit FollowerHarness(node::FollowerOptions options, FakeChain* chain = nullptr);
  ~FollowerHarness();

  FakeChain& chain() { return *chain_; }
  store::NodeStore& store() { return *store_; }
  node::Follower& follower() { return *follower_; }
  ManualClock& clock() { return clock_; }
  const node::FollowerOptions& options() const { return options_; }
  const std::string& data_dir() const { return dir_->path(); }

  // Simulates kill + restart: drops the follower, closes the store, reopens both.
  void restart();
  // Steps until a step is idle; the steps taken. Errors: the first failed step's, or
  // kInternal after `max_steps` without settling.
  Result<std::vector<node::FollowerStep>> settle(std::size_t max_steps = 10'000);
  // Steps until the checkpoint reaches `block` (or a step is idle / fails).
  Status step_until_checkpoint(std::uint64_t block, std::size_t max_steps = 10'000);
  // "" when the live claims equal the chain's canonical mints from start_block to the
  // checkpoint (so no canonical mint is orphaned and no orphan is live) and the store's
  // invariants hold; else what differs.
  std::string check_outbox();

 private:
  void open();

  std::unique_ptr<FakeChain> owned_chain_;
  FakeChain* chain_;
  node::FollowerOptions options_;
  ManualClock clock_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<store::NodeStore> store_;
  std::unique_ptr<node::Follower> follower_;
};

}  // namespace claimsync::testing
