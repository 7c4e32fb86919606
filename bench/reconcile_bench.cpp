// Reconcile balance sweep benchmark (issue 14): the reconciler's balanceOfBatch sweep
// (node/reconcile/balance_sweep) of N wallets x L levels against a local anvil, through the
// product's RPC client (node::open_chain_source, default [rpc] settings), compared with the
// origin design's scanner: per user L sequential balanceOf calls and a 100 ms pause
// (>= 2.8 h per 100,000 users from the pause alone).
//
//   reconcile_bench [--wallets N] [--levels L] [--per-tx K] [--runs R] [--initial-pairs P]
//                   [--concurrency C[,C...]] [--origin-users U] [--help]
//
// The chain: one mint per wallet (level i % L + 1, amount 1) to N distinct synthetic
// addresses, by ClaimNFT.mintMany transactions of K mints (real TransferSingle logs and
// real ERC-1155 balances, no storage poking), anvil --no-mining, --gas-limit 1e9, one
// anvil_mine per 10 transactions. Then R sweeps of all N x L pairs at the head block
// (medians), keeping zero balances for the minted pairs only, as run_reconcile does for
// the members, for each --concurrency (calls in flight) in turn. Each sweep is checked:
// every pair read, exactly N pairs hold a balance of 1.
// Peak RSS is the bench process's VmHWM over the sweeps only (reset through
// /proc/self/clear_refs after filling; the members set is built before). With --origin-users U, U
// users x L single-pair calls one after another (the origin's calls without its pause) give the
// cost per balanceOf on this machine.
//
//   TMPDIR=$PWD/build/tmp build/bench/reconcile_bench --wallets 100000 --runs 3 --concurrency 1,4
//
// Results: bench/RESULTS.md ("Reconcile balance sweep").
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/chain_factory.hpp"
#include "node/config.hpp"
#include "node/reconcile/balance_sweep.hpp"
#include "rpc/clock.hpp"
#include "rpc/logging.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/bench_node.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr const char* kUsage =
    "usage: reconcile_bench [--wallets N] [--levels L] [--per-tx K] [--runs R]\n"
    "                       [--initial-pairs P] [--concurrency C[,C...]] [--origin-users U]\n"
    "  --wallets N        wallets, one mint each (default 100000)\n"
    "  --levels L         levels 1..L read per wallet (default 19)\n"
    "  --per-tx K         mints per mintMany transaction (default 1000)\n"
    "  --runs R           sweeps; medians are reported (default 3)\n"
    "  --initial-pairs P  pairs per balanceOfBatch call to start with (default 950)\n"
    "  --concurrency C    balanceOfBatch calls in flight; a list sweeps each (default 4)\n"
    "  --origin-users U   also time U users x L sequential single-pair calls (default 200)\n";

