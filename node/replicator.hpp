// Replicator: moves due claims from the outbox (NodeStore) to the membership database
// (MembershipSink), DESIGN §5.
//
// Contract:
//   * One step() takes at most batch_limit() due claims (the only claims it ever holds in
//     memory), applies the pending/retrying ones and revokes the revoking ones. The limit
//     starts at replicator.batch_size; after a full batch that went through (a backlog)
//     it doubles, up to replicator.max_batch_size; a failed call or a rejected claim sets
//     it back to batch_size, so a bad claim or a struggling database is met in small
//     batches.
//   * Before a sink call the claims are marked sent (NodeStore::mark_sent, synced), and
//     only those the store still wants that call for go to the sink (a reorg may move a
//     claim between due() and the mark); the sink commits next, the store records
//     done/revoked last (NodeStore::settle). A crash or a lost reply in between replays
//     the claims; the sink's idempotence makes that harmless. A reorg in between leaves the moved
//     claims to the due work of their new state (a sent claim whose block left the chain is
//     revoked, never just forgotten), so the sink converges to the chain whatever it actually
//     committed.
//   * Whole-call sink failures (kUnavailable / kTimeout / any non-OK SinkResult::status;
//     the call's outcome is unknown) pause the whole replicator with exponential backoff and full
//     jitter between backoff_initial_ms and backoff_max_ms, and cost no claim an attempt. While
//     paused it loads nothing; when the pause ends it pings the sink and resumes on success. Pauses
//     are logged once per state change (paused / resumed), not once per retry.
//   * A claim the sink rejects (SinkResult::rejected) spends one attempt and gets its own
//     jittered backoff; after max_attempts it goes dead. The others of its batch go on.
//     Retrying/dead states are mirrored into the sink's ledger (record(), best effort).
//   * A failing NodeStore pauses like an outage (the store refuses writes after a failed
//     write; the operator restarts the node).
//
// Threading: step() and run() from one thread; status() from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "rpc/clock.hpp"
#include "rpc/status.hpp"
#include "storage/membership_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

// Operator-visible figures (for `status`, /v1/status and /metrics).
struct ReplicatorStatus {
  bool paused = false;                     // waiting out a sink or store failure
  bool standby = false;                    // the gate holds replication back (set_gate)
  std::int64_t paused_until_ms = 0;        // when the next probe happens (paused only)
  std::uint32_t consecutive_failures = 0;  // whole-call failures since the last success
  std::uint64_t batches = 0;               // batches that reached the sink successfully
  std::uint64_t replicated = 0;            // claims moved to done
  std::uint64_t revoked = 0;               // claims moved to revoked
  std::uint64_t claim_failures = 0;        // claim-specific failures (attempts spent)
  std::uint64_t dead = 0;                  // claims this replicator moved to dead
  std::uint64_t pauses = 0;                // times the replicator entered the paused state
  std::uint64_t unavailable = 0;           // whole-call failures in total (incl. while paused)
  std::string last_error;                  // the most recent error of any kind, "" if none
  std::int64_t last_error_at_ms = 0;
  std::int64_t last_success_at_ms = 0;  // last batch the sink committed
};

enum class StepKind {
  kIdle,        // nothing due now
  kStandby,     // the gate said no (active/standby: another node replicates)
  kReplicated,  // a batch went through the sink (some claims may have been rejected)
  kPaused,      // sink or store failing: this step failed, or the pause has not ended yet
};

struct StepResult {
  StepKind kind = StepKind::kIdle;
  std::size_t taken = 0;       // claims loaded from the outbox
  std::size_t replicated = 0;  // -> done
  std::size_t revoked = 0;     // -> revoked
  std::size_t failed = 0;      // claim-specific failures (attempt spent) ...
  std::size_t dead = 0;        // ... of which went dead
  // Earliest time at which step() may have work: now (after a batch), the next due claim,
  // or the end of the pause. nullopt when idle with nothing scheduled at all.
  std::optional<std::int64_t> wake_at_ms;
};

class Replicator {
 public:
  // `jitter_seed` makes the backoff jitter reproducible in tests. The references must
  // outlive the replicator.
  Replicator(store::NodeStore& store, store::MembershipSink& sink, Clock& clock,
             const ReplicatorConfig& config, std::uint64_t jitter_seed = std::random_device{}());
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // One unit of work: a batch, a probe of the paused sink, or nothing. Never sleeps.
  StepResult step();

  // Loops step() until `wake.stop()` is requested. First it probes the sink (ping: for
  // LazySink the connect and the migrations), so that happens while the follower runs its
  // first scan, not when the first claims are due. Sleeps (via the clock) until the next
  // due claim, at most replicator.idle_poll_ms when idle, or until the end of a pause; a
  // wake.notify() (new claims: a follower commit, an ingest) ends an idle sleep at once,
  // even one that raced the step (see Wakeup). A pause is not cut short by a notify: the
  // backoff protects the database. A batch in flight is finished on stop.
  void run(const Wakeup& wake);
  // The same with a Wakeup of its own on `stop` (stop.notify() wakes it).
  void run(const StopFlag& stop);

  // Active/standby ([ha]): when set, every step() first asks `gate` and, on false, does
  // nothing (StepKind::kStandby; the outbox is not read) until a later step it says yes.
  // REQUIRES: before run(); the gate runs on the stepping thread.
  void set_gate(std::function<bool()> gate) { gate_ = std::move(gate); }

  // Most claims the next step() takes.
  std::size_t batch_limit() const { return batch_limit_; }

  ReplicatorStatus status() const;

  // The pause after `n` consecutive whole-call failures (n >= 1), or the retry delay of a
  // claim after its n-th failure: backoff_initial_ms plus full jitter, i.e. uniform in
  // [initial, min(max, initial + initial * 2^(n-1))]. The floor keeps a flapping
  // database from being probed in a hot loop.
  std::int64_t backoff_ms(std::uint32_t n);

 private:
  enum class PauseCause { kSink, kStore };
  using Op = store::SinkOp;

  // Sends one group (all apply or all revoke) to the sink and settles the outcome in the
  // store. False if the sink or store failed and the replicator is now paused.
  bool replicate_group(Op op, const std::vector<store::Claim>& taken, StepResult& out);
  // Settles the committed claims of a group (NodeStore::settle): those a reorg moved
  // meanwhile are left to the due work their new state holds.
  bool settle_committed(Op op, const std::vector<store::Claim>& committed, StepResult& out);
  // Spends an attempt on each rejected claim and mirrors the new states into the ledger.
  bool settle_rejected(Op op, const std::vector<store::Claim>& group,
                       const std::vector<store::SinkRejection>& rejected, StepResult& out);

  StepResult pause(PauseCause cause, const Status& st);
  // Leaves the paused state (logs once) after the sink answered again.
  void resume();
  void note_error(const std::string& error);

  store::NodeStore& store_;
  store::MembershipSink& sink_;
  Clock& clock_;
  ReplicatorConfig config_;
  std::mt19937_64 rng_;
  std::function<bool()> gate_;

  // Pause state, touched only by the stepping thread (mirrored into status_).
  bool paused_ = false;
  PauseCause pause_cause_ = PauseCause::kSink;
  std::int64_t paused_since_ms_ = 0;
  std::int64_t paused_until_ms_ = 0;
  std::uint32_t consecutive_failures_ = 0;
  std::size_t batch_limit_ = 0;  // see batch_limit()

  mutable std::mutex status_mu_;
  ReplicatorStatus status_;  // GUARDED_BY(status_mu_)
};

}  // namespace claimsync::node
