// Follower: turns the chain's mint logs into outbox claims, from start_block to the
// finality target and then live (DESIGN §2, §6). Backfill and live following are the same
// loop: scan [next, min(next + span - 1, target)] with a RangeScanner, commit the range
// with NodeStore::commit_range (claims + block hashes + range mark + checkpoint in one
// synced batch), repeat.
//
// Contract:
//   * A block above the finality target is never committed (finality.hpp).
//   * Reorgs: when the stored block below the next range (or, when caught up, the stored
//     tip) is no longer canonical, the follower walks the stored window back to the fork
//     point (reorg.hpp), rolls the store back to it (claims above become orphaned or
//     revoking) and rescans. All state is in the store, so this works across restarts,
//     including a crash between detection and rollback.
//   * A reorg deeper than the stored window, an undecodable log from the contract, a
//     store that refuses writes, or a chain with another chain id stop the line: step()
//     returns the error (kReorg / kCorruption / kFailedPrecondition), logged with the
//     operator's next step, and run() returns it. Nothing is skipped silently.
//   * Lag is not a reorg (issue 10): when the chain source does not serve a block the node
//     has stored or needs (kNotFound: every endpoint behind), or its head is below the
//     stored tip while the stored blocks it does serve still match, the step is kIdle
//     with `behind` set: nothing is written or rolled back, the follower waits
//     (poll_interval_ms) and says so in FollowerStatus (behind_now, last_error). Only a
//     hash mismatch at a block the chain serves starts a rollback, so a lagging endpoint
//     never causes the fatal "reorg deeper than the window".
//   * Transient chain failures are retried by run() with bounded exponential backoff.
//   * The window is pruned to chain.reorg_window blocks below the last committed block.
//   * The span of a range adapts to the chain's density of claims: it starts at first_range_blocks
//     (1: nothing is known yet); after each committed range the next span aims at
//     range_claims_target claims at the density just seen, growing at most 32x per range,
//     between 1 and range_blocks. So one range holds about range_claims_target claims
//     however dense the chain (the follower's memory is bounded by that, not by
//     range_blocks: 10,000 mints per block do not make a 5,000-block range of 50 million
//     claims), a sparse chain reaches range_blocks after a few ranges, and the first
//     claims of a backfill reach the replicator after a short range.
//
// Threading: step() and run() from one thread; status() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "node/range_scanner.hpp"
#include "node/scan_progress.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/clock.hpp"
#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct FollowerOptions {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::uint64_t start_block = 0;
  FinalityMode finality = FinalityMode::kConfirmations;
  std::uint64_t confirmations = 20;
  std::int64_t poll_interval_ms = 1000;  // sleep when caught up (or the chain raced us)
  std::vector<std::uint32_t> levels;
  std::uint64_t reorg_window = 256;
  std::uint64_t range_blocks = 5000;  // most blocks per committed range (span)
  // Claims per committed range the span adapts to (see Follower: memory stays bounded on a
  // dense chain, and a backfill commits in pieces the replicator can start on). Each claim
  // in a range costs ~2 KB of RSS at the range's peak (its log's JSON, the decoded log, the
  // claim, the commit batch; bench/RESULTS.md, "1M mints"): 10,000 keep that near 20 MB,
  // which the 150 MB budget of the whole node needs on a chain of 10,000 mints per block.
  std::uint64_t range_claims_target = 10'000;
  std::uint64_t first_range_blocks = 1;     // the span before any density is known
  std::uint64_t pipeline_min_blocks = 256;  // see ScanSettings
  std::uint32_t sources = store::kSourceScan;
  std::int64_t progress_interval_ms = 10'000;
  std::int64_t error_backoff_initial_ms = 500;  // transient failures in run()
  std::int64_t error_backoff_max_ms = 30'000;
};

// The follower's options from the node's config (span = rpc.logs_max_span).
FollowerOptions follower_options(const Config& config);

enum class FollowerStepKind {
  kCommitted,   // a range was committed
  kIdle,        // caught up with the target (tip still canonical), or no target yet
  kRolledBack,  // a reorg was found and the store rolled back to the fork point
  kRaced,       // the chain moved during the scan; nothing written, scan again
};
const char* follower_step_kind_name(FollowerStepKind kind);

