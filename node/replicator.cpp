#include "node/replicator.hpp"

#include <algorithm>
#include <map>

#include "rpc/backoff.hpp"
#include "rpc/logging.hpp"
#include "storage/claim_transitions.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;

const char* pause_next_step(bool store_failed, const Status& st) {
  if (store_failed) {
    return "the node store failed: check disk space and permissions of storage.data_dir, "
           "then restart claimsync";
  }
  if (st.is_transient()) {
    return "check that the membership database is running and reachable at sink.url; "
           "claims wait in the outbox and spend no attempts";
  }
  return "the membership database refused the whole batch: check its log and the schema "
         "(claimsync migrate); claims wait in the outbox and spend no attempts";
}

std::vector<ClaimKey> keys_of(const std::vector<Claim>& claims) {
  std::vector<ClaimKey> keys;
  keys.reserve(claims.size());
  for (const Claim& c : claims) keys.push_back(c.key);
  return keys;
}

}  // namespace

Replicator::Replicator(store::NodeStore& store, store::MembershipSink& sink, Clock& clock,
                       const ReplicatorConfig& config, std::uint64_t jitter_seed)
    : store_(store), sink_(sink), clock_(clock), config_(config), rng_(jitter_seed) {
  config_.batch_size = std::max<std::size_t>(config_.batch_size, 1);
  config_.max_attempts = std::max<std::uint32_t>(config_.max_attempts, 1);
  config_.backoff_initial_ms = std::max<std::int64_t>(config_.backoff_initial_ms, 1);
  config_.backoff_max_ms = std::max(config_.backoff_max_ms, config_.backoff_initial_ms);
  config_.idle_poll_ms = std::max<std::int64_t>(config_.idle_poll_ms, 1);
}

std::int64_t Replicator::backoff_ms(std::uint32_t n) {
  // Full jitter (rpc/backoff.hpp) above a floor of backoff_initial_ms: the spread keeps
  // retries apart, the floor keeps a flapping database from being probed in a hot loop.
  const std::int64_t floor = config_.backoff_initial_ms;
  const BackoffPolicy above_floor{floor, config_.backoff_max_ms - floor};
  const std::uint32_t attempt = n > 0 ? n - 1 : 0;
  return std::min(config_.backoff_max_ms, floor + full_jitter_delay(attempt, above_floor, rng_));
}

StepResult Replicator::step() {
  const std::int64_t now = clock_.now_ms();
  StepResult out;
  if (paused_) {
    if (now < paused_until_ms_) {
      out.kind = StepKind::kPaused;
      out.wake_at_ms = paused_until_ms_;
      return out;
    }
    // Probe cheaply before loading anything: a long outage costs one ping per backoff.
    if (pause_cause_ == PauseCause::kSink) {
      if (Status st = sink_.ping(); !st.ok()) return pause(PauseCause::kSink, st);
    }
  }

  if (!in_flight_checked_) {
    if (Status st = recover_in_flight(); !st.ok()) return pause(PauseCause::kStore, st);
  }
  auto due = store_.due(now, config_.batch_size);
  if (!due.ok()) return pause(PauseCause::kStore, due.status());
  if (due->empty()) {
    resume();
    out.wake_at_ms = store_.next_due_at();
    return out;
  }

  std::vector<Claim> to_apply;
  std::vector<Claim> to_revoke;
  out.taken = due->size();
  for (Claim& c : *due) {
    (c.state == ClaimState::kRevoking ? to_revoke : to_apply).push_back(std::move(c));
  }
  due->clear();

  out.kind = StepKind::kReplicated;
  out.wake_at_ms = now;
  const bool ok = (to_apply.empty() || replicate_group(Op::kApply, to_apply, out)) &&
                  (to_revoke.empty() || replicate_group(Op::kRevoke, to_revoke, out));
  if (!ok) {
    out.kind = StepKind::kPaused;
    out.wake_at_ms = paused_until_ms_;
  }
  return out;
}

bool Replicator::replicate_group(Op op, const std::vector<Claim>& group, StepResult& out) {
  // Recorded first, so that a process killed after the sink commit but before the store
  // settles it finds these claims again (recover_in_flight).
  if (Status st = store_.set_in_flight(keys_of(group)); !st.ok()) {
    pause(PauseCause::kStore, st.with_context("set_in_flight"));
    return false;
  }
  store::SinkResult result = op == Op::kApply ? sink_.apply(group) : sink_.revoke(group);
  if (!result.status.ok()) {
    pause(PauseCause::kSink, result.status.with_context(op == Op::kApply ? "apply" : "revoke"));
    return false;
  }
  resume();

  std::vector<Claim> committed;
  committed.reserve(group.size());
  std::map<ClaimKey, std::string> rejected;
  for (const store::SinkRejection& r : result.rejected) rejected.emplace(r.key, r.error);
  for (const Claim& c : group) {
    if (!rejected.contains(c.key)) committed.push_back(c);
  }
  if (!settle_committed(op, committed, out)) return false;
  if (!result.rejected.empty() && !settle_rejected(group, result.rejected, out)) return false;
  if (Status st = store_.set_in_flight({}); !st.ok()) {
    pause(PauseCause::kStore, st.with_context("set_in_flight"));
    return false;
  }

  std::lock_guard<std::mutex> lock(status_mu_);
  ++status_.batches;
  status_.last_success_at_ms = clock_.now_ms();
  return true;
}

