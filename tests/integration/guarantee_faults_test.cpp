// The guarantee (DESIGN §1) under production faults (issue 10): besides kill -9 and a
// PostgreSQL outage, the node reads the chain through a second endpoint that lags (a
// LaggingRpcProxy first in chain.rpc_urls, anvil itself second: failover between them),
// writes PostgreSQL through a TcpFaultProxy that loses commit replies and stalls, and
// anvil_reorg replaces up to 6 blocks with confirmations drawn from 0..2, i.e. blocks the
// node has already replicated.
//
// Three phases of the load, in waves:
//   A  deep reorgs (each one after the sink holds a claim of the blocks it replaces),
//      lost commit replies, short stalls, small lags;
//   -  settle: the node has revoked what the reorgs took (no claim revoking);
//   L  no reorg; the proxy lags more than `confirmations` for periods and sometimes more
//      than chain.reorg_window. A watcher samples the membership row count: it must never
//      go down (nothing is revoked, so a drop is a lag taken for a reorg);
//   C  deep reorgs again, with small lags, lost commits.
// Then the lag ends, the node must report caught up, and the database must equal the chain
// exactly (guarantee_compare: revoked off-chain claims keep a 'revoked' ledger row only; a
// wallet whose every claim was revoked has no members row).
//
// The seed is printed; replay with CLAIMSYNC_GUARANTEE_SEED=<seed>. Knobs as in
// tests/support/guarantee_params.hpp (CLAIMSYNC_GUARANTEE_CONFIRMATIONS fixes the otherwise
// seeded confirmations).
#include <catch2/catch.hpp>

#if __has_include("tests/support/lagging_rpc_proxy.hpp") && \
                  __has_include("tests/support/tcp_fault_proxy.hpp")
#define CLAIMSYNC_HAVE_FAULT_PROXIES 1
#endif

