// Active/standby on one database (issue 15): two `claimsync run` nodes with their own data
// dirs point at one PostgreSQL, each through its own TcpFaultProxy, with [ha] enabled and
// distinct node ids, while a LoadGenerator mints on an interval-mining anvil throughout.
//   1. Exactly one reports role "active", the other "standby".
//   2. The active one is kill -9ed: the other reports active within lease_ttl + renew +
//      slack. The killed node, restarted, comes back as standby.
//   3. The database path of the new active one is cut silently (the proxy stops moving
//      bytes, no FIN/RST): the other reports active within lease_ttl + renew + one sink
//      call timeout + slack. Healed, the cut node ends as standby (it lost the lease).
//   4. The load stops; the database must equal the chain exactly (guarantee_compare: no
//      missing, duplicate or extra row). A clean stop (SIGTERM) of the active one releases
//      the lease at once: the standby takes over in less than a lease TTL.
// All along a sampler polls both nodes' GET /v1/status every kSamplePeriod: at no point may
// both report active for longer than one renew interval (plus the sampling error).
// Prints `takeover kill9_ms=... partition_ms=... sigterm_ms=...`.
#include <catch2/catch.hpp>

#include <httplib.h>

#include <array>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_compare.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/guarantee_rpc.hpp"
#include "tests/support/guarantee_truth.hpp"
#include "tests/support/load_generator.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/tcp_fault_proxy.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kLeaseTtlMs = 2'000;
constexpr std::int64_t kRenewMs = kLeaseTtlMs / 4;  // renew_interval_ms = 0: ttl / 4
constexpr std::int64_t kSinkCallTimeoutMs = 2'000;
// Scheduling on a busy 2-core machine, the sampling period, a status round trip.
constexpr std::int64_t kSlackMs = 5'000;
constexpr std::int64_t kKillBoundMs = kLeaseTtlMs + kRenewMs + kSlackMs;
constexpr std::int64_t kPartitionBoundMs = kLeaseTtlMs + kRenewMs + kSinkCallTimeoutMs + kSlackMs;
// A released lease is taken at the standby's next attempt (one renew interval), well
// before it would have expired.
constexpr std::int64_t kSigtermBoundMs = kLeaseTtlMs;
constexpr milliseconds kSamplePeriod{100};
// Both may say active across a takeover for about a renew interval (the old holder learns
// at its next renew), plus the sampling error.
constexpr std::int64_t kDoubleActiveBoundMs = kRenewMs + 3 * kSamplePeriod.count();

std::int64_t ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

