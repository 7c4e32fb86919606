// Live latency benchmark: how long after a mint is visible on the chain its membership row
// is visible in PostgreSQL, with the real `claimsync run` binary following a real anvil
// that mines a block every 250 ms.
//
// Per mint (one `mint` tx each, to a fresh wallet, sent at a random offset within a block):
//   t0 = the moment its receipt is visible over RPC (all outstanding receipts polled every
//        ~2 ms, one JSON-RPC batch);
//   t1 = the moment its membership row (wallet, level) is visible in Postgres (all
//        outstanding rows polled every ~2 ms, one query);
// and the report is p50 / p99 / max of t1 - t0. Two modes in the same run, each with a
// fresh node (data dir, database): "without subscription" (HTTP polling every
// poll_interval_ms = 100) and "with subscription" (chain.ws_urls = anvil's WebSocket, on
// its HTTP port; skipped with a message when the build rejects the key). Node config:
// confirmations = 0, poll_interval_ms = 100, product defaults otherwise.
// Targets: p99 <= 50 ms with subscription; p99 <= poll interval + 30 ms without.
//
//   live_latency_bench [--mints M] [--block-ms B] [--poll-ms P] [--help]
//
// Results: bench/RESULTS.md ("End-to-end backfill and live latency").
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/bench_options.hpp"
#include "storage/pg_connection.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr auto kTightPoll = std::chrono::milliseconds(2);
constexpr auto kDrainTimeout = std::chrono::seconds(30);  // after the last mint is sent
constexpr auto kReadyTimeout = std::chrono::seconds(60);  // node start to first row

struct Args {
  std::uint64_t mints = 200;
  std::uint64_t block_ms = 250;
  std::uint64_t poll_ms = 100;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::BenchOptions cl("live_latency_bench", "[--mints M] [--block-ms B] [--poll-ms P] [--help]",
                         "Live latency: a mint's receipt on anvil to its membership row in "
                         "PostgreSQL, without and with the newHeads subscription.");
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  cl.number("mints", "M", a.mints, std::uint64_t{1}, kMax, "mints per mode, one per tx")
      .number("block-ms", "B", a.block_ms, std::uint64_t{1}, kMax, "anvil block time in ms")
      .number("poll-ms", "P", a.poll_ms, std::uint64_t{10}, kMax,
              "the node's chain.poll_interval_ms");
  cl.parse(argc, argv);
  return a;
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r.ok()) throw std::runtime_error(what + ": " + r.status().to_string());
  return std::move(r).value();
}

std::string tail(const std::string& text, std::size_t chars = 3000) {
  return text.size() <= chars ? text : text.substr(text.size() - chars);
}

// One mint under observation. wallet/level are fixed up front; tx_hash is written by the
// sender before it publishes the probe (ProbeSet::sent); t0 is written only by the receipt
// watcher, t1 only by the row watcher; the main thread reads them after both joined.
struct Probe {
  std::string wallet;
  std::uint64_t level = 0;
  std::string tx_hash;
  std::optional<SteadyClock::time_point> t0, t1;
};

struct ProbeSet {
  std::vector<Probe> probes;
  std::atomic<std::size_t> sending{0};  // probes[0, sending) may be on chain (row watcher)
  std::atomic<std::size_t> sent{0};     // probes[0, sent) have tx_hash (receipt watcher)
  std::atomic<bool> stop{false};
};

std::vector<Probe> make_probes(std::uint64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Probe> probes(n);
  for (Probe& p : probes) {
    p.wallet = "0x";
    for (int c = 0; c < 40; ++c) p.wallet += "0123456789abcdef"[rng() % 16];
    p.level = 1 + rng() % 19;
  }
  return probes;
}

// Sends one mint per probe, each after a random pause in [0, block_ms).
void send_mints(testing::Anvil& anvil, const std::string& nft, ProbeSet& set,
                std::uint64_t block_ms, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < set.probes.size() && !set.stop; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (block_ms * 1000)));
    Probe& p = set.probes[i];
    set.sending = i + 1;
    p.tx_hash = anvil.send_transaction(anvil.mint_tx(nft, p.wallet, p.level, 1, 1 + i % 9));
    set.sent = i + 1;
  }
}

