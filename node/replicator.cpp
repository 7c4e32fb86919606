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

}  // namespace

Replicator::Replicator(store::NodeStore& store, store::MembershipSink& sink, Clock& clock,
                       const ReplicatorConfig& config, std::uint64_t jitter_seed)
    : store_(store), sink_(sink), clock_(clock), config_(config), rng_(jitter_seed) {
  config_.batch_size = std::max<std::size_t>(config_.batch_size, 1);
  config_.max_batch_size = std::max(config_.max_batch_size, config_.batch_size);
  batch_limit_ = config_.batch_size;
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
  const bool standby = gate_ && !gate_();
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    status_.standby = standby;
  }
  if (standby) {
    out.kind = StepKind::kStandby;
    out.wake_at_ms = now + config_.idle_poll_ms;
    return out;
  }
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

  const std::size_t limit = batch_limit_;
  auto due = store_.due(now, limit);
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
  // Grow on a backlog that goes through cleanly; back to the base size on any trouble.
  if (!ok || out.failed > 0) {
    batch_limit_ = config_.batch_size;
  } else if (out.taken >= limit) {
    batch_limit_ = std::min(config_.max_batch_size, limit * 2);
  }
  return out;
}

bool Replicator::replicate_group(Op op, const std::vector<Claim>& taken, StepResult& out) {
  // Marked before the call, durably: once the sink may hold a claim's rows (whatever the
  // call's outcome: a lost reply looks like an outage), a reorg revokes it instead of
  // orphaning it, so the sink converges to the chain without a record of the call. Only
  // what mark_sent returns goes to the sink: a claim a reorg moved since due() (e.g.
  // orphaned while this thread waited for the store's lock) must not, since nothing
  // would undo its rows.
  auto marked = store_.mark_sent(op, taken);
  if (!marked.ok()) {
    pause(PauseCause::kStore, marked.status().with_context("mark_sent"));
    return false;
  }
  const std::vector<Claim>& group = *marked;
  if (group.empty()) return true;  // all moved by a reorg meanwhile: their new work is due
  const bool apply = op == Op::kApply;
  store::SinkResult result = apply ? sink_.apply(group) : sink_.revoke(group);
  if (!result.status.ok()) {
    pause(PauseCause::kSink, result.status.with_context(apply ? "apply" : "revoke"));
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
  if (!result.rejected.empty() && !settle_rejected(op, group, result.rejected, out)) return false;

  std::lock_guard<std::mutex> lock(status_mu_);
  ++status_.batches;
  status_.last_success_at_ms = clock_.now_ms();
  return true;
}

bool Replicator::settle_committed(Op op, const std::vector<Claim>& committed, StepResult& out) {
  if (committed.empty()) return true;
  auto settled = store_.settle(op, committed, clock_.now_ms());
  if (!settled.ok()) {
    pause(PauseCause::kStore, settled.status().with_context("settle"));
    return false;
  }
  if (settled->skipped > 0) {
    // A reorg moved these claims while the sink committed them. Their new state is due
    // work (a revoke, or the apply again) that brings the sink back in line by itself.
    log_info("replicator_reorg_race",
             {{"op", op == Op::kApply ? "apply" : "revoke"},
              {"claims", committed.size()},
              {"left_to_repair", settled->skipped},
              {"next", "none: the reorg's repair is due now and retried like any claim"}});
  }
  const std::uint64_t n = settled->settled;
  (op == Op::kApply ? out.replicated : out.revoked) += n;
  std::lock_guard<std::mutex> lock(status_mu_);
  (op == Op::kApply ? status_.replicated : status_.revoked) += n;
  return true;
}

bool Replicator::settle_rejected(Op op, const std::vector<Claim>& group,
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
    auto state = store_.mark_failed(claim.key, rej.error, retry_at, config_.max_attempts, now, op);
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
  if (st.code() == ErrorCode::kCancelled) {  // shutdown: the claims wait in the outbox
    StepResult out;
    out.kind = StepKind::kPaused;
    out.wake_at_ms = now;
    return out;
  }
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
    // A long outage stays visible without a line per probe: one at 2, 4, 8, ... failures.
    const bool milestone = (consecutive_failures_ & (consecutive_failures_ - 1)) == 0;
    log_event(milestone ? LogLevel::kWarn : LogLevel::kDebug, "replicator_still_paused",
              {{"error", st.to_string()},
               {"retry_in_ms", delay},
               {"failures", consecutive_failures_},
               {"paused_ms", now - paused_since_ms_},
               {"next", pause_next_step(store_failed, st)}});
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
  Wakeup own(stop);
  run(own);
}

void Replicator::run(const Wakeup& wake) {
  const StopFlag& stop = wake.stop();
  log_info("replicator_started",
           {{"batch_size", static_cast<std::uint64_t>(config_.batch_size)},
            {"max_batch_size", static_cast<std::uint64_t>(config_.max_batch_size)},
            {"max_attempts", config_.max_attempts}});
  // Connect (and migrate) now, concurrently with the follower's first scan. A failure
  // pauses like any outage; the first step after the pause probes again.
  if (Status st = sink_.ping(); !st.ok()) {
    pause(PauseCause::kSink, st.with_context("connect"));
  } else {
    resume();
  }
  while (!stop.stop_requested()) {
    // Taken before the step looks for work: a commit during the step ends the sleep below.
    const std::uint64_t token = wake.token();
    const StepResult r = step();
    if (r.kind == StepKind::kReplicated) continue;  // more may be due right away
    const std::int64_t now = clock_.now_ms();
    if (r.kind == StepKind::kPaused) {
      // Only a stop ends a pause early: new claims do not make the database come back.
      if (const std::int64_t wait = r.wake_at_ms.value_or(now) - now; wait > 0)
        clock_.sleep_ms(wait, stop);
      continue;
    }
    std::int64_t wait = config_.idle_poll_ms;
    if (r.wake_at_ms) wait = std::min(wait, *r.wake_at_ms - now);
    if (wait > 0) clock_.sleep_ms(wait, wake, token);
  }
  log_info("replicator_stopped", {});
}

ReplicatorStatus Replicator::status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

}  // namespace claimsync::node
