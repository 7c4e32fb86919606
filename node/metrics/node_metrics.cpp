#include "node/metrics/node_metrics.hpp"

#include <algorithm>

namespace claimsync::node {
namespace {

template <std::size_t N>
std::vector<std::string_view> vocab(const std::array<std::string_view, N>& words) {
  return {words.begin(), words.end()};
}

// The index of `word` in `words`; the last entry ("other") when absent.
template <std::size_t N>
std::size_t index_of(const std::array<std::string_view, N>& words, std::string_view word) {
  const auto it = std::find(words.begin(), words.end(), word);
  return it == words.end() ? N - 1 : static_cast<std::size_t>(it - words.begin());
}

// rpc_errors_total kind: the RpcOutcome names without "ok".
const std::array<std::string_view, 4> kRpcErrorKinds = {"rate_limited", "timeout", "connection",
                                                        "other"};

std::size_t rpc_kind_index(eth::RpcOutcome outcome) {
  return index_of(kRpcErrorKinds, eth::rpc_outcome_name(outcome));
}

}  // namespace

DbStatus db_status_of(const Status& status, std::size_t rejected) {
  switch (status.code()) {
    case ErrorCode::kOk: return rejected > 0 ? DbStatus::kPartial : DbStatus::kOk;
    case ErrorCode::kUnavailable: return DbStatus::kUnavailable;
    case ErrorCode::kTimeout: return DbStatus::kTimeout;
    case ErrorCode::kCancelled: return DbStatus::kCancelled;
    case ErrorCode::kFailedPrecondition: return DbStatus::kSchema;
    default: return DbStatus::kError;
  }
}

template <typename Metric>
NodeMetrics::Lazy<Metric>::Lazy(Family<Metric>& family,
                                std::vector<std::vector<std::string_view>> vocabularies)
    : family_(family), vocabularies_(std::move(vocabularies)) {
  std::size_t n = 1;
  for (const auto& v : vocabularies_) n *= v.size();
  slots_ = std::vector<std::atomic<Metric*>>(n);
}

template <typename Metric>
Metric& NodeMetrics::Lazy<Metric>::at(const std::vector<std::size_t>& index) {
  std::size_t slot = 0;
  for (std::size_t d = 0; d < vocabularies_.size(); ++d) {
    slot = slot * vocabularies_[d].size() + std::min(index[d], vocabularies_[d].size() - 1);
  }
  if (Metric* m = slots_[slot].load(std::memory_order_acquire)) return *m;
  // First use: with() returns the same child to racing threads (it locks the family).
  std::vector<std::string> values;
  for (std::size_t d = 0; d < vocabularies_.size(); ++d) {
    values.emplace_back(vocabularies_[d][std::min(index[d], vocabularies_[d].size() - 1)]);
  }
  Metric& m = family_.with(values);
  slots_[slot].store(&m, std::memory_order_release);
  return m;
}

NodeMetrics::NodeMetrics(std::uint64_t chain_id, std::string version)
    : chain_label_(std::to_string(chain_id)),
      sync_block_(registry_
                      .gauge("claimsync_sync_block",
                             "Highest block the node has scanned completely (its checkpoint).",
                             {"chain"})
                      .with({chain_label_})),
      chain_head_(registry_
                      .gauge("claimsync_chain_head_block",
                             "Highest chain head an RPC endpoint reported.", {"chain"})
                      .with({chain_label_})),
      target_(registry_
                  .gauge("claimsync_target_block",
                         "The follower's finality target: the finalized or safe block, or head "
                         "minus chain.confirmations.",
                         {"chain"})
                  .with({chain_label_})),
      blocks_behind_(registry_
                         .gauge("claimsync_blocks_behind",
                                "Blocks between the sync block and the finality target.", {"chain"})
                         .with({chain_label_})),
      realtime_(registry_
                    .gauge("claimsync_sync_is_realtime",
                           "1 when the node has caught up with the target and has nothing "
                           "pending, else 0.",
                           {"chain"})
                    .with({chain_label_})),
      claims_(
          registry_.gauge("claimsync_claims", "Claims in the node's outbox by state.", {"state"})),
      oldest_pending_(registry_
                          .gauge("claimsync_oldest_pending_age_seconds",
                                 "Age of the oldest pending or retrying claim (0 when none).")
                          .with()),
      rpc_reachable_(registry_
                         .gauge("claimsync_rpc_reachable",
                                "1 when the last chain request succeeded, 0 when it failed "
                                "or none was made yet.")
                         .with()),
      sink_reachable_(registry_
                          .gauge("claimsync_sink_reachable",
                                 "1 when the membership database answered the last call, 0 "
                                 "when it is down or was not reached yet.")
                          .with()),
      sink_paused_(registry_
                       .gauge("claimsync_sink_paused",
                              "1 while the replicator pauses after database failures.")
                       .with()),
      sink_failures_(registry_
                         .gauge("claimsync_sink_consecutive_failures",
                                "Consecutive whole-call failures of the membership database.")
                         .with()),
      ha_active_(registry_
                     .gauge("claimsync_ha_active",
                            "Active/standby ([ha]): 1 while this node holds the lease and "
                            "replicates, 0 while it stands by; absent without [ha].")
                     .with()),
      ha_takeovers_(registry_
                        .counter("claimsync_ha_takeovers_total",
                                 "Active/standby ([ha]): times this process took the lease.")
                        .with()),
      mints_(registry_.counter("claimsync_mints_ingested_total",
                               "New claims (mints of the contract) ingested, by how they "
                               "were first found.",
                               {"chain", "source"}),
             {{chain_label_}, vocab(kIngestSources)}),
      reorgs_(registry_
                  .counter("claimsync_reorgs_total",
                           "Chain reorganisations the follower rolled back.", {"chain"})
                  .with({chain_label_})),
      reorg_depth_(registry_
                       .histogram("claimsync_reorg_depth_blocks",
                                  "Blocks rolled back per reorganisation.", {"chain"},
                                  {1, 2, 3, 5, 10, 20, 50, 100, 250, 1000})
                       .with({chain_label_})),
      rpc_requests_(registry_.counter("claimsync_rpc_requests_total",
                                      "JSON-RPC call attempts by method and status (ok|error).",
                                      {"method", "status"}),
                    {vocab(kRpcMethods), {"ok", "error"}}),
      rpc_duration_(registry_.histogram("claimsync_rpc_request_duration_seconds",
                                        "Round trip of a JSON-RPC call attempt (a batch's "
                                        "round trip for each of its calls).",
                                        {"method"}, rpc_duration_buckets()),
                    {vocab(kRpcMethods)}),
      rpc_errors_(registry_.counter("claimsync_rpc_errors_total",
                                    "Failed JSON-RPC call attempts by method and kind "
                                    "(rate_limited|timeout|connection|other).",
                                    {"method", "kind"}),
                  {vocab(kRpcMethods), vocab(kRpcErrorKinds)}),
      db_calls_(registry_.counter("claimsync_db_operations_total",
                                  "Membership database calls by operation and status "
                                  "(ok|partial|unavailable|timeout|cancelled|schema|error).",
                                  {"operation", "status"}),
                {vocab(kDbOperations), vocab(kDbStatuses)}),
      db_duration_(registry_.histogram("claimsync_db_operation_duration_seconds",
                                       "Duration of a membership database call, reconnecting "
                                       "included.",
                                       {"operation"}, db_duration_buckets()),
                   {vocab(kDbOperations)}),
      db_errors_(registry_.counter("claimsync_db_errors_total",
                                   "Membership database calls that failed as a whole "
                                   "(a stop's cancellation excluded).",
                                   {"operation"}),
                 {vocab(kDbOperations)}),
      db_rejected_(registry_.counter("claimsync_db_rejected_claims_total",
                                     "Claims the membership database rejected one by one "
                                     "(the rest of their call committed).",
                                     {"operation"}),
                   {vocab(kDbOperations)}),
      hints_(registry_.counter("claimsync_hints_total",
                               "Claim hints (frontend POSTs, webhooks) by source and outcome.",
                               {"source", "outcome"}),
             {vocab(kHintSources), vocab(kHintOutcomes)}),
      attestations_(registry_.counter("claimsync_attestations_total",
                                      "Referrer attestations checked, by signature scheme "
                                      "and result.",
                                      {"scheme", "result"}),
                    {vocab(kAttestationSchemes), vocab(kAttestationResults)}),
      webhooks_(registry_.counter("claimsync_webhook_requests_total",
                                  "Provider webhook requests by provider and result.",
                                  {"provider", "result"}),
                {vocab(kWebhookProviders), vocab(kWebhookResults)}) {
  registry_.gauge("claimsync_build_info", "Build information; the value is always 1.", {"version"})
      .with({std::move(version)})
      .set(1);
  for (int s = 0; s < store::kClaimStateCount; ++s) {
    claims_.with({claim_state_name(static_cast<store::ClaimState>(s))});
  }
  registry_.on_scrape([this] { refresh(); });
}

void NodeMetrics::hint(std::string_view source, std::string_view outcome) {
  hints_.at({index_of(kHintSources, source), index_of(kHintOutcomes, outcome)}).inc();
}

void NodeMetrics::attestation(std::string_view scheme, std::string_view result) {
  attestations_.at({index_of(kAttestationSchemes, scheme), index_of(kAttestationResults, result)})
      .inc();
}

void NodeMetrics::webhook_request(std::string_view provider, std::string_view result) {
  webhooks_.at({index_of(kWebhookProviders, provider), index_of(kWebhookResults, result)}).inc();
}

void NodeMetrics::mints_ingested(std::string_view source, std::uint64_t count) {
  if (count > 0) mints_.at({0, index_of(kIngestSources, source)}).inc(count);
}

void NodeMetrics::follower_step(const FollowerStep& step) {
  if (step.kind == FollowerStepKind::kCommitted) {
    mints_ingested("scan", step.commit.claims_new);
  } else if (step.kind == FollowerStepKind::kRolledBack) {
    reorgs_.inc();
    reorg_depth_.observe(static_cast<double>(step.depth));
  }
}

void NodeMetrics::rpc_attempt(const eth::RpcAttempt& attempt) {
  const std::size_t method = index_of(kRpcMethods, attempt.method);
  const bool ok = attempt.outcome == eth::RpcOutcome::kOk;
  rpc_requests_.at({method, ok ? 0u : 1u}).inc();
  rpc_duration_.at({method}).observe(attempt.seconds);
  if (!ok) rpc_errors_.at({method, rpc_kind_index(attempt.outcome)}).inc();
}

eth::RpcObserver NodeMetrics::rpc_observer() {
  return [this](const eth::RpcAttempt& attempt) { rpc_attempt(attempt); };
}

void NodeMetrics::db_operation(DbOperation op, DbStatus status, double seconds,
                               std::size_t rejected) {
  const auto o = static_cast<std::size_t>(op);
  db_calls_.at({o, static_cast<std::size_t>(status)}).inc();
  db_duration_.at({o}).observe(seconds);
  const bool failed =
      status != DbStatus::kOk && status != DbStatus::kPartial && status != DbStatus::kCancelled;
  if (failed) db_errors_.at({o}).inc();
  if (rejected > 0) db_rejected_.at({o}).inc(rejected);
}

void NodeMetrics::set_status_source(std::function<StatusReport()> source) {
  std::lock_guard<std::mutex> lock(source_mu_);
  status_source_ = std::move(source);
}

void NodeMetrics::refresh() {
  std::function<StatusReport()> source;
  {
    std::lock_guard<std::mutex> lock(source_mu_);
    source = status_source_;
  }
  if (!source) return;
  const StatusReport r = source();
  auto set_opt = [](Gauge& g, std::optional<std::uint64_t> v) {
    if (v)
      g.set(static_cast<double>(*v));
    else
      g.unset();
  };
  set_opt(sync_block_, r.checkpoint);
  set_opt(chain_head_, r.head);
  set_opt(target_, r.target);
  if (r.target) {
    const std::uint64_t done = r.checkpoint.value_or(0);
    blocks_behind_.set(static_cast<double>(*r.target > done ? *r.target - done : 0));
  } else {
    blocks_behind_.unset();
  }
  realtime_.set(r.caught_up() ? 1 : 0);
  for (int s = 0; s < store::kClaimStateCount; ++s) {
    const auto state = static_cast<store::ClaimState>(s);
    claims_.with({claim_state_name(state)}).set(static_cast<double>(r.counters.of(state)));
  }
  oldest_pending_.set(static_cast<double>(r.oldest_pending_age_s.value_or(0)));
  rpc_reachable_.set(r.rpc_reachable.value_or(false) ? 1 : 0);
  sink_reachable_.set(r.db_reachable.value_or(false) ? 1 : 0);
  sink_paused_.set(r.db_paused ? 1 : 0);
  sink_failures_.set(static_cast<double>(r.db_failures));
  if (r.ha) {
    ha_active_.set(r.ha->role == "active" ? 1 : 0);
    ha_takeovers_.raise_to(r.ha->takeovers);
  } else {
    ha_active_.unset();
  }
}

std::string NodeMetrics::render() { return registry_.render(); }

}  // namespace claimsync::node