#ifdef CLAIMSYNC_HAVE_FAULT_PROXIES

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_chaos.hpp"
#include "tests/support/guarantee_compare.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_params.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/guarantee_rpc.hpp"
#include "tests/support/guarantee_truth.hpp"
#include "tests/support/guarantee_watcher.hpp"
#include "tests/support/lagging_rpc_proxy.hpp"
#include "tests/support/load_generator.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/tcp_fault_proxy.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kReorgWindow = 24;  // small, so the proxy can lag past it
constexpr milliseconds kSettleDeadline{90'000};
constexpr milliseconds kReplicatedWait{6'000};  // before a reorg: its blocks reach the sink

ct::GuaranteeParams default_params() {
  ct::GuaranteeParams p;
  p.block_ms = 500;
  p.waves = 84;  // A: 0..29, L: 30..59, C: 60..83
  p.load_phase = milliseconds(84'000);
  p.reorgs = 8;
  p.reorg_min_depth = 1;
  p.reorg_max_depth = 6;
  p.kills = 8;
  p.outages = 1;
  p.min_outage = milliseconds(5'000);
  p.catch_up = milliseconds(120'000);
  p.claims_per_wave = 24;
  return p;
}

enum class Phase { kA, kLag, kC };

struct Plan {
  std::size_t lag_begin = 0, lag_end = 0;       // waves [lag_begin, lag_end) are phase L
  std::map<std::size_t, std::uint64_t> reorgs;  // wave -> depth, phases A and C only
  // Phase L: wave -> lag set at its start (> confirmations, some > reorg_window, some 0).
  std::map<std::size_t, std::uint64_t> lags;
};

Plan make_plan(std::mt19937_64& rng, const ct::GuaranteeParams& p, std::uint64_t confirmations) {
  Plan plan;
  plan.lag_begin = p.waves * 30 / 84;
  plan.lag_end = p.waves * 60 / 84;
  auto pick = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  std::uniform_int_distribution<std::uint64_t> depth(p.reorg_min_depth, p.reorg_max_depth);
  // At least two reorgs per reorg phase go deeper than `confirmations`.
  const std::size_t in_a = static_cast<std::size_t>(p.reorgs) / 2;
  std::size_t made = 0;
  while (plan.reorgs.size() < static_cast<std::size_t>(p.reorgs)) {
    const bool phase_a = plan.reorgs.size() < in_a;
    const std::size_t wave =
        phase_a ? pick(3, plan.lag_begin - 4) : pick(plan.lag_end + 1, p.waves - 4);
    std::uint64_t d = depth(rng);
    if (made % 2 == 0)
      d = std::max<std::uint64_t>(d, std::min(confirmations + 2, p.reorg_max_depth));
    if (plan.reorgs.emplace(wave, d).second) ++made;
  }
  // Lag periods of 2..5 waves, back to back: behind the finality target, behind the
  // reorg window, or caught up.
  for (std::size_t w = plan.lag_begin, period = 0; w < plan.lag_end; ++period) {
    // The first period lags past the finality target, the second past the reorg window.
    const std::uint64_t r = period == 0 ? 0 : period == 1 ? 5 : pick(0, 9);
    const std::uint64_t lag = r < 5   ? confirmations + 2 + pick(0, 6)
                              : r < 8 ? kReorgWindow + 2 + pick(0, 8)
                                      : 0;
    plan.lags[w] = lag;
    w += pick(2, 5);
  }
  return plan;
}

// Seeded faults of the proxies, played by their own thread: lost commit replies all along,
// a few short stalls of the database path, small lags outside phase L (phase L's lags are
// set by the load loop at wave boundaries).
struct ProxyChaos {
  std::atomic<bool> stop{false};
  std::atomic<bool> lag_phase{false};
  std::atomic<std::size_t> stalls{0};
  std::mutex mu;
  std::string timeline;  // GUARDED_BY(mu)

  void note(SteadyClock::time_point t0, const std::string& what) {
    char at[32];
    std::snprintf(at, sizeof at, "%7.1fs ",
                  std::chrono::duration<double>(SteadyClock::now() - t0).count());
    std::lock_guard lock(mu);
    timeline += at + what + "\n";
  }
};

void play_proxy_chaos(std::uint64_t seed, std::uint64_t confirmations, ct::LaggingRpcProxy& rpc,
                      ct::TcpFaultProxy& db, SteadyClock::time_point t0, ProxyChaos& chaos) {
  std::mt19937_64 rng(seed ^ 0x51ed270b27a5c3f1ULL);
  auto ms = [&](std::int64_t lo, std::int64_t hi) {
    return milliseconds(std::uniform_int_distribution<std::int64_t>(lo, hi)(rng));
  };
  auto pause = [&](milliseconds d) {  // the schedule's own spacing, stoppable
    const auto end = SteadyClock::now() + d;
    while (!chaos.stop && SteadyClock::now() < end) std::this_thread::sleep_for(milliseconds(50));
    return !chaos.stop;
  };
  while (pause(ms(1'500, 3'500))) {
    const int roll = static_cast<int>(std::uniform_int_distribution<int>(0, 99)(rng));
    if (roll < 55) {
      const int n = 1 + roll % 2;
      db.lose_next_commit_replies(n);
      chaos.note(t0, "db proxy: lose the next " + std::to_string(n) + " commit replies");
    } else if (roll < 65 && chaos.stalls < 4) {
      const milliseconds length = ms(1'000, 3'000);
      db.set_mode(ct::TcpFaultProxy::Mode::kStall);
      chaos.note(t0, "db proxy: stall for " + std::to_string(length.count()) + " ms");
      ++chaos.stalls;
      pause(length);
      db.set_mode(ct::TcpFaultProxy::Mode::kPass);
      chaos.note(t0, "db proxy: pass (stalled connections stay stalled)");
    } else if (roll < 70) {
      db.drop_all();
      chaos.note(t0, "db proxy: drop every connection");
    } else if (!chaos.lag_phase) {
      const std::uint64_t lag =
          std::uniform_int_distribution<std::uint64_t>(0, confirmations + 3)(rng);
      rpc.set_lag(lag);
      chaos.note(t0, "rpc proxy: lag " + std::to_string(lag));
    }
  }
  db.set_mode(ct::TcpFaultProxy::Mode::kPass);
}

}  // namespace

TEST_CASE("guarantee under production faults: lagging endpoint, lost commits, deep reorgs",
          "[guarantee]") {
  const auto t_begin = SteadyClock::now();
  const std::uint64_t seed = ct::guarantee_seed();
  std::mt19937_64 rng(seed ^ 0x2545f4914f6cdd1dULL);
  ct::GuaranteeParams defaults = default_params();
  defaults.confirmations = std::uniform_int_distribution<std::uint64_t>(0, 2)(rng);
  const ct::GuaranteeParams params = ct::guarantee_params_from_env(defaults);
  const std::uint64_t confirmations = params.confirmations;
  std::cout << "guarantee-faults seed: " << seed << " (replay: CLAIMSYNC_GUARANTEE_SEED=" << seed
            << ")\nguarantee params: " << params.describe() << " reorg_window=" << kReorgWindow
            << std::endl;
  INFO("guarantee-faults seed " << seed << " (replay: CLAIMSYNC_GUARANTEE_SEED=" << seed << ")");
  REQUIRE(params.reorg_max_depth < kReorgWindow);

  // --- the world: chain, lagging endpoint, database, lossy path, node ---------------------
  ct::TempDir dir("claimsync-guarantee-faults");
  ct::AnvilOptions anvil_options;
  anvil_options.block_time_ms = params.block_ms;
  anvil_options.extra_args = {"--auto-impersonate"};
  ct::Anvil chain(anvil_options);
  ct::LaggingRpcProxy lagging({chain.url()});
  ct::PgCluster pg;
  ct::TcpFaultProxy db_path("127.0.0.1", pg.port());
  const std::string nft = chain.deploy_claim_nft();
  const std::uint64_t start_block = chain.block_number();

  ct::GuaranteeNodeConfig config;
  config.rpc_urls = {lagging.url(), chain.url()};  // the lagging one first: it is preferred
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.start_block = start_block;
  config.confirmations = confirmations;
  config.reorg_window = kReorgWindow;
  config.data_dir = dir.file("data");
  config.sink_url =
      "postgres://postgres@127.0.0.1:" + std::to_string(db_path.port()) + "/" + pg.database();
  config.product_defaults = params.node_defaults;
  config.log_level = params.debug_log ? "debug" : "info";
  const std::string config_path = dir.file("claimsync.toml");
  std::ofstream(config_path) << ct::render_node_config(config);
  ct::NodeUnderTest node(CLAIMSYNC_BINARY, config_path, dir.file("node.log"), dir.path());
  {
    const ct::RunResult check = node.config_check();
    INFO(check.output);
    REQUIRE(check.exit_code == 0);
  }
  node.start();
  ct::MembershipWatcher watcher(pg, milliseconds(100));

  // --- load under chaos -------------------------------------------------------------------
  ct::LoadOptions load_options;
  load_options.seed = seed;
  load_options.claims_per_wave = params.claims_per_wave;
  load_options.wallets = params.wallets;
  ct::LoadGenerator load(chain, nft, load_options);
  load.prepare();
  const Plan plan = make_plan(rng, params, confirmations);
  ct::ChaosOptions chaos_options;
  chaos_options.duration = params.load_phase;
  chaos_options.kills = params.kills;
  chaos_options.outages = params.outages;
  chaos_options.min_outage = params.min_outage;
  const auto schedule = ct::make_chaos_schedule(rng, chaos_options);

  std::atomic<bool> abort{false};
  ct::ChaosReport chaos;
  ProxyChaos proxy_chaos;
  std::exception_ptr chaos_error;
  const auto t_load = SteadyClock::now();
  std::thread chaos_thread([&] {
    try {
      ct::play_chaos(schedule, node, pg, t_load, abort, chaos);
    } catch (...) {
      chaos_error = std::current_exception();
    }
  });
  std::thread proxy_thread(
      [&] { play_proxy_chaos(seed, confirmations, lagging, db_path, t_load, proxy_chaos); });
  auto stop_chaos = [&] {
    abort = true;
    proxy_chaos.stop = true;
    if (chaos_thread.joinable()) chaos_thread.join();
    if (proxy_thread.joinable()) proxy_thread.join();
  };

  std::size_t deep_reorgs = 0, deep_reorgs_of_replicated = 0;
  std::uint64_t max_lag = 0;
  std::string settle_note;
  json status;
  std::string diagnostics;
  // Deepest block of the sink that is 'done' (what a reorg of `depth` would reach).
  auto replicated_in_last = [&](std::uint64_t depth) {
    const std::uint64_t head = chain.block_number();
    try {
      return std::stoull(
                 pg.scalar("SELECT count(*) FROM claim_sync_queue WHERE status = 'done' AND "
                           "block_number > $1::bigint",
                           {std::to_string(head > depth ? head - depth : 0)})) > 0;
    } catch (const std::exception&) {
      return false;  // the database is down (chaos): the reorg goes ahead anyway
    }
  };
  auto t_waves = t_load;  // wave i is due at t_waves + load_phase * i / waves
  try {
    for (std::size_t wave = 0; wave < params.waves; ++wave) {
      std::this_thread::sleep_until(t_waves + params.load_phase * wave / params.waves);
      if (wave == plan.lag_begin) {
        // The reorgs of phase A are settled before the watch begins: every revoke done.
        proxy_chaos.lag_phase = true;
        lagging.set_lag(0);
        const std::uint64_t head = chain.block_number();
        const bool settled = ct::wait_until(
            [&] {
              auto s = node.status(&diagnostics);
              if (!s) return false;
              status = *s;
              const json& cp = status["chain"]["checkpoint"];
              return ct::json_u64(status, "claims", "revoking") == 0 && cp.is_number() &&
                     cp.get<std::uint64_t>() >= head;
            },
            kSettleDeadline, milliseconds(500));
        settle_note =
            std::string(settled ? "settled" : "NOT settled") + " after phase A at " +
            std::to_string(std::chrono::duration<double>(SteadyClock::now() - t_load).count()) +
            " s: " + status.dump();
        std::cout << "  " << settle_note << std::endl;
        if (!settled) {
          throw std::runtime_error("the node did not settle phase A's reorgs within " +
                                   std::to_string(kSettleDeadline.count()) + " ms");
        }
        // Phase L keeps its length whatever the settling took.
        t_waves = SteadyClock::now() - params.load_phase * wave / params.waves;
        watcher.begin_monotonic("lagging endpoint, no reorg");
      }
      if (wave == plan.lag_end) {
        watcher.end_monotonic();
        proxy_chaos.lag_phase = false;
        lagging.set_lag(0);
      }
      if (auto l = plan.lags.find(wave); l != plan.lags.end()) {
        lagging.set_lag(l->second);
        max_lag = std::max(max_lag, l->second);
        proxy_chaos.note(t_load, "rpc proxy: lag " + std::to_string(l->second) + " (phase L)");
      }
      load.run_wave();
      if (auto r = plan.reorgs.find(wave); r != plan.reorgs.end()) {
        const std::uint64_t depth = r->second;
        // A reorg of blocks already replicated: wait (bounded) until the sink holds one.
        const bool replicated = ct::wait_until([&] { return replicated_in_last(depth); },
                                               kReplicatedWait, milliseconds(200));
        load.reorg(depth);
        deep_reorgs += depth > confirmations ? 1 : 0;
        deep_reorgs_of_replicated += (depth > confirmations && replicated) ? 1 : 0;
        proxy_chaos.note(t_load, "reorg depth " + std::to_string(depth) +
                                     (replicated ? " (sink held claims of those blocks)" : ""));
      }
      if ((wave + 1) % 12 == 0) {
        std::cout << "  wave " << wave + 1 << "/" << params.waves << " at "
                  << std::chrono::duration<double>(SteadyClock::now() - t_load).count()
                  << " s: " << load.stats().level_claims_sent << " level claims mined, head "
                  << load.stats().last_block << std::endl;
      }
    }
    load.run_wave();  // resends anything the last reorg dropped
  } catch (...) {
    stop_chaos();
    watcher.stop();
    ct::print_context(node, seed,
                      "the load failed; " + settle_note + "\nchaos so far:\n" + chaos.timeline +
                          proxy_chaos.timeline + "\n" + watcher.summary());
    throw;
  }
  stop_chaos();
  lagging.set_lag(0);
  const double load_seconds = std::chrono::duration<double>(SteadyClock::now() - t_load).count();
  std::cout << ct::load_summary(load.stats()) << "\nload phase " << load_seconds << " s\nchaos:\n"
            << chaos.timeline << "proxy chaos:\n"
            << proxy_chaos.timeline << "db proxy: " << db_path.commit_replies_lost()
            << " commit replies lost; rpc proxy: " << lagging.requests() << " requests"
            << std::endl;
  if (chaos_error) std::rethrow_exception(chaos_error);

  // --- the faults happened as the issue demands -------------------------------------------
  CHECK(chaos.kills >= std::min(params.kills, 4));
  CHECK(deep_reorgs >= 2);
  CHECK(deep_reorgs_of_replicated >= 1);
  CHECK(max_lag > confirmations);
  CHECK(max_lag > kReorgWindow);
  CHECK(db_path.commit_replies_lost() >= 1);
  for (const auto& p : ct::node_life_problems(node, chaos.problems)) {
    ct::print_context(node, seed, p);
    FAIL_CHECK(p);
  }

  // --- wait until the node reports caught up past the last load block --------------------
  const std::uint64_t last_load_block = chain.block_number();
  const auto t_catch_up = SteadyClock::now();
  const bool caught_up =
      ct::wait_caught_up(node, last_load_block, params.catch_up, status, diagnostics);
  const double catch_up_seconds =
      std::chrono::duration<double>(SteadyClock::now() - t_catch_up).count();
  watcher.stop();
  std::cout << watcher.summary() << std::endl;
  if (!caught_up) {
    ct::print_context(node, seed,
                      "last status: " + status.dump(2) + "\nlast status problem: " + diagnostics);
    // A node that stalls (or died) must say why (issue 10): offline status too.
    if (!node.running()) {
      if (auto offline = node.status(&diagnostics)) status = *offline;
    }
    const std::string why = ct::stall_reason(status);
    std::cout << "status says about the stall: " << (why.empty() ? "NOTHING" : why) << std::endl;
    CHECK_FALSE(why.empty());
    REQUIRE(node.running());
    FAIL("the node did not report caught_up with checkpoint >= "
         << last_load_block << " within " << params.catch_up.count() << " ms");
  }
  std::cout << "caught up after " << catch_up_seconds << " s: " << status.dump() << std::endl;

  // --- the watcher: with a lagging endpoint and no reorg, no row went away ----------------
  CHECK(watcher.samples_in_windows() >= 20);
  const std::vector<std::string> drops = watcher.violations();
  if (!drops.empty()) ct::print_context(node, seed, "watcher: " + watcher.summary());
  for (const auto& v : drops) FAIL_CHECK(v);

  // --- the truth, recomputed from the chain alone ------------------------------------------
  ct::RawRpc rpc(chain.port());
  ct::TruthQuery query;
  query.contract = nft;
  query.chain_id = chain.chain_id();
  query.from_block = start_block;
  query.to_block = chain.block_number();
  const ct::ChainTruth truth = ct::recompute_chain_truth(rpc, query);
  std::cout << ct::truth_summary(truth) << std::endl;
  REQUIRE(truth.inconsistency.empty());
  REQUIRE(truth.claims.size() >= 1000);
  REQUIRE(truth.counts.transfer_logs > 0);
  REQUIRE(truth.counts.burn_logs > 0);

  // --- the verdict ---------------------------------------------------------------------------
  const ct::SinkSnapshot sink = ct::read_sink(pg);
  const ct::Comparison verdict = ct::compare_with_truth(truth, sink);
  std::cout << "compared:\n" << verdict.summary << std::flush;
  if (!verdict.first_difference.empty()) {
    ct::print_context(node, seed, "first difference: " + verdict.first_difference);
    FAIL("membership database differs from the chain: " << verdict.first_difference);
  }
  std::size_t revoked_rows = 0;
  for (const auto& row : sink.ledger) revoked_rows += row.status == "revoked" ? 1 : 0;
  // A reorg did take replicated claims away (they may all have come back since, mined
  // again in the new blocks, so the ledger need not show 'revoked' at the end).
  std::uint64_t revoking_moves = 0;
  for (const auto& line :
       ct::log_lines_with(node.log_path(), {"event=reorg_rolled_back"}, 10'000)) {
    const auto at = line.find(" revoking=");
    if (at != std::string::npos) revoking_moves += std::stoull(line.substr(at + 10));
  }
  CHECK(revoking_moves >= 1);
  CHECK(ct::json_u64(status, "claims", "dead") == 0);
  CHECK(ct::json_u64(status, "claims", "pending") == 0);
  CHECK(ct::json_u64(status, "claims", "revoking") == 0);
  CHECK(ct::json_u64(status, "claims", "done") == truth.claims.size());

  CHECK(node.stop(milliseconds(20'000)) == 0);
  std::cout << "guarantee-faults: seed " << seed << ", confirmations " << confirmations << ", "
            << truth.claims.size() << " claims from " << truth.member_level.size() << " wallets, "
            << chaos.kills << " kills, " << deep_reorgs << " deep reorgs ("
            << deep_reorgs_of_replicated << " of replicated blocks), max lag " << max_lag << ", "
            << db_path.commit_replies_lost() << " commit replies lost, " << proxy_chaos.stalls
            << " stalls, " << revoking_moves << " claims revoked by rollbacks, " << revoked_rows
            << " revoked rows at the end; load " << load_seconds << " s, catch-up "
            << catch_up_seconds << " s, total "
            << std::chrono::duration<double>(SteadyClock::now() - t_begin).count() << " s"
            << std::endl;
}

#else  // the fault proxies of engineers A and C1 are not in this tree yet

TEST_CASE("guarantee under production faults: lagging endpoint, lost commits, deep reorgs",
          "[guarantee]") {
  FAIL(
      "needs tests/support/lagging_rpc_proxy.hpp and tests/support/tcp_fault_proxy.hpp "
      "(issue 10 fault tools): merge main");
}

#endif