// Polls the receipts of all sent probes without t0, one batch every ~2 ms.
void watch_receipts(const testing::Anvil& anvil, ProbeSet& set) {
  httplib::Client http("127.0.0.1", anvil.port());
  http.set_keep_alive(true);
  http.set_tcp_nodelay(true);
  http.set_read_timeout(std::chrono::seconds(5));
  std::size_t first_open = 0;
  while (!set.stop) {
    const std::size_t sent = set.sent.load();
    while (first_open < sent && set.probes[first_open].t0) ++first_open;
    json batch = json::array();
    for (std::size_t i = first_open; i < sent; ++i) {
      if (set.probes[i].t0) continue;
      batch.push_back({{"jsonrpc", "2.0"},
                       {"id", i},
                       {"method", "eth_getTransactionReceipt"},
                       {"params", {set.probes[i].tx_hash}}});
    }
    if (!batch.empty()) {
      auto res = http.Post("/", batch.dump(), "application/json");
      const auto now = SteadyClock::now();
      if (res && res->status == 200) {
        for (const json& r : json::parse(res->body)) {
          if (r.contains("result") && !r["result"].is_null())
            set.probes[r["id"].get<std::size_t>()].t0 = now;
        }
      }
    }
    std::this_thread::sleep_for(kTightPoll);
  }
}

// Polls the membership rows of all probes that may be on chain without t1, one query every
// ~2 ms. Wallets are generated hex, so they go into the SQL text as literals.
void watch_rows(store::PgConnection& conn, ProbeSet& set) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < set.probes.size(); ++i) index[set.probes[i].wallet] = i;
  std::size_t first_open = 0;
  while (!set.stop) {
    const std::size_t sending = set.sending.load();
    while (first_open < sending && set.probes[first_open].t1) ++first_open;
    std::string in;
    for (std::size_t i = first_open; i < sending; ++i)
      if (!set.probes[i].t1) in += (in.empty() ? "'" : ",'") + set.probes[i].wallet + "'";
    if (!in.empty()) {
      auto r = conn.exec(
          "SELECT wallet_address, nft_level FROM membership WHERE wallet_address IN (" + in + ")");
      const auto now = SteadyClock::now();
      if (r.ok()) {
        for (int row = 0; row < r->rows(); ++row) {
          Probe& p = set.probes[index.at(std::string(r->value(row, 0)))];
          if (std::to_string(p.level) == r->value(row, 1) && !p.t1) p.t1 = now;
        }
      }
    }
    std::this_thread::sleep_for(kTightPoll);
  }
}