struct Args {
  std::uint64_t wallets = 100'000;
  std::uint32_t levels = 19;
  std::size_t per_tx = 1'000;
  int runs = 3;
  std::size_t initial_pairs = 950;
  std::vector<std::size_t> concurrency = {4};
  std::uint64_t origin_users = 200;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value\n" + kUsage);
      return argv[++i];
    };
    if (k == "--wallets") {
      a.wallets = std::stoull(value());
    } else if (k == "--levels") {
      a.levels = static_cast<std::uint32_t>(std::stoul(value()));
    } else if (k == "--per-tx") {
      a.per_tx = std::stoull(value());
    } else if (k == "--runs") {
      a.runs = std::stoi(value());
    } else if (k == "--initial-pairs") {
      a.initial_pairs = std::stoull(value());
    } else if (k == "--concurrency") {
      a.concurrency.clear();
      std::string list = value();
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        a.concurrency.push_back(std::stoull(list.substr(at, comma - at)));
        at = comma + 1;
      }
    } else if (k == "--origin-users") {
      a.origin_users = std::stoull(value());
    } else if (k == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      throw std::invalid_argument("unknown argument " + k + "\n" + kUsage);
    }
  }
  for (std::size_t c : a.concurrency) {
    if (c < 1 || c > node::kMaxBalanceConcurrency)
      throw std::invalid_argument(std::string("--concurrency: each 1..16\n") + kUsage);
  }
  if (a.wallets == 0 || a.levels == 0 || a.per_tx == 0 || a.runs < 1 || a.initial_pairs == 0)
    throw std::invalid_argument(std::string("arguments must be positive\n") + kUsage);
  return a;
}

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// Mints one token of level i % levels + 1 to each wallet, K per mintMany, 10 txs a block.
void fill_chain(testing::Anvil& anvil, const std::string& nft,
                const std::vector<eth::Address>& wallets, const Args& args) {
  httplib::Client http("127.0.0.1", anvil.port());
  http.set_read_timeout(std::chrono::seconds(300));
  http.set_keep_alive(true);
  std::size_t next = 0, tx_index = 0;
  while (next < wallets.size()) {
    json batch = json::array();
    for (int t = 0; t < 10 && next < wallets.size(); ++t) {
      const std::size_t end = std::min(wallets.size(), next + args.per_tx);
      std::vector<std::string> to;
      std::vector<std::uint64_t> ids, amounts;
      for (; next < end; ++next) {
        to.push_back(wallets[next].lower_hex());
        ids.push_back(next % args.levels + 1);
        amounts.push_back(1);
      }
      batch.push_back(
          {{"jsonrpc", "2.0"},
           {"id", batch.size()},
           {"method", "eth_sendTransaction"},
           {"params", {testing::mint_many_tx(anvil, nft, to, ids, amounts, 1 + tx_index++ % 9)}}});
    }
    auto res = http.Post("/", batch.dump(), "application/json");
    if (!res || res->status != 200) throw std::runtime_error("eth_sendTransaction batch failed");
    for (const json& r : json::parse(res->body))
      if (!r.contains("result")) throw std::runtime_error("tx refused: " + r.dump());
    anvil.mine(1);
  }
}