std::optional<json> get_json(int port, const std::string& path, int* status = nullptr,
                             std::string* body = nullptr) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 300'000);
  c.set_read_timeout(1, 0);
  auto r = c.Get(path.c_str());
  if (!r) return std::nullopt;
  if (status != nullptr) *status = r->status;
  if (body != nullptr) *body = r->body;
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string get_text(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(0, 300'000);
  c.set_read_timeout(2, 0);
  auto r = c.Get(path.c_str());
  return r && r->status == 200 ? r->body : std::string();
}

// One node's "ha" block as /v1/status reported it. role "down": no answer (not running,
// or the API did not reply in time); "none": an answer without an "ha" block.
struct RoleSample {
  std::string role = "down";
  std::string holder, last_error;
  std::uint64_t token = 0, takeovers = 0;
};

RoleSample parse_role(const std::optional<json>& status) {
  RoleSample s;
  if (!status) return s;
  s.role = "none";
  if (!status->contains("ha") || !(*status)["ha"].is_object()) return s;
  const json& ha = (*status)["ha"];
  s.role = ha.value("role", std::string("none"));
  s.holder = ha.value("holder", std::string());
  s.last_error = ha.value("last_error", std::string());
  if (ha.contains("token") && ha["token"].is_number_unsigned())
    s.token = ha["token"].get<std::uint64_t>();
  if (ha.contains("takeovers") && ha["takeovers"].is_number_unsigned())
    s.takeovers = ha["takeovers"].get<std::uint64_t>();
  return s;
}

// Polls each node's /v1/status every `period` on a thread of its own (a node whose API
// hangs does not delay the other's samples); keeps the latest sample, the role changes
// (with the time of the answer) and the longest stretch in which both said active (only
// samples less than two periods apart count as simultaneous).
class RoleSampler {
 public:
  RoleSampler(std::array<int, 2> ports, std::array<std::string, 2> names,
              SteadyClock::time_point t0)
      : ports_(ports),
        names_(std::move(names)),
        t0_(t0),
        threads_{std::thread([this] { run(0); }), std::thread([this] { run(1); })} {}
  ~RoleSampler() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }
  RoleSampler(const RoleSampler&) = delete;
  RoleSampler& operator=(const RoleSampler&) = delete;

  std::array<RoleSample, 2> latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }
  // When node `i` was first sampled in `role` at or after `since` (a change to it).
  std::optional<SteadyClock::time_point> became(int i, const std::string& role,
                                                SteadyClock::time_point since) const {
    std::lock_guard lock(mu_);
    for (const Change& c : changes_)
      if (c.node == i && c.at >= since && c.role == role) return c.at;
    return std::nullopt;
  }
  // How many role changes node `i` had at or after `since`.
  std::size_t changes_since(int i, SteadyClock::time_point since) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const Change& c : changes_) n += c.node == i && c.at >= since ? 1 : 0;
    return n;
  }
  std::int64_t longest_double_active_ms() const {
    std::lock_guard lock(mu_);
    return longest_double_ms_;
  }
  std::string timeline() const {
    std::lock_guard lock(mu_);
    std::ostringstream s;
    for (const Change& c : changes_) {
      char at[32];
      std::snprintf(at, sizeof at, "%7.2fs ", ms_between(t0_, c.at) / 1000.0);
      s << at << names_[c.node] << " -> " << c.role << " token=" << c.token
        << " holder=" << c.holder << (c.last_error.empty() ? "" : " last_error=" + c.last_error)
        << "\n";
    }
    s << "longest stretch with both active: " << longest_double_ms_ << " ms; samples "
      << samples_[0] << " / " << samples_[1] << "\n";
    return s.str();
  }

 private:
  struct Change {
    SteadyClock::time_point at;
    int node = 0;
    std::string role, holder, last_error;
    std::uint64_t token = 0;
  };

  void run(int i) {
    while (!stop_) {
      const auto start = SteadyClock::now();
      const RoleSample got = parse_role(get_json(ports_[i], "/v1/status"));
      record(i, got, SteadyClock::now());
      std::this_thread::sleep_until(start + kSamplePeriod);
    }
  }

  void record(int i, const RoleSample& got, SteadyClock::time_point at) {
    std::lock_guard lock(mu_);
    if (got.role != latest_[i].role || samples_[i] == 0)
      changes_.push_back({at, i, got.role, got.holder, got.last_error, got.token});
    ++samples_[i];
    latest_[i] = got;
    latest_at_[i] = at;
    const int other = 1 - i;
    const bool both = got.role == "active" && latest_[other].role == "active" &&
                      at - latest_at_[other] <= 2 * kSamplePeriod;
    if (both) {
      if (!both_since_) both_since_ = std::min(at, latest_at_[other]);
      longest_double_ms_ = std::max(longest_double_ms_, ms_between(*both_since_, at));
    } else {
      both_since_.reset();
    }
  }

  const std::array<int, 2> ports_;
  const std::array<std::string, 2> names_;
  const SteadyClock::time_point t0_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::array<RoleSample, 2> latest_;                   // GUARDED_BY(mu_)
  std::array<SteadyClock::time_point, 2> latest_at_;   // GUARDED_BY(mu_)
  std::array<std::size_t, 2> samples_{};               // GUARDED_BY(mu_)
  std::vector<Change> changes_;                        // GUARDED_BY(mu_)
  std::optional<SteadyClock::time_point> both_since_;  // GUARDED_BY(mu_)
  std::int64_t longest_double_ms_ = 0;                 // GUARDED_BY(mu_)
  std::array<std::thread, 2> threads_;  // last: they start after the members above exist
};