// Joins the watcher threads of a ProbeSet on every exit path (a throwing sender included).
class Watchers {
 public:
  explicit Watchers(ProbeSet& set) : set_(set) {}
  ~Watchers() { stop(); }
  Watchers(const Watchers&) = delete;
  Watchers& operator=(const Watchers&) = delete;
  template <typename F, typename... A>
  void start(F&& f, A&&... a) {
    threads_.emplace_back(std::forward<F>(f), std::forward<A>(a)...);
  }
  void stop() {
    set_.stop = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  ProbeSet& set_;
  std::vector<std::thread> threads_;
};

bool all_seen(const ProbeSet& set) {
  for (const Probe& p : set.probes)
    if (!p.t0 || !p.t1) return false;
  return true;
}

struct ModeResult {
  std::vector<double> latency_ms;  // t1 - t0 of every probe seen at both ends
  std::size_t lost = 0;            // probes without t0 or t1 by the deadline
};

// Fresh node (data dir, database) following the chain from its head; `ws` adds
// chain.ws_urls. nullopt: the build does not know chain.ws_urls.
std::optional<ModeResult> run_mode(testing::Anvil& anvil, testing::PgCluster& pg,
                                   const std::string& nft, const Args& args, bool ws,
                                   std::uint64_t seed) {
  const std::string db = ws ? "live_ws" : "live_poll";
  testing::TempDir dir("claimsync-live-bench");
  testing::BenchNodeConfig nc;
  nc.rpc_url = anvil.url();
  if (ws) nc.ws_urls = {"ws://127.0.0.1:" + std::to_string(anvil.port())};
  nc.chain_id = anvil.chain_id();
  nc.contract = nft;
  nc.start_block = anvil.block_number();
  nc.poll_interval_ms = args.poll_ms;
  nc.data_dir = dir.file("data");
  nc.sink_url = pg.url(db);
  const std::string config = dir.file("claimsync.toml");
  std::ofstream(config) << testing::render_bench_node_config(nc);
  const auto check =
      testing::run_command({testing::claimsync_binary(), "config", "check", "--config", config},
                           std::chrono::seconds(30));
  if (check.exit_code != 0) {
    if (ws && check.output.find("ws_urls") != std::string::npos) return std::nullopt;
    throw std::runtime_error("claimsync config check failed:\n" + check.output);
  }

  pg.create_database(db);
  auto conn = must(store::PgConnection::connect(pg.url(db)), "connect " + db);
  testing::SpawnOptions so;
  so.output_file = dir.file("node.log");
  auto node =
      testing::ChildProcess::spawn({testing::claimsync_binary(), "run", "--config", config}, so);
  auto fail = [&](const std::string& what) {
    return std::runtime_error(what + "; node log tail:\n" +
                              tail(testing::read_file(so.output_file)));
  };

  // Ready: a first mint replicated (migrations done, follower at the head).
  ProbeSet warm;
  warm.probes = make_probes(1, seed ^ 0x5eed);
  bool ready = false;
  {
    Watchers watchers(warm);
    watchers.start(watch_rows, std::ref(conn), std::ref(warm));
    send_mints(anvil, nft, warm, 1, seed);
    ready = testing::wait_until([&] { return warm.probes[0].t1.has_value(); }, kReadyTimeout,
                                std::chrono::milliseconds(10));
  }
  if (!ready) throw fail("no membership row within 60 s of starting the node");

  ProbeSet set;
  set.probes = make_probes(args.mints, seed);
  {
    Watchers watchers(set);
    watchers.start(watch_receipts, std::cref(anvil), std::ref(set));
    watchers.start(watch_rows, std::ref(conn), std::ref(set));
    send_mints(anvil, nft, set, args.block_ms, seed + 1);
    testing::wait_until([&] { return all_seen(set) || !node.running(); },
                        std::chrono::duration_cast<std::chrono::milliseconds>(kDrainTimeout),
                        std::chrono::milliseconds(10));
  }
  if (!node.running()) throw fail("claimsync exited during the measurement");
  node.stop(std::chrono::milliseconds(15'000));

  ModeResult result;
  for (const Probe& p : set.probes) {
    if (!p.t0 || !p.t1) {
      ++result.lost;
      continue;
    }
    result.latency_ms.push_back(std::chrono::duration<double, std::milli>(*p.t1 - *p.t0).count());
  }
  return result;
}

struct Summary {
  std::string mode;
  std::optional<ModeResult> result;
  double target_ms = 0;
};

std::string describe(const Summary& s) {
  if (!s.result) return s.mode + ": not supported by this build";
  const ModeResult& r = *s.result;
  if (r.latency_ms.empty()) return s.mode + ": no mint seen at both ends";
  char buf[256];
  const double p99 = testing::percentile(r.latency_ms, 99);
  std::snprintf(buf, sizeof buf,
                "%s: n=%zu lost=%zu p50 %.1f ms, p99 %.1f ms, max %.1f ms, min %.1f ms "
                "(target p99 <= %.0f ms: %s)",
                s.mode.c_str(), r.latency_ms.size(), r.lost, testing::median(r.latency_ms), p99,
                *std::max_element(r.latency_ms.begin(), r.latency_ms.end()),
                *std::min_element(r.latency_ms.begin(), r.latency_ms.end()), s.target_ms,
                p99 <= s.target_ms ? "met" : "NOT met");
  return buf;
}

int run_bench(const Args& args) {
  std::printf("load at start: %s\n", testing::uptime_line().c_str());
  testing::claimsync_binary();  // fail early when it is not built
  testing::AnvilOptions ao;
  ao.block_time_ms = args.block_ms;
  testing::Anvil anvil(ao);
  testing::PgCluster pg;
  const std::string nft = anvil.deploy_claim_nft();
  std::printf("anvil: %llu ms blocks, ClaimNFT %s; %llu mints per mode, node poll %llu ms\n",
              (unsigned long long)args.block_ms, nft.c_str(), (unsigned long long)args.mints,
              (unsigned long long)args.poll_ms);
  std::fflush(stdout);

  std::vector<Summary> summaries = {
      {"without subscription", std::nullopt, static_cast<double>(args.poll_ms) + 30},
      {"with subscription", std::nullopt, 50},
  };
  for (std::size_t m = 0; m < summaries.size(); ++m) {
    summaries[m].result = run_mode(anvil, pg, nft, args, m == 1, 1000 + m);
    std::printf("%s\n", describe(summaries[m]).c_str());
    std::fflush(stdout);
  }
  std::printf("\nsummary:\n");
  for (const Summary& s : summaries) std::printf("  %s\n", describe(s).c_str());
  std::printf("load at end: %s\n", testing::uptime_line().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    return run_bench(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "live_latency_bench: %s\n", e.what());
    return 1;
  }
}
