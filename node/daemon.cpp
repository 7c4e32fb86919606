#include "node/daemon.hpp"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <optional>
#include <thread>

#include "node/alerts/alert_notifier.hpp"
#include "node/api/http_server.hpp"
#include "node/chain_factory.hpp"
#include "node/intake/intake_options.hpp"
#include "node/webhooks/webhook_service.hpp"
#include "node/follower.hpp"
#include "node/ha/lease_keeper.hpp"
#include "node/ha/takeover_gate.hpp"
#include "node/lazy_sink.hpp"
#include "node/metrics/metered_sink.hpp"
#include "node/metrics/node_metrics.hpp"
#include "node/new_heads_options.hpp"
#include "node/reconcile/reconcile_run.hpp"
#include "node/reconcile/reconcile_schedule.hpp"
#include "node/replicator.hpp"
#include "node/rescan.hpp"
#include "rpc/logging.hpp"
#include "storage/laned_sink.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {
namespace {

store::StoreIdentity identity_of(const Config& config) {
  return {config.chain.chain_id, config.chain.contract, config.chain.start_block};
}

// A thread that records when its body has returned, so shutdown can wait with a deadline.
class Worker {
 public:
  template <typename Fn>
  explicit Worker(Fn fn)
      : thread_([this, fn]() mutable {
          fn();
          std::lock_guard<std::mutex> lock(mu_);
          done_ = true;
          cv_.notify_all();
        }) {}
  ~Worker() {
    if (thread_.joinable()) thread_.join();
  }
  // Joins if the body returns within `ms` (waits on the body's end, not on the stop flag,
  // which is already set during shutdown); false (still running) otherwise.
  bool join_within(std::int64_t ms) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return done_; })) return false;
    lock.unlock();
    thread_.join();
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// The pair's side of the report ([ha]); nullptr keeper: a single node.
struct HaView {
  const LeaseKeeper* keeper = nullptr;
  const TakeoverGate* gate = nullptr;
};

StatusReport live_report(const store::NodeStore& store, const Follower& follower,
                         const Replicator& replicator,
                         const eth::NewHeadsSubscription* subscription, std::int64_t now_ms,
                         const HaView& ha = {}) {
  StatusReport r = store_status(store, now_ms);
  if (ha.keeper != nullptr) {
    const HaStatus h = ha.keeper->status();
    r.ha = StatusReport::Ha{ha_role_name(h.role),
                            h.node_id,
                            h.holder,
                            h.token,
                            h.takeovers,
                            h.role_since_ms,
                            ha.gate != nullptr ? ha.gate->adopted_token() : 0,
                            h.last_error};
    // A standby does not drain its outbox: its pending age is not an alert (the active
    // node's is).
    if (r.standby()) r.oldest_pending_age_s.reset();
  }
  r.running = true;
  r.pid = static_cast<std::int64_t>(::getpid());
  r.snapshot_age_ms = 0;
  const FollowerStatus f = follower.status();
  r.head = f.head;
  r.target = f.target;
  if (f.target || f.consecutive_failures > 0) r.rpc_reachable = f.consecutive_failures == 0;
  r.follower_error = f.last_error;
  const ReplicatorStatus rep = replicator.status();
  r.db_paused = rep.paused;
  r.db_failures = rep.consecutive_failures;
  if (rep.paused) r.db_retry_in_ms = std::max<std::int64_t>(rep.paused_until_ms - now_ms, 0);
  if (rep.paused) {
    r.db_reachable = false;
  } else if (rep.last_success_at_ms > 0) {
    r.db_reachable = true;
  }
  if (rep.paused) r.db_error = rep.last_error;
  if (subscription != nullptr) {
    const eth::NewHeadsStatus ws = subscription->status();
    r.subscription = StatusReport::Subscription{ws.connected, ws.heads, ws.reconnects, ws.ignored,
                                                ws.last_error};
  }
  // The freshest error of either side is what the operator most needs to see.
  if (!rep.last_error.empty() && rep.last_error_at_ms > 0) r.last_error = rep.last_error;
  if (!f.last_error.empty() && f.stopped_on_error) r.last_error = f.last_error;
  return r;
}

// Written to a temporary file and renamed: a reader sees the old or the new snapshot.
void write_snapshot(const std::string& path, const StatusReport& report) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;  // the data dir vanished; the store will fail loudly on its own
    out << report.to_json().dump() << "\n";
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