// The first sample of metric `name` (any labels): its value, nullopt when absent.
std::optional<double> metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != ' ' && line[name.size()] != '{') continue;
    const std::size_t space = line.rfind(' ');
    try {
      return std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The load on its own thread until stop(), which joins (also on the way out of a failure).
class BackgroundLoad {
 public:
  explicit BackgroundLoad(ct::LoadGenerator& load)
      : thread_([this, &load] {
          try {
            while (!stop_) load.run_wave();
          } catch (...) {
            error_ = std::current_exception();
          }
        }) {}
  ~BackgroundLoad() { stop(); }
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;
  // Joins; rethrows what the load thread threw (a broken chain, not a result).
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("active/standby pair on one Postgres: kill -9 and a silent partition, then exact",
          "[ha]") {
  const auto t_begin = SteadyClock::now();
  ct::TempDir dir("claimsync-active-standby");
  ct::AnvilOptions anvil_options;
  anvil_options.block_time_ms = 500;
  anvil_options.extra_args = {"--auto-impersonate"};
  ct::Anvil chain(anvil_options);
  ct::PgCluster pg;
  const std::string nft = chain.deploy_claim_nft();
  const std::uint64_t start_block = chain.block_number();

  const std::array<std::string, 2> names = {"node-a", "node-b"};
  std::array<std::unique_ptr<ct::TcpFaultProxy>, 2> proxy;
  std::array<int, 2> api_port{};
  std::array<std::unique_ptr<ct::NodeUnderTest>, 2> node;
  for (int i = 0; i < 2; ++i) {
    proxy[i] = std::make_unique<ct::TcpFaultProxy>("127.0.0.1", pg.port());
    api_port[i] = ct::free_loopback_port();
    ct::GuaranteeNodeConfig config;
    config.rpc_url = chain.url();
    config.chain_id = chain.chain_id();
    config.contract = nft;
    config.start_block = start_block;
    config.confirmations = 2;
    config.data_dir = dir.file(names[i] + "-data");
    config.sink_url =
        "postgres://postgres@127.0.0.1:" + std::to_string(proxy[i]->port()) + "/" + pg.database();
    config.sink_call_timeout_ms = kSinkCallTimeoutMs;
    config.api_listen = "127.0.0.1:" + std::to_string(api_port[i]);
    config.ha_enabled = true;
    config.ha_node_id = names[i];
    config.ha_lease_ttl_ms = kLeaseTtlMs;
    config.ha_renew_interval_ms = 0;
    const std::string config_path = dir.file(names[i] + ".toml");
    std::ofstream(config_path) << ct::render_node_config(config);
    node[i] = std::make_unique<ct::NodeUnderTest>(CLAIMSYNC_BINARY, config_path,
                                                  dir.file(names[i] + ".log"), dir.path());
    const ct::RunResult check = node[i]->config_check();
    INFO(names[i] << " config check: " << check.output);
    REQUIRE(check.exit_code == 0);
  }

  ct::LoadOptions load_options;
  load_options.seed = 15;
  load_options.wallets = 120;
  load_options.claims_per_wave = 16;
  ct::LoadGenerator load(chain, nft, load_options);
  load.prepare();

  const auto t0 = SteadyClock::now();
  for (auto& n : node) n->start();
  RoleSampler sampler(api_port, names, t0);
  BackgroundLoad background(load);

  auto context = [&](const std::string& what) {
    std::ostringstream s;
    s << "---- active/standby failure: " << what
      << " (CLAIMSYNC_KEEP_TEST_DIRS=1 keeps the logs) ----\nrole changes:\n"
      << sampler.timeline();
    for (int i = 0; i < 2; ++i)
      s << "---- last lines of " << node[i]->log_path() << " ----\n" << node[i]->log_tail(60);
    s << "---- end ----";
    std::cout << s.str() << std::endl;
  };
  auto roles_are = [&](int active, int standby) {
    const auto l = sampler.latest();
    return l[active].role == "active" && l[standby].role == "standby";
  };
  auto token_of = [&](int i) { return sampler.latest()[i].token; };

  // --- 1. one active, one standby ----------------------------------------------------------
  int act = -1;
  const bool elected = ct::wait_until(
      [&] {
        if (roles_are(0, 1)) act = 0;
        if (roles_are(1, 0)) act = 1;
        return act >= 0;
      },
      milliseconds(30'000), milliseconds(50));
  if (!elected) context("no active/standby pair within 30 s");
  REQUIRE(elected);
  int sby = 1 - act;
  const std::uint64_t token_first = token_of(act);
  {
    const RoleSample s = sampler.latest()[sby];
    INFO("standby holder " << s.holder);
    CHECK(s.holder.rfind(names[act] + "/", 0) == 0);
  }
  std::cout << "elected " << names[act] << " active (token " << token_first << ") after "
            << ms_between(t0, SteadyClock::now()) << " ms" << std::endl;

  // --- 2. kill -9 the active one ---------------------------------------------------------
  const auto t_kill = SteadyClock::now();
  const std::optional<int> exited_before = node[act]->kill9();
  if (exited_before) context(names[act] + " had exited by itself before the kill");
  REQUIRE_FALSE(exited_before);
  std::optional<SteadyClock::time_point> took;
  ct::wait_until([&] { return (took = sampler.became(sby, "active", t_kill)).has_value(); },
                 milliseconds(2 * kKillBoundMs), milliseconds(20));
  if (!took) context(names[sby] + " never took over after the kill -9");
  REQUIRE(took);
  const std::int64_t kill9_ms = ms_between(t_kill, *took);
  std::cout << names[sby] << " active " << kill9_ms << " ms after the kill -9 of " << names[act]
            << std::endl;
  if (kill9_ms > kKillBoundMs) context("takeover after kill -9 too slow");
  CHECK(kill9_ms <= kKillBoundMs);
  const std::uint64_t token_after_kill = token_of(sby);
  CHECK(token_after_kill > token_first);

  node[act]->start();
  const auto t_restart = SteadyClock::now();
  const bool back_as_standby =
      ct::wait_until([&] { return roles_are(sby, act); }, milliseconds(30'000), milliseconds(50));
  if (!back_as_standby) context(names[act] + " did not come back as standby");
  REQUIRE(back_as_standby);
  CHECK_FALSE(sampler.became(act, "active", t_restart).has_value());
  CHECK(token_of(sby) == token_after_kill);  // the holder kept its lease

  // --- 3. cut the new active one's database path silently ----------------------------------
  std::swap(act, sby);  // act: the holder now, sby: the restarted one
  const auto t_cut = SteadyClock::now();
  proxy[act]->set_mode(ct::TcpFaultProxy::Mode::kStall);
  took.reset();
  ct::wait_until([&] { return (took = sampler.became(sby, "active", t_cut)).has_value(); },
                 milliseconds(2 * kPartitionBoundMs), milliseconds(20));
  if (!took) context(names[sby] + " never took over after the partition of " + names[act]);
  REQUIRE(took);
  const std::int64_t partition_ms = ms_between(t_cut, *took);
  std::cout << names[sby] << " active " << partition_ms << " ms after the database path of "
            << names[act] << " was cut" << std::endl;
  if (partition_ms > kPartitionBoundMs) context("takeover after the partition too slow");
  CHECK(partition_ms <= kPartitionBoundMs);
  // When the cut node stopped calling itself active (it cannot renew: it must step down).
  std::optional<SteadyClock::time_point> stepped_down;
  ct::wait_until([&] { return sampler.latest()[act].role != "active"; },
                 milliseconds(kPartitionBoundMs), milliseconds(20));
  for (const char* role : {"standby", "starting", "down", "none"}) {
    if (auto at = sampler.became(act, role, t_cut); at && (!stepped_down || *at < *stepped_down))
      stepped_down = at;
  }
  const std::int64_t step_down_ms = stepped_down ? ms_between(t_cut, *stepped_down) : -1;
  std::cout << names[act] << " stopped reporting active " << step_down_ms
            << " ms after its database path was cut (" << sampler.latest()[act].role << ")"
            << std::endl;
  CHECK(stepped_down.has_value());
  const std::uint64_t token_after_partition = token_of(sby);
  CHECK(token_after_partition > token_after_kill);

  proxy[act]->set_mode(ct::TcpFaultProxy::Mode::kPass);
  const auto t_heal = SteadyClock::now();
  const bool cut_is_standby =
      ct::wait_until([&] { return roles_are(sby, act); }, milliseconds(30'000), milliseconds(50));
  if (!cut_is_standby) context(names[act] + " did not end as standby after the heal");
  REQUIRE(cut_is_standby);
  // And stays so: no role change of either for a few lease periods.
  const auto t_settled = SteadyClock::now();
  ct::wait_until([] { return false; }, milliseconds(3 * kLeaseTtlMs / 2), milliseconds(100));
  CHECK(roles_are(sby, act));
  CHECK(sampler.changes_since(0, t_settled) == 0);
  CHECK(sampler.changes_since(1, t_settled) == 0);
  CHECK_FALSE(sampler.became(act, "active", t_heal).has_value());
  CHECK(token_of(sby) == token_after_partition);
  std::swap(act, sby);  // act: the holder now (the restarted one)

  // --- 4. the load stops; the database equals the chain ---------------------------------
  background.stop();
  background.rethrow();
  std::cout << ct::load_summary(load.stats()) << std::endl;
  for (int i = 0; i < 2; ++i) {
    if (!node[i]->running()) context(names[i] + " exited by itself");
    REQUIRE(node[i]->running());
  }
  ct::RawRpc rpc(chain.port());
  ct::TruthQuery query;
  query.contract = nft;
  query.chain_id = chain.chain_id();
  query.from_block = start_block;
  query.to_block = chain.block_number();
  const ct::ChainTruth truth = ct::recompute_chain_truth(rpc, query);
  std::cout << ct::truth_summary(truth) << std::endl;
  REQUIRE(truth.inconsistency.empty());
  REQUIRE(truth.claims.size() >= 200);
  ct::Comparison verdict;
  const auto t_compare = SteadyClock::now();
  const bool equal = ct::wait_until(
      [&] {
        verdict = ct::compare_with_truth(truth, ct::read_sink(pg));
        return verdict.first_difference.empty();
      },
      milliseconds(60'000), milliseconds(1'000));
  std::cout << "compared " << ms_between(t_compare, SteadyClock::now()) << " ms after the load:\n"
            << verdict.summary << std::flush;
  if (!equal) context("the database differs from the chain: " + verdict.first_difference);
  REQUIRE(equal);

  // --- what the nodes say about their roles ------------------------------------------------
  for (int i = 0; i < 2; ++i) {
    const std::string metrics = get_text(api_port[i], "/metrics");
    INFO(names[i] << " /metrics has " << metrics.size() << " bytes");
    CHECK(metric_value(metrics, "claimsync_ha_active").value_or(-1) == (i == act ? 1.0 : 0.0));
    CHECK(metric_value(metrics, "claimsync_ha_takeovers_total").value_or(-1) ==
          static_cast<double>(sampler.latest()[i].takeovers));
    // Each process became active exactly once: the restarted one at the partition, the
    // other at the kill -9.
    CHECK(sampler.latest()[i].takeovers == 1);
    CHECK_FALSE(ct::log_lines_with(node[i]->log_path(), {"event=ha_role_changed"}, 1).empty());
    std::string diagnostics;
    const std::optional<json> offline_view = node[i]->status(&diagnostics);
    INFO("status --json: " << diagnostics);
    REQUIRE(offline_view);
    CHECK(parse_role(offline_view).role == (i == act ? "active" : "standby"));
  }
  int ready_status = 0;
  std::string ready_body;
  const bool standby_ready = ct::wait_until(
      [&] {
        return get_json(api_port[sby], "/readyz", &ready_status, &ready_body).has_value() &&
               ready_status == 200;
      },
      milliseconds(15'000), milliseconds(200));
  INFO("standby /readyz " << ready_status << ": " << ready_body);
  CHECK(standby_ready);
  CHECK(ready_body.find("\"role\"") != std::string::npos);

  // --- a clean stop releases the lease at once ------------------------------------------
  const auto t_term = SteadyClock::now();
  CHECK(node[act]->stop(milliseconds(20'000)) == 0);
  took.reset();
  ct::wait_until([&] { return (took = sampler.became(sby, "active", t_term)).has_value(); },
                 milliseconds(kKillBoundMs), milliseconds(20));
  if (!took) context(names[sby] + " never took over after the SIGTERM of " + names[act]);
  REQUIRE(took);
  const std::int64_t sigterm_ms = ms_between(t_term, *took);
  if (sigterm_ms >= kSigtermBoundMs) context("takeover after SIGTERM as slow as an expiry");
  CHECK(sigterm_ms < kSigtermBoundMs);
  CHECK(node[sby]->stop(milliseconds(20'000)) == 0);

  const std::int64_t double_active_ms = sampler.longest_double_active_ms();
  std::cout << "role changes:\n" << sampler.timeline();
  std::cout << "takeover kill9_ms=" << kill9_ms << " partition_ms=" << partition_ms
            << " sigterm_ms=" << sigterm_ms << " partition_step_down_ms=" << step_down_ms
            << " longest_double_active_ms=" << double_active_ms << " (bounds " << kKillBoundMs
            << " / " << kPartitionBoundMs << " / " << kSigtermBoundMs << " / "
            << kDoubleActiveBoundMs << "; lease_ttl_ms=" << kLeaseTtlMs
            << " renew_interval_ms=" << kRenewMs << " sink.call_timeout_ms=" << kSinkCallTimeoutMs
            << "); " << truth.claims.size() << " claims; total "
            << ms_between(t_begin, SteadyClock::now()) << " ms" << std::endl;
  CHECK(double_active_ms <= kDoubleActiveBoundMs);
}

TEST_CASE("[ha] with a SQLite sink is refused by config check", "[ha]") {
  ct::TempDir dir("claimsync-ha-refused");
  ct::GuaranteeNodeConfig config;
  config.rpc_url = "http://127.0.0.1:1";
  config.contract = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
  config.data_dir = dir.file("data");
  config.sink_url = "sqlite://" + dir.file("sink.db");
  const std::string path = dir.file("claimsync.toml");
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, path, dir.file("node.log"), dir.path());
  std::ofstream(path) << ct::render_node_config(config);
  {
    const ct::RunResult check = node.config_check();
    INFO("without [ha]: " << check.output);
    REQUIRE(check.exit_code == 0);
  }
  config.ha_enabled = true;
  config.ha_node_id = "node-a";
  std::ofstream(path, std::ios::trunc) << ct::render_node_config(config);
  const ct::RunResult check = node.config_check();
  INFO("with [ha]: " << check.output);
  CHECK(check.exit_code != 0);
  CHECK(check.output.find("unknown key") == std::string::npos);  // [ha] itself is known
  std::string lower = check.output;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  CHECK(lower.find("sqlite") != std::string::npos);
}