bool Replicator::settle_committed(Op op, const std::vector<Claim>& committed, StepResult& out) {
  if (committed.empty()) return true;
  Status st = store_.mark_replicated(keys_of(committed), clock_.now_ms());
  if (st.code() == ErrorCode::kFailedPrecondition) return settle_one_by_one(op, committed, out);
  if (!st.ok()) {
    pause(PauseCause::kStore, st.with_context("mark_replicated"));
    return false;
  }
  (op == Op::kApply ? out.replicated : out.revoked) += committed.size();
  std::lock_guard<std::mutex> lock(status_mu_);
  (op == Op::kApply ? status_.replicated : status_.revoked) += committed.size();
  return true;
}

// Reached only when the follower rolled some claim of the batch back (or forward) while
// the sink was committing it. Each claim is settled alone; where the store no longer
// wants what the sink now holds, the store is told so (resync_claim: orphaned -> revoking,
// done -> pending), durably, and the next steps repair the sink like any other due work,
// with retries, outage pauses and restarts.
bool Replicator::settle_one_by_one(Op op, const std::vector<Claim>& committed, StepResult& out) {
  for (const Claim& sent : committed) {
    std::optional<Claim> now_claim = store_.get(sent.key);
    if (!now_claim) continue;
    const ClaimState state = now_claim->state;
    const bool still_wanted =
        op == Op::kApply ? store::is_awaiting_sink(state) : state == ClaimState::kRevoking;
    if (still_wanted) {
      if (Status st = store_.mark_replicated({sent.key}, clock_.now_ms()); !st.ok()) {
        pause(PauseCause::kStore, st.with_context("mark_replicated"));
        return false;
      }
      ++(op == Op::kApply ? out.replicated : out.revoked);
      std::lock_guard<std::mutex> lock(status_mu_);
      ++(op == Op::kApply ? status_.replicated : status_.revoked);
      continue;
    }
    // Due states (pending/retrying/revoking) come back by themselves and fix the sink.
    const bool sink_holds_offchain = op == Op::kApply && state == ClaimState::kOrphaned;
    const bool sink_lacks_canonical = op == Op::kRevoke && state == ClaimState::kDone;
    const char* repair = sink_holds_offchain ? "revoke" : sink_lacks_canonical ? "apply" : "none";
    Status queued;
    if (sink_holds_offchain || sink_lacks_canonical) {
      queued = store_.resync_claim(sent.key, clock_.now_ms());
      if (!queued.ok() && queued.code() != ErrorCode::kFailedPrecondition) {
        pause(PauseCause::kStore, queued.with_context("resync_claim"));
        return false;
      }
    }
    log_warn("replicator_reorg_race",
             {{"claim", sent.key.to_string()},
              {"state", store::claim_state_name(state)},
              {"repair", repair},
              {"queued", queued.ok() ? "yes" : queued.to_string()},
              {"next", "none: the repair is due now and retried like any claim"}});
  }
  return true;
}

Status Replicator::recover_in_flight() {
  auto keys = store_.in_flight();
  if (!keys.ok()) return keys.status().with_context("in_flight");
  // orphaned: the sink may hold rows of a claim whose block left the chain; done: a revoke
  // may have removed the rows of a claim that is canonical again. Either repair is
  // harmless when the sink did not commit (revoke of absent rows, idempotent apply).
  std::size_t repaired = 0;
  for (const ClaimKey& key : *keys) {
    const std::optional<Claim> c = store_.get(key);
    if (!c || (c->state != ClaimState::kOrphaned && c->state != ClaimState::kDone)) continue;
    CLAIMSYNC_RETURN_IF_ERROR(store_.resync_claim(key, clock_.now_ms()));
    ++repaired;
  }
  if (repaired > 0) {
    log_warn("replicator_in_flight_repaired",
             {{"in_flight", keys->size()},
              {"requeued", repaired},
              {"next",
               "none: the previous process stopped during a sink commit that a reorg "
               "raced; these claims are re-sent to the sink"}});
  }
  CLAIMSYNC_RETURN_IF_ERROR(store_.set_in_flight({}));
  in_flight_checked_ = true;
  return {};
}

