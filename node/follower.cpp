#include "node/follower.hpp"

#include <algorithm>
#include <utility>

#include "node/finality.hpp"
#include "node/reorg.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

ScanSettings scan_settings(const FollowerOptions& o) {
  return {o.chain_id, o.contract, o.levels, o.sources, o.reorg_window, o.pipeline_min_blocks};
}

}  // namespace

FollowerOptions follower_options(const Config& config) {
  FollowerOptions o;
  o.chain_id = config.chain.chain_id;
  o.contract = config.chain.contract;
  o.start_block = config.chain.start_block;
  o.finality = config.chain.finality;
  o.confirmations = config.chain.confirmations;
  o.poll_interval_ms = config.chain.poll_interval_ms;
  o.levels = config.chain.levels;
  o.reorg_window = config.chain.reorg_window;
  o.range_blocks = std::max<std::uint64_t>(config.rpc.logs_max_span, 1);
  o.error_backoff_initial_ms = config.rpc.backoff_initial_ms;
  o.error_backoff_max_ms = std::max(config.rpc.backoff_max_ms, config.rpc.backoff_initial_ms);
  return o;
}

const char* follower_step_kind_name(FollowerStepKind kind) {
  switch (kind) {
    case FollowerStepKind::kCommitted: return "committed";
    case FollowerStepKind::kIdle: return "idle";
    case FollowerStepKind::kRolledBack: return "rolled_back";
    case FollowerStepKind::kRaced: return "raced";
  }
  return "?";
}

Follower::Follower(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                   FollowerOptions options)
    : chain_(chain),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      scanner_(chain, store, scan_settings(options_)),
      progress_(clock, options_.progress_interval_ms),
      span_(std::clamp<std::uint64_t>(options_.first_range_blocks, 1,
                                      std::max<std::uint64_t>(options_.range_blocks, 1))) {}

bool Follower::is_fatal(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kReorg:
    case ErrorCode::kCorruption:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kIOError:
    case ErrorCode::kInternal: return true;
    default: return false;
  }
}

Result<FollowerStep> Follower::step() {
  if (!chain_verified_) CLAIMSYNC_RETURN_IF_ERROR(verify_chain_id());
  Result<FinalityTarget> t = finality_target(chain_, options_.finality, options_.confirmations);
  if (!t.ok()) return t.status();
  const std::optional<std::uint64_t> checkpoint = store_.checkpoint();
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.target = t->target;
    status_.head = t->head;
    status_.checkpoint = checkpoint;
  }
  const std::uint64_t next = checkpoint ? *checkpoint + 1 : options_.start_block;
  Result<FollowerStep> r = behind_if_not_found(
      t->target && *t->target >= next ? scan_next(next, *t->target) : check_tip(next, t->head));
  if (!r.ok()) return r;
  r->target = t->target;
  if (!r->behind) {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.behind_now) {
      log_info("follower_chain_caught_up", {{"checkpoint", next - 1}});
      status_.last_error.clear();  // it said why the node was not advancing
    }
    status_.behind_now = false;
  }
  return r;
}

Result<FollowerStep> Follower::behind_if_not_found(Result<FollowerStep> r) {
  if (r.ok() || r.status().code() != ErrorCode::kNotFound) return r;
  return behind(r.status().message());
}

FollowerStep Follower::behind(const std::string& why) {
  FollowerStep step;
  step.behind = true;
  step.reason = "the RPC endpoints are behind the stored chain: " + why;
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.behind;
  status_.last_error = step.reason;
  if (!status_.behind_now) {
    log_warn("follower_chain_behind",
             {{"checkpoint", status_.checkpoint ? std::to_string(*status_.checkpoint) : "none"},
              {"reason", why},
              {"next",
               "waiting for the endpoints to catch up (nothing is rolled back); if this "
               "lasts, check chain.rpc_urls (rpc_endpoint_lagging events)"}});
  }
  status_.behind_now = true;
  return step;
}