struct FollowerStep {
  FollowerStepKind kind = FollowerStepKind::kIdle;
  std::optional<std::uint64_t> target;  // the finality target seen by this step
  store::BlockRange range;              // kCommitted
  std::uint64_t claims_found = 0;       // kCommitted: claims in the range
  store::CommitOutcome commit;          // kCommitted
  std::uint64_t fork_point = 0;         // kRolledBack
  std::uint64_t depth = 0;              // kRolledBack: checkpoint before it - fork_point
  store::RollbackOutcome rollback;      // kRolledBack
  std::string reason;                   // kRolledBack / kRaced / behind: what was seen
  bool behind = false;                  // kIdle: the chain source is behind the store
};

// Operator-visible figures (status, /v1/status, /metrics).
struct FollowerStatus {
  std::optional<std::uint64_t> checkpoint;
  std::optional<std::uint64_t> target;
  std::optional<std::uint64_t> head;  // confirmations mode only
  std::uint64_t ranges = 0;           // committed by this process
  std::uint64_t claims_new = 0;
  std::uint64_t reorgs = 0;    // rollbacks done
  std::uint64_t orphaned = 0;  // claims moved to orphaned by those rollbacks
  std::uint64_t revoking = 0;  // claims moved to revoking by those rollbacks
  std::uint64_t races = 0;
  std::uint64_t behind = 0;  // steps that found the chain source behind the store
  bool behind_now = false;   // the last step did (last_error says how, until it ends)
  std::uint32_t consecutive_failures = 0;
  bool stopped_on_error = false;  // the line is stopped (see last_error)
  std::string last_error;
  ProgressSnapshot progress;
};

class Follower {
 public:
  // The references must outlive the follower.
  Follower(eth::ChainSource& chain, store::NodeStore& store, Clock& clock, FollowerOptions options);
  Follower(const Follower&) = delete;
  Follower& operator=(const Follower&) = delete;

  // One unit of work: a range commit, a rollback, or a check that the tip still holds.
  // Errors: transient chain errors (retry later) or a stop-the-line error (see above;
  // is_fatal()).
  Result<FollowerStep> step();

  // Loops step() until `wake.stop()` is requested (returns OK) or a stop-the-line error
  // (returns it). Sleeps poll_interval_ms when idle, ended early by wake.notify() (a hint:
  // a new head from a subscription, a claim hint), even one that raced the step; backs off
  // on transient failures (a hint does not cut a backoff short: it protects the RPC).
  Status run(const Wakeup& wake);
  // The same with a Wakeup of its own on `stop` (stop.notify() wakes it).
  Status run(const StopFlag& stop);

  // Called by run() (on its thread) after each step that made work for the replicator: a
  // range committed with new claims, or a rollback. REQUIRES: set before run().
  void set_on_new_work(std::function<void()> fn) { on_new_work_ = std::move(fn); }

  // Called by run() (on its thread) after every successful step, e.g. for metrics
  // (reorgs and their depth, claims ingested). REQUIRES: set before run().
  void set_on_step(std::function<void(const FollowerStep&)> fn) { on_step_ = std::move(fn); }

  FollowerStatus status() const;

  // True for errors that stop the line rather than being retried.
  static bool is_fatal(const Status& status);

 private:
  Result<FollowerStep> scan_next(std::uint64_t next, std::uint64_t target);
  Result<FollowerStep> check_tip(std::uint64_t next, std::optional<std::uint64_t> head);
  // The kIdle step that waits for a chain source behind the store (logged once per episode).
  FollowerStep behind(const std::string& why);
  // `r` as a behind step when its error is a block the chain source does not serve.
  Result<FollowerStep> behind_if_not_found(Result<FollowerStep> r);
  Result<FollowerStep> roll_back(std::uint64_t stale_block, const std::string& reason);
  Status verify_chain_id();
  // Sets span_ after a committed range of `blocks` blocks holding `claims` claims.
  void adapt_span(std::uint64_t blocks, std::uint64_t claims);
  Status prune(std::uint64_t tip);
  std::int64_t backoff_ms(std::uint32_t failures) const;
  void record_error(const Status& status, bool fatal);

  eth::ChainSource& chain_;
  store::NodeStore& store_;
  Clock& clock_;
  const FollowerOptions options_;
  RangeScanner scanner_;
  ScanProgress progress_;
  std::function<void()> on_new_work_;
  std::function<void(const FollowerStep&)> on_step_;
  std::uint64_t span_;  // blocks of the next range (see the contract)
  bool chain_verified_ = false;
  std::uint64_t pruned_below_ = 0;

  mutable std::mutex mu_;
  FollowerStatus status_;  // GUARDED_BY(mu_) (progress comes from progress_)
};

}  // namespace claimsync::node