// `claimsync status` on a stopped node holds the store's lock for a moment; a node started
// in that moment waits for it (bounded) instead of failing.
Result<std::unique_ptr<store::NodeStore>> open_store(const Config& config, const StopFlag& stop) {
  constexpr int kAttempts = 25;  // 25 x 200 ms
  for (int i = 1;; ++i) {
    auto store = store::NodeStore::open(config.storage.data_dir, identity_of(config));
    if (store.ok() || store.status().code() != ErrorCode::kFailedPrecondition || i == kAttempts)
      return store;
    if (stop.wait_for_ms(200)) return store;
  }
}

// "<hostname>:<data_dir>" unless ha.node_id names the node.
std::string ha_node_id(const Config& config) {
  if (!config.ha.node_id.empty()) return config.ha.node_id;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "node");
  std::error_code ec;
  const auto dir = std::filesystem::absolute(config.storage.data_dir, ec);
  return std::string(host) + ":" + (ec ? config.storage.data_dir : dir.lexically_normal().string());
}

// The lease holder: the node id and a random instance, so that a restarted process (or two
// nodes configured with the same id by mistake) never passes for the one that held it.
LeaseKeeperOptions ha_options(const Config& config) {
  LeaseKeeperOptions o;
  o.lease_key = std::to_string(config.chain.chain_id) + ":" + config.chain.contract.lower_hex();
  o.node_id = ha_node_id(config);
  std::random_device rd;
  char instance[17];
  std::snprintf(instance, sizeof(instance), "%08x%08x", rd(), rd());
  o.holder = o.node_id + "/" + instance;
  o.ttl_ms = config.ha.lease_ttl_ms;
  o.renew_every_ms = config.ha.renew_every_ms();
  return o;
}

AlertThresholds alert_thresholds(const AlertsConfig& a) {
  AlertThresholds t;
  t.pending_age_s = a.pending_age_s;
  t.blocks_behind = a.blocks_behind;
  t.behind_for_s = a.behind_for_s;
  t.sink_down_for_s = a.sink_down_for_s;
  t.rpc_down_for_s = a.rpc_down_for_s;
  return t;
}

// REQUIRES: config.alerts.webhook_url valid (load_config checked it).
AlertNotifierOptions alert_notifier_options(const Config& config) {
  AlertNotifierOptions o;
  o.url = eth::parse_http_url(config.alerts.webhook_url).value();
  o.format = config.alerts.format;
  o.label = "chain " + std::to_string(config.chain.chain_id) + ", contract " +
            config.chain.contract.checksummed();
  o.min_interval_ms = config.alerts.min_interval_s * 1000;
  o.timeout_ms = config.alerts.timeout_ms;
  return o;
}

}  // namespace

std::string status_snapshot_path(const Config& config) {
  return config.storage.data_dir + "/status.json";
}