Result<FollowerStep> Follower::scan_next(std::uint64_t next, std::uint64_t target) {
  const std::uint64_t span = span_;
  const std::uint64_t to = target - next < span ? target : next + span - 1;
  Result<RangeScan> scan = scanner_.scan(next, to, clock_.now_ms());
  if (!scan.ok()) return scan.status();
  FollowerStep step;
  step.range = scan->range;
  if (scan->verdict == ScanVerdict::kAnchorMismatch) return roll_back(scan->anchor, scan->reason);
  if (scan->verdict == ScanVerdict::kRaced) {
    log_info("follower_raced", {{"from", next}, {"to", to}, {"reason", scan->reason}});
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.races;
    step.kind = FollowerStepKind::kRaced;
    step.reason = scan->reason;
    return step;
  }
  Result<store::CommitOutcome> commit =
      store_.commit_range(scan->range, scan->blocks, scan->claims, clock_.now_ms());
  if (!commit.ok()) return commit.status().with_context("commit range");
  CLAIMSYNC_RETURN_IF_ERROR(prune(to));
  step.kind = FollowerStepKind::kCommitted;
  step.claims_found = scan->claims.size();
  adapt_span(to - next + 1, step.claims_found);
  step.commit = *commit;
  progress_.on_range(next, to, step.claims_found, target);
  log_debug("range_committed", {{"from", next},
                                {"to", to},
                                {"logs", scan->logs},
                                {"claims", step.claims_found},
                                {"new", commit->claims_new},
                                {"known", commit->claims_known},
                                {"revived", commit->claims_revived}});
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.ranges;
  status_.claims_new += commit->claims_new;
  status_.checkpoint = store_.checkpoint();
  return step;
}

void Follower::adapt_span(std::uint64_t blocks, std::uint64_t claims) {
  // The density just seen predicts the next range best: aim at range_claims_target claims,
  // but grow at most 32x per range (32x keeps a backfill of a sparse chain to 3-4 ranges
  // before range_blocks).
  const std::uint64_t target = std::max<std::uint64_t>(options_.range_claims_target, 1);
  const std::uint64_t most = std::max<std::uint64_t>(options_.range_blocks, 1);
  // An empty range (a backfill from the deploy block starts with one) measures no density
  // at all: grow only 2x after it. With 32x, 1M mints at 10,000 per block made the range
  // after the deploy block 32 blocks = 320,000 claims, and the follower's RSS ~550 MB.
  const std::uint64_t growth = claims == 0 ? 2 : 32;
  const std::uint64_t grow_cap = blocks > most / growth ? most : blocks * growth;
  // No overflow: blocks <= range_blocks and target are far below 2^32 in any config.
  const std::uint64_t aimed = claims == 0 ? grow_cap : blocks * target / claims;
  span_ = std::clamp<std::uint64_t>(aimed, 1, std::min(grow_cap, most));
}

Result<FollowerStep> Follower::check_tip(std::uint64_t next, std::optional<std::uint64_t> head) {
  FollowerStep idle;
  if (next == 0) return idle;
  std::vector<store::BlockRecord> tip = store_.blocks_descending(next - 1, 1);
  if (tip.empty()) return idle;
  const bool above_head = head && tip.front().number > *head;
  if (above_head) {
    // The endpoint's head is below the stored tip: lag (or a chain that got shorter).
    // Only the stored blocks it does serve can tell a fork.
    tip = store_.blocks_descending(*head, 1);
    if (tip.empty())
      return behind("head " + std::to_string(*head) + " is below every stored block");
  }
  Result<eth::BlockHeader> h = chain_.header(tip.front().number);
  if (!h.ok()) return h.status().with_context("tip check");  // kNotFound: behind
  if (h->hash == tip.front().hash) {
    if (!above_head) return idle;
    return behind("head " + std::to_string(*head) + " is below the checkpoint " +
                  std::to_string(next - 1));
  }
  return roll_back(tip.front().number, "stored block " + std::to_string(tip.front().number) +
                                           " is no longer canonical");
}

Result<FollowerStep> Follower::roll_back(std::uint64_t stale_block, const std::string& reason) {
  Result<ForkSearch> fork = find_fork_point(chain_, store_, stale_block, options_.start_block);
  if (!fork.ok()) return fork.status();
  if (fork->behind) {
    return behind("head " + std::to_string(fork->head) + " is below the stale block " +
                  std::to_string(stale_block) + " (" + reason + ")");
  }
  if (!fork->found) {
    const std::uint64_t lowest = fork->lowest_stored;
    const std::uint64_t suggest =
        lowest > options_.reorg_window ? lowest - options_.reorg_window : 0;
    const std::string next_step =
        "stop the node; run `claimsync rescan --config FILE --rollback --from X --to <target>` "
        "with X at or below the fork (e.g. " +
        std::to_string(std::max(suggest, options_.start_block)) +
        "); raise chain.reorg_window and chain.confirmations; restart";
    log_error("reorg_below_window", {{"stale_block", stale_block},
                                     {"lowest_stored", lowest},
                                     {"compared", static_cast<std::uint64_t>(fork->compared)},
                                     {"reason", reason},
                                     {"next", next_step}});
    return error(ErrorCode::kReorg, "reorg deeper than the stored window: no stored block from " +
                                        std::to_string(stale_block) + " down to " +
                                        std::to_string(lowest) + " is canonical; " + next_step);
  }
  const std::uint64_t before = store_.checkpoint().value_or(fork->fork_point);
  Result<store::RollbackOutcome> rolled = store_.rollback_to(fork->fork_point, clock_.now_ms());
  if (!rolled.ok()) return rolled.status().with_context("rollback");
  log_warn("reorg_rolled_back", {{"fork_point", fork->fork_point},
                                 {"stale_block", stale_block},
                                 {"orphaned", rolled->orphaned},
                                 {"revoking", rolled->revoking},
                                 {"blocks_dropped", rolled->blocks_dropped},
                                 {"reason", reason}});
  FollowerStep step;
  step.kind = FollowerStepKind::kRolledBack;
  step.fork_point = fork->fork_point;
  step.depth = before > fork->fork_point ? before - fork->fork_point : 0;
  step.rollback = *rolled;
  step.reason = reason;
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.reorgs;
  status_.orphaned += rolled->orphaned;
  status_.revoking += rolled->revoking;
  status_.checkpoint = store_.checkpoint();
  return step;
}