// VmHWM / VmRSS of this process, KiB.
std::uint64_t proc_status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double median(std::vector<double> v) { return testing::median(std::move(v)); }

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse_args(argc, argv);
  set_log_level(LogLevel::kError);
  std::printf("load at start: %s\n", testing::uptime_line().c_str());

  testing::AnvilOptions ao;
  ao.no_mining = true;
  ao.extra_args = {"--gas-limit", "1000000000"};
  testing::Anvil anvil(ao);
  const std::string nft = anvil.deploy_claim_nft();
  std::vector<eth::Address> wallets;
  wallets.reserve(args.wallets);
  for (std::uint64_t i = 0; i < args.wallets; ++i)
    wallets.push_back(testing::fixture_wallet(1'000'000 + i));
  const auto t_fill = SteadyClock::now();
  fill_chain(anvil, nft, wallets, args);
  const std::uint64_t head = anvil.block_number();
  std::printf(
      "chain: %llu mints to %llu wallets by mintMany (%zu per tx), head %llu, filled in "
      "%.1f s\n",
      (unsigned long long)args.wallets, (unsigned long long)args.wallets, args.per_tx,
      (unsigned long long)head, seconds_since(t_fill));

  testing::BenchNodeConfig bc;
  bc.rpc_url = anvil.url();
  bc.contract = nft;
  bc.data_dir = "unused";
  bc.sink_url = "sqlite:unused";
  auto config = node::parse_config(testing::render_bench_node_config(bc), "bench.toml");
  if (!config.ok()) throw std::runtime_error(config.status().to_string());
  SystemClock clock;
  auto chain = node::open_chain_source(*config, clock, nullptr);
  if (!chain.ok()) throw std::runtime_error(chain.status().to_string());
  std::vector<std::uint32_t> levels;
  for (std::uint32_t l = 1; l <= args.levels; ++l) levels.push_back(l);
  const auto contract = *eth::Address::parse(nft);
  node::BalanceSweepOptions options;
  options.initial_pairs = args.initial_pairs;
  // As run_reconcile does: zero balances are kept for the members (here: the mints) only.
  std::set<node::WalletLevel> members;
  for (std::size_t i = 0; i < wallets.size(); ++i)
    members.insert({wallets[i], static_cast<std::uint32_t>(i % args.levels + 1)});
  options.zero_pairs_kept = &members;

  double med = 0;  // of the first --concurrency, for the origin comparison
  for (const std::size_t concurrency : args.concurrency) {
    options.concurrency = concurrency;
    std::vector<double> secs;
    std::uint64_t calls = 0, retries = 0, pairs = 0, smallest = 0;
    reset_peak_rss();
    const std::uint64_t rss_before = proc_status_kb("VmRSS");
    for (int run = 0; run < args.runs; ++run) {
      const auto t0 = SteadyClock::now();
      node::BalanceSweep sweep =
          node::sweep_balances(**chain, contract, wallets, levels, head, options);
      secs.push_back(seconds_since(t0));
      if (!sweep.failure.ok()) throw std::runtime_error(sweep.failure.to_string());
      std::uint64_t holding = 0;
      for (const auto& [pair, balance] : sweep.balances) holding += balance == eth::U256(1) ? 1 : 0;
      if (holding != args.wallets || sweep.pairs_read != args.wallets * args.levels) {
        throw std::runtime_error("sweep read " + std::to_string(sweep.pairs_read) + " pairs, " +
                                 std::to_string(holding) + " holding; want " +
                                 std::to_string(args.wallets * args.levels) + " and " +
                                 std::to_string(args.wallets));
      }
      calls = sweep.calls;
      retries = sweep.retries;
      pairs = sweep.pairs_read;
      smallest = sweep.smallest_batch;
      std::printf("concurrency %zu, run %d: %.2f s, %llu calls, %llu retries\n", concurrency,
                  run + 1, secs.back(), (unsigned long long)calls, (unsigned long long)retries);
      std::fflush(stdout);
    }
    const std::uint64_t hwm = proc_status_kb("VmHWM");
    const double m = median(secs);
    if (med == 0) med = m;
    std::printf(
        "sweep, %zu in flight: %llu wallets x %u levels = %llu pairs, %llu balanceOfBatch calls "
        "(%.1f pairs per call, smallest %llu), %llu retries, median %.2f s (%.0f pairs/s), "
        "peak RSS %.1f MB (%.1f MB before the sweeps)\n",
        concurrency, (unsigned long long)args.wallets, args.levels, (unsigned long long)pairs,
        (unsigned long long)calls, static_cast<double>(pairs) / static_cast<double>(calls),
        (unsigned long long)smallest, (unsigned long long)retries, m,
        static_cast<double>(pairs) / m, hwm / 1024.0, rss_before / 1024.0);
  }

  // The origin's cost: L sequential single-pair calls per user, plus its 100 ms pause.
  const double pause_s = 0.1 * static_cast<double>(args.wallets);
  std::printf("origin pause alone: %llu users x 100 ms = %.0f s (%.2f h): %.0fx the sweep\n",
              (unsigned long long)args.wallets, pause_s, pause_s / 3600, pause_s / med);
  if (args.origin_users > 0) {
    node::BalanceSweepOptions one;
    one.initial_pairs = 1;
    one.concurrency = 1;  // the origin's calls: one after another
    const std::vector<eth::Address> sample(
        wallets.begin(),
        wallets.begin() + static_cast<std::ptrdiff_t>(std::min(args.origin_users, args.wallets)));
    const auto t0 = SteadyClock::now();
    node::BalanceSweep s = node::sweep_balances(**chain, contract, sample, levels, head, one);
    const double t = seconds_since(t0);
    if (!s.failure.ok()) throw std::runtime_error(s.failure.to_string());
    const double per_call_ms = 1000 * t / static_cast<double>(s.calls);
    const double origin_s =
        pause_s + t / static_cast<double>(sample.size()) * static_cast<double>(args.wallets);
    std::printf(
        "origin calls: %zu users x %u single-pair calls in %.2f s (%.2f ms per call); "
        "origin estimate for %llu users: %.0f s (%.2f h) = %.0fx the sweep\n",
        sample.size(), args.levels, t, per_call_ms, (unsigned long long)args.wallets, origin_s,
        origin_s / 3600, origin_s / med);
  }
  std::printf("load at end: %s\n", testing::uptime_line().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "reconcile_bench: %s\n", e.what());
  return 1;
}