int run_daemon(const Config& config, const DaemonOptions& options, StopFlag& stop) {
  SystemClock clock;
  auto store = open_store(config, stop);
  if (!store.ok()) {
    log_error("store_open_failed",
              {{"data_dir", config.storage.data_dir},
               {"error", store.status().to_string()},
               {"next",
                "is another claimsync running on this data dir, or does it belong to "
                "another chain/contract? use a separate storage.data_dir"}});
    return 1;
  }
  // Metrics (issue 12): fed by the RPC observer, the MeteredSink, the follower's step hook
  // and, at scrape time, the live status report. Declared first: it outlives its users.
  NodeMetrics metrics(config.chain.chain_id, CLAIMSYNC_VERSION);
  auto chain = open_chain_source(config, clock, &stop, metrics.rpc_observer());
  if (!chain.ok()) {
    log_error("chain_config_invalid", {{"error", chain.status().to_string()},
                                       {"next", "fix chain.rpc_urls in the config"}});
    return 2;
  }
  // Wake-ups on the hot path (issue 11): a commit wakes the replicator at once, so a claim
  // waits neither for replicator.idle_poll_ms nor for the next poll; the polls stay as the
  // safety net.
  Wakeup follower_wake(stop);
  Wakeup replicator_wake(stop);

  // Active/standby ([ha]): the lease keeper decides the role; the sink's fence checks it in
  // every write transaction; the gate holds the replicator back on a standby and adopts the
  // sink's ledger at each takeover.
  std::unique_ptr<store::SinkLease> lease;
  std::unique_ptr<LeaseKeeper> keeper;
  if (config.ha.enabled) {
    lease = store::open_postgres_lease(config.sink.url, {config.sink.call_timeout_ms, &stop});
    keeper =
        std::make_unique<LeaseKeeper>(*lease, clock, ha_options(config),
                                      [&replicator_wake](HaRole) { replicator_wake.notify(); });
  }
  // Every sink call is bounded and interrupted by the stop, so shutdown never waits on a
  // silently dead database connection. A backlog's applies are spread by wallet over
  // sink.write_connections connections (storage/laned_sink.hpp), each fenced alike.
  std::vector<std::unique_ptr<store::MembershipSink>> lanes;
  for (std::size_t i = 0; i < config.sink.effective_write_connections(); ++i) {
    lanes.push_back(std::make_unique<LazySink>(
        config.sink.url, options.migrate,
        store::SinkOptions{config.sink.call_timeout_ms, &stop, keeper.get()}));
  }
  store::LanedSink laned_sink(std::move(lanes));
  MeteredSink sink(laned_sink, metrics, clock);
  Follower follower(**chain, **store, clock, follower_options(config));
  follower.set_on_step([&metrics](const FollowerStep& step) { metrics.follower_step(step); });
  Replicator replicator(**store, sink, clock, config.replicator);
  std::unique_ptr<TakeoverGate> gate;
  if (keeper) {
    gate = std::make_unique<TakeoverGate>(*keeper, **store, config.sink.url,
                                          store::SinkOptions{config.sink.call_timeout_ms, &stop},
                                          config.chain.chain_id, clock);
    replicator.set_gate([&gate] { return gate->may_replicate(); });
  }
  const HaView ha_view{keeper.get(), gate.get()};
  log_info(
      "node_started",
      {{"chain_id", config.chain.chain_id},
       {"contract", config.chain.contract.checksummed()},
       {"data_dir", config.storage.data_dir},
       {"sink", mask_url(config.sink.url)},
       {"checkpoint", (*store)->checkpoint() ? std::to_string(*(*store)->checkpoint()) : "none"}});

  follower.set_on_new_work([&replicator_wake] { replicator_wake.notify(); });

  // Hints (POST /v1/claims, served by the API): verified on chain by the intake's own
  // bounded workers; an ingested hint wakes the replicator like a follower commit.
  std::unique_ptr<IntakeService> intake;
  if (config.api.enabled) {
    IntakeHooks hooks;
    hooks.on_ingested = [&replicator_wake] { replicator_wake.notify(); };
    hooks.on_hint = [&metrics](std::uint32_t source, const std::string& outcome) {
      metrics.hint(source == store::kSourceWebhook ? "webhook" : "intake", outcome);
    };
    hooks.on_attestation = [&metrics](const std::string& scheme, const std::string& result) {
      metrics.attestation(scheme, result);
    };
    intake = std::make_unique<IntakeService>(**chain, **store, clock, stop, intake_options(config),
                                             default_attestation_checks(**chain), std::move(hooks));
    intake->start();
  }

  // Provider webhooks (POST /v1/webhooks/{provider}, a provider is on when its secret
  // variable is set): verified, reduced to hints, handed to the intake like POST /v1/claims.
  std::unique_ptr<WebhookService> webhooks;
  if (intake) {
    WebhookHooks hooks;
    hooks.on_request = [&metrics](std::string_view provider, std::string_view result) {
      metrics.webhook_request(provider, result);
    };
    webhooks = std::make_unique<WebhookService>(
        config.webhooks, config.chain.chain_id, config.chain.contract,
        [&intake](const eth::Hash32& tx, bool recheck) {
          return intake->submit_hint(tx, std::nullopt, store::kSourceWebhook, recheck);
        },
        clock, std::move(hooks));
    std::string on;
    for (const auto& [name, p] : config.webhooks.providers)
      if (!p.secret.empty()) on += (on.empty() ? "" : ",") + name;
    if (!on.empty()) {
      log_info("webhooks_enabled",
               {{"providers", on},
                {"path", "/v1/webhooks/{provider}"},
                {"next", "point each provider at this path (README: Webhooks)"}});
    }
  }

  // newHeads (chain.ws_urls): a head wakes the follower at once; the poll stays the
  // fallback whenever the socket is down. Only a hint: the follower reads the chain itself.
  std::unique_ptr<eth::NewHeadsSubscription> subscription;
  if (!config.chain.ws_urls.empty()) {
    subscription = std::make_unique<eth::NewHeadsSubscription>(
        new_heads_options(config), clock,
        [&follower_wake](const eth::HeadHint&) { follower_wake.notify(); });
  }

  metrics.set_status_source([&] {
    StatusReport r =
        live_report(**store, follower, replicator, subscription.get(), clock.now_ms(), ha_view);
    for (const eth::EndpointHealth& h : (*chain)->endpoint_health()) {  // finality tags: no head
      if (h.head && (!r.head || *h.head > *r.head)) r.head = h.head;
    }
    return r;
  });
  // for the API server's /metrics (text format 0.0.4, node/metrics/exposition_text.hpp)
  const std::function<std::string()> metrics_text = [&metrics] { return metrics.render(); };

  // Reconcile runs (issue 14): POST /v1/admin/reconcile and, with reconcile.interval_s,
  // the scheduled ones, one at a time, on a chain client of their own (the follower's is
  // used by its thread only) and a sink connection of their own, opened per run.
  std::unique_ptr<eth::ChainSource> reconcile_chain;
  std::unique_ptr<ReconcileSchedule> reconcile;
  if (config.api.enabled || config.reconcile.interval_s > 0) {
    auto rc = open_chain_source(config, clock, &stop);
    if (rc.ok()) reconcile_chain = std::move(rc.value());
  }
  if (reconcile_chain) {
    const std::optional<ReconcileSummary> last = read_last_reconcile(**store);
    if (last) metrics.reconcile_restored(*last);
    reconcile = std::make_unique<ReconcileSchedule>(
        [&](const std::string& at, std::size_t samples) {
          // The same run as `claimsync reconcile --json`, over the live store (reads only).
          ReconcileSettings s = reconcile_settings(config);
          s.at = at;
          s.samples = samples;
          auto sink_reader = store::open_sink_snapshot_reader(
              config.sink.url, store::SinkOptions{config.sink.call_timeout_ms, &stop});
          const std::string sink_error = sink_reader.ok() ? "" : sink_reader.status().to_string();
          return run_reconcile(*reconcile_chain, **store,
                               sink_reader.ok() ? sink_reader->get() : nullptr, sink_error, s,
                               clock);
        },
        [&](const ReconcileSummary& run) {
          metrics.reconcile_run(run);
          if (Status st = write_last_reconcile(**store, run); !st.ok()) {
            log_warn("reconcile_note_failed",
                     {{"error", st.to_string()},
                      {"next", "claimsync status will not show this run; check the data dir"}});
          }
        },
        clock, config.reconcile.interval_s,
        last ? std::optional<std::int64_t>(last->finished_at_ms) : std::nullopt);
    if (config.reconcile.interval_s > 0) {
      const bool short_interval = config.reconcile.interval_s < kShortReconcileIntervalS;
      (short_interval ? log_warn : log_info)(
          "reconcile_scheduled",
          {{"interval_s", config.reconcile.interval_s},
           {"at", "finalized"},
           {"next", short_interval ? "an interval this short is for tests: every run reads "
                                     "every claim, sink row and balance; use 3600 or more"
                                   : "results in /metrics (claimsync_reconcile_*) and status"}});
    }
  }

  // The HTTP API (api.enabled). Admin rescans get their own chain client: the follower's
  // is used by its thread only.
  std::unique_ptr<eth::ChainSource> rescan_chain;
  std::unique_ptr<HttpServer> api;
  if (config.api.enabled) {
    auto c = open_chain_source(config, clock, &stop);
    if (c.ok()) rescan_chain = std::move(c.value());
    ApiServices services;
    services.store = store->get();
    services.chain_id = config.chain.chain_id;
    services.intake = intake.get();
    services.webhooks = webhooks.get();
    services.webhook_max_body_bytes = config.webhooks.max_body_bytes;
    services.metrics_text = metrics_text;
    services.status = [&] {
      return live_report(**store, follower, replicator, subscription.get(), clock.now_ms(), ha_view)
          .to_json();
    };
    if (rescan_chain) {
      services.rescan = [&](const RescanOptions& o) {
        return rescan_range(*rescan_chain, **store, clock, follower_options(config), o);
      };
    }
    if (reconcile) {
      services.reconcile = [&](const std::string& at,
                               std::size_t samples) -> std::optional<nlohmann::json> {
        std::optional<ReconcileReport> report = reconcile->try_run(at, samples, "admin");
        if (!report) return std::nullopt;
        return std::optional<nlohmann::json>(std::in_place, report->to_json());
      };
    }
    services.wake_replicator = [&replicator_wake] { replicator_wake.notify(); };
    services.now_ms = [&clock] { return clock.now_ms(); };
    api = std::make_unique<HttpServer>(config.api, std::move(services));
    if (Status st = api->start(); !st.ok()) {
      log_error("api_start_failed",
                {{"listen", config.api.listen},
                 {"error", st.to_string()},
                 {"next", "free the port or change api.listen (or set api.enabled = false)"}});
      return 1;
    }
  }

  Status follower_result;
  std::atomic<bool> line_stopped{false};
  Worker follower_thread([&] {
    Status st = follower.run(follower_wake);
    if (!st.ok()) {
      follower_result = st;
      line_stopped.store(true);
      log_error("node_stopping",
                {{"reason", "follower stopped the line"}, {"error", st.to_string()}});
      stop.request_stop();
    }
  });
  Worker replicator_thread([&] { replicator.run(replicator_wake); });
  std::unique_ptr<Worker> lease_thread;
  if (keeper) lease_thread = std::make_unique<Worker>([&] { keeper->run(stop); });
  std::unique_ptr<Worker> subscription_thread;
  if (subscription)
    subscription_thread = std::make_unique<Worker>([&] { subscription->run(stop); });
  std::unique_ptr<Worker> reconcile_thread;  // reconcile.interval_s
  if (reconcile && reconcile->interval_ms() > 0)
    reconcile_thread = std::make_unique<Worker>([&] { reconcile->run_every(stop); });

  // The built-in notifier ([alerts]): fed the same report as the snapshot; it posts on
  // its own thread, so a slow receiver never holds this loop.
  std::unique_ptr<AlertNotifier> notifier;
  if (config.alerts.enabled && !config.alerts.webhook_url.empty()) {
    notifier = std::make_unique<AlertNotifier>(alert_notifier_options(config),
                                               alert_thresholds(config.alerts));
  }

  const std::string snapshot = status_snapshot_path(config);
  while (!stop.stop_requested()) {
    const std::int64_t now = clock.now_ms();
    StatusReport report =
        live_report(**store, follower, replicator, subscription.get(), now, ha_view);
    if (notifier) notifier->observe(report, now);
    write_snapshot(snapshot, report);
    stop.wait_for_ms(options.snapshot_interval_ms);
  }
  if (notifier) notifier->stop();  // bounded by alerts.timeout_ms
  if (!line_stopped.load()) {      // else the follower thread said why, as an error
    log_info("node_stopping",
             {{"reason", "stop requested"}, {"next", "finishing the work in flight"}});
  }
  if (api) api->stop();        // requests in flight finish (each bounded by the API's timeouts)
  if (intake) intake->stop();  // each worker's call in flight is bounded (rpc.timeout_ms)
  // One deadline for all the threads (they stop concurrently), so the whole stop stays
  // within shutdown_timeout_ms as the header says, not three times it.
  const std::int64_t join_deadline_us = clock.monotonic_us() + options.shutdown_timeout_ms * 1000;
  const auto left_ms = [&] {
    return std::max<std::int64_t>(0, (join_deadline_us - clock.monotonic_us()) / 1000);
  };
  const bool joined = follower_thread.join_within(left_ms()) &&
                      replicator_thread.join_within(left_ms()) &&
                      (!subscription_thread || subscription_thread->join_within(left_ms())) &&
                      (!lease_thread || lease_thread->join_within(left_ms())) &&
                      (!reconcile_thread || reconcile_thread->join_within(left_ms()));
  if (!joined) {
    log_error("shutdown_forced", {{"timeout_ms", options.shutdown_timeout_ms},
                                  {"next",
                                   "nothing is lost: every store write is synced; "
                                   "the work in flight is redone at the next start"}});
    std::fflush(nullptr);
    std::_Exit(1);  // threads still hold references into this frame; do not unwind
  }
  // The replicator has stopped: hand the lease over now rather than after its TTL.
  // The stop flag is set, so the keeper's lease (tied to it) would cancel the call: a
  // connection of its own, bounded by the call timeout alone.
  if (keeper) {
    auto releasing = store::open_postgres_lease(config.sink.url, {config.sink.call_timeout_ms});
    keeper->release(releasing.get());
  }
  StatusReport final_report =
      live_report(**store, follower, replicator, subscription.get(), clock.now_ms(), ha_view);
  final_report.running = false;
  write_snapshot(snapshot, final_report);
  log_info(
      "node_stopped",
      {{"checkpoint", final_report.checkpoint ? std::to_string(*final_report.checkpoint) : "none"},
       {"pending", final_report.counters.of(store::ClaimState::kPending)},
       {"done", final_report.counters.of(store::ClaimState::kDone)}});
  return follower_result.ok() ? 0 : 1;
}

}  // namespace claimsync::node