Status Follower::verify_chain_id() {
  Result<std::uint64_t> id = chain_.chain_id();
  if (!id.ok()) return id.status().with_context("chain id");
  if (*id != options_.chain_id) {
    const std::string msg = "the RPC serves chain " + std::to_string(*id) +
                            ", configured chain_id is " + std::to_string(options_.chain_id);
    log_error("wrong_chain", {{"error", msg}, {"next", "fix chain.rpc_urls or chain.chain_id"}});
    return error(ErrorCode::kFailedPrecondition, msg);
  }
  chain_verified_ = true;
  return {};
}

Status Follower::prune(std::uint64_t tip) {
  if (tip <= options_.reorg_window) return {};
  const std::uint64_t horizon = tip - options_.reorg_window;
  // Pruning is a synced write of its own: do it once the horizon moved by 1/8 window.
  const std::uint64_t stride = std::max<std::uint64_t>(options_.reorg_window / 8, 1);
  if (pruned_below_ != 0 && horizon < pruned_below_ + stride) return {};
  CLAIMSYNC_RETURN_IF_ERROR(store_.prune_blocks_below(horizon));
  pruned_below_ = horizon;
  return {};
}

std::int64_t Follower::backoff_ms(std::uint32_t failures) const {
  std::int64_t delay = std::max<std::int64_t>(options_.error_backoff_initial_ms, 1);
  for (std::uint32_t i = 1; i < failures && delay < options_.error_backoff_max_ms; ++i) delay *= 2;
  return std::min(delay,
                  std::max(options_.error_backoff_max_ms, options_.error_backoff_initial_ms));
}

void Follower::record_error(const Status& status, bool fatal) {
  std::lock_guard<std::mutex> lock(mu_);
  status_.last_error = status.to_string();
  status_.stopped_on_error = fatal;
  ++status_.consecutive_failures;
}

Status Follower::run(const StopFlag& stop) {
  Wakeup own(stop);
  return run(own);
}

Status Follower::run(const Wakeup& wake) {
  const StopFlag& stop = wake.stop();
  std::uint32_t failures = 0;
  while (!stop.stop_requested()) {
    // Taken before the step reads the head: a head announced during the step ends the
    // idle sleep below at once.
    const std::uint64_t token = wake.token();
    Result<FollowerStep> r = step();
    if (!r.ok()) {
      const bool fatal = is_fatal(r.status());
      record_error(r.status(), fatal);
      if (fatal) {
        log_error("follower_stopped", {{"error", r.status().to_string()},
                                       {"next", "fix the cause above, then restart the node"}});
        (void)store_.put_note("follower.last_error", r.status().to_string());
        return r.status();
      }
      const std::int64_t delay = backoff_ms(++failures);
      log_warn("follower_retry",
               {{"error", r.status().to_string()}, {"failures", failures}, {"retry_in_ms", delay}});
      clock_.sleep_ms(delay, stop);
      continue;
    }
    if (failures > 0) log_info("follower_recovered", {{"after_failures", failures}});
    failures = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.consecutive_failures = 0;
    }
    const bool new_work = (r->kind == FollowerStepKind::kCommitted && r->claims_found > 0) ||
                          r->kind == FollowerStepKind::kRolledBack;
    if (new_work && on_new_work_) on_new_work_();
    if (on_step_) on_step_(*r);
    if (r->kind == FollowerStepKind::kIdle || r->kind == FollowerStepKind::kRaced) {
      clock_.sleep_ms(options_.poll_interval_ms, wake, token);
    }
  }
  return {};
}

FollowerStatus Follower::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  FollowerStatus s = status_;
  s.progress = progress_.snapshot();
  return s;
}

}  // namespace claimsync::node