bool Replicator::settle_rejected(const std::vector<Claim>& group,
                                 const std::vector<store::SinkRejection>& rejected,
                                 StepResult& out) {
  std::map<ClaimKey, const Claim*> by_key;
  for (const Claim& c : group) by_key.emplace(c.key, &c);
  std::vector<store::LedgerUpdate> ledger;
  for (const store::SinkRejection& rej : rejected) {
    auto it = by_key.find(rej.key);
    if (it == by_key.end()) continue;  // the sink named a claim it was not given
    const Claim& claim = *it->second;
    const std::int64_t now = clock_.now_ms();
    const std::int64_t retry_at = now + backoff_ms(claim.attempts + 1);
    auto state = store_.mark_failed(claim.key, rej.error, retry_at, config_.max_attempts, now);
    if (!state.ok() && state.status().code() == ErrorCode::kFailedPrecondition)
      continue;  // reorged
    if (!state.ok()) {
      pause(PauseCause::kStore, state.status().with_context("mark_failed"));
      return false;
    }
    const bool dead = *state == ClaimState::kDead;
    ++out.failed;
    out.dead += dead ? 1 : 0;
    {
      std::lock_guard<std::mutex> lock(status_mu_);
      ++status_.claim_failures;
      status_.dead += dead ? 1 : 0;
    }
    note_error(claim.key.to_string() + ": " + rej.error);
    log_event(dead ? LogLevel::kError : LogLevel::kWarn, dead ? "claim_dead" : "claim_failed",
              {{"claim", claim.key.to_string()},
               {"wallet", claim.wallet.lower_hex()},
               {"level", claim.level},
               {"attempts", claim.attempts + 1},
               {"error", rej.error},
               {"next", dead ? "fix the cause in the database, then: claimsync claims retry " +
                                   claim.key.to_string()
                             : "none: retried automatically with backoff"}});
    Claim mirrored = claim;
    mirrored.state = *state;
    mirrored.attempts = claim.attempts + 1;
    mirrored.last_error = rej.error;
    mirrored.next_attempt_at_ms = retry_at;
    mirrored.updated_at_ms = now;
    ledger.push_back({std::move(mirrored)});
  }
  if (ledger.empty()) return true;
  if (Status st = sink_.record(ledger); !st.ok()) {
    log_warn("ledger_mirror_failed",
             {{"error", st.to_string()},
              {"claims", ledger.size()},
              {"next", "none: claim_sync_queue shows the old status until the claim moves again"}});
  }
  return true;
}

StepResult Replicator::pause(PauseCause cause, const Status& st) {
  const std::int64_t now = clock_.now_ms();
  const bool entering = !paused_ || pause_cause_ != cause;
  ++consecutive_failures_;
  const std::int64_t delay = backoff_ms(consecutive_failures_);
  if (!paused_) paused_since_ms_ = now;
  paused_ = true;
  pause_cause_ = cause;
  paused_until_ms_ = now + delay;
  const bool store_failed = cause == PauseCause::kStore;
  if (entering) {
    log_error(store_failed ? "replicator_paused_store" : "replicator_paused_sink",
              {{"error", st.to_string()},
               {"retry_in_ms", delay},
               {"next", pause_next_step(store_failed, st)}});
  } else {
    log_debug(
        "replicator_still_paused",
        {{"error", st.to_string()}, {"retry_in_ms", delay}, {"failures", consecutive_failures_}});
  }
  note_error(st.to_string());
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.paused = true;
    status_.paused_until_ms = paused_until_ms_;
    status_.consecutive_failures = consecutive_failures_;
    ++status_.unavailable;
    status_.pauses += entering ? 1 : 0;
  }
  StepResult out;
  out.kind = StepKind::kPaused;
  out.wake_at_ms = paused_until_ms_;
  return out;
}

void Replicator::resume() {
  consecutive_failures_ = 0;
  if (!paused_) return;
  paused_ = false;
  log_info("replicator_resumed",
           {{"paused_ms", clock_.now_ms() - paused_since_ms_}, {"next", "none"}});
  std::lock_guard<std::mutex> lock(status_mu_);
  status_.paused = false;
  status_.paused_until_ms = 0;
  status_.consecutive_failures = 0;
}

void Replicator::note_error(const std::string& error) {
  std::lock_guard<std::mutex> lock(status_mu_);
  status_.last_error = error;
  status_.last_error_at_ms = clock_.now_ms();
}

void Replicator::run(const StopFlag& stop) {
  log_info("replicator_started", {{"batch_size", static_cast<std::uint64_t>(config_.batch_size)},
                                  {"max_attempts", config_.max_attempts}});
  while (!stop.stop_requested()) {
    const StepResult r = step();
    if (r.kind == StepKind::kReplicated) continue;  // more may be due right away
    const std::int64_t now = clock_.now_ms();
    std::int64_t wait =
        r.kind == StepKind::kPaused ? r.wake_at_ms.value_or(now) - now : config_.idle_poll_ms;
    if (r.kind == StepKind::kIdle && r.wake_at_ms) wait = std::min(wait, *r.wake_at_ms - now);
    if (wait > 0) clock_.sleep_ms(wait, stop);
  }
  log_info("replicator_stopped", {});
}

ReplicatorStatus Replicator::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

}  // namespace claimsync::node
