// The end-to-end guarantee (DESIGN §1, issue 7): every final mint ends up exactly once in
// the membership database, whatever crashes in between.
//
// anvil (1 s blocks) + a throwaway PostgreSQL + `claimsync run`, then a seeded load of
// >= 2,000 claims from >= 200 wallets (single and batch mints, repeated levels, non-level
// ids, transfers and burns) while the node is kill -9'd at random instants (>= 10 times,
// restarted each time), PostgreSQL is stopped twice for >= 10 s, and anvil_reorg replaces
// 1..3 blocks (below `confirmations`) several times. Afterwards, once `claimsync status`
// reports caught up past the last load block, the database must equal what the test
// recomputes from the chain on its own (eth_getLogs sweep, cross-checked with
// balanceOfBatch). The seed is printed; replay with CLAIMSYNC_GUARANTEE_SEED=<seed>.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <sstream>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "tests/support/anvil.hpp"
#include "tests/support/guarantee_chaos.hpp"
#include "tests/support/guarantee_compare.hpp"
#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_params.hpp"
#include "tests/support/guarantee_report.hpp"
#include "tests/support/guarantee_rpc.hpp"
#include "tests/support/guarantee_truth.hpp"
#include "tests/support/load_generator.hpp"
#include "tests/support/pg_cluster.hpp"

namespace ct = claimsync::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The defaults of this test (DESIGN §10 via issue 7); CLAIMSYNC_GUARANTEE_* overrides them
// (tests/support/guarantee_params.hpp), e.g. to replay a reported end-to-end mix.
ct::GuaranteeParams default_params() { return {}; }

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

// Wave index -> reorg depth, for p.reorgs distinct waves, none right at the start or end.
std::map<std::size_t, std::uint64_t> reorg_plan(std::mt19937_64& rng,
                                                const ct::GuaranteeParams& p) {
  std::map<std::size_t, std::uint64_t> plan;
  std::uniform_int_distribution<std::size_t> wave(3, p.waves - 3);
  std::uniform_int_distribution<std::uint64_t> depth(p.reorg_min_depth, p.reorg_max_depth);
  while (plan.size() < static_cast<std::size_t>(p.reorgs)) plan.emplace(wave(rng), depth(rng));
  return plan;
}

// A tiny hand-made truth and the database that matches it, for the comparator self-test.
ct::ChainTruth tiny_truth() {
  ct::ChainTruth t;
  auto add = [&](std::string tx, std::uint32_t log, std::uint32_t batch, std::string wallet,
                 std::uint64_t level, std::uint64_t block, std::uint64_t time) {
    ct::ExpectedClaim c;
    c.tx_hash = "0x" + std::string(64, tx[0]);
    c.log_index = log;
    c.batch_index = batch;
    c.key = "31337:" + c.tx_hash + ":" + std::to_string(log) + ":" + std::to_string(batch);
    c.wallet = wallet;
    c.level = level;
    c.amount = 1;
    c.block_number = block;
    c.block_hash = "0x" + std::string(64, 'b');
    c.block_time = time;
    t.claims[c.key] = c;
    t.membership.insert({wallet, level});
    t.member_level[wallet] = std::max(t.member_level[wallet], level);
    auto [it, fresh] = t.member_activated.emplace(wallet, time);
    if (!fresh) it->second = std::min(it->second, time);
  };
  const std::string w1 = "0x" + std::string(40, '1'), w2 = "0x" + std::string(40, '2');
  add("a", 0, 0, w1, 3, 10, 1000);
  add("a", 0, 1, w1, 5, 10, 1000);
  add("c", 2, 0, w1, 3, 12, 1002);  // the same wallet and level again: two claims, one row
  add("d", 1, 0, w2, 1, 13, 1003);
  return t;
}

ct::SinkSnapshot matching_sink(const ct::ChainTruth& t) {
  ct::SinkSnapshot s;
  for (const auto& [key, c] : t.claims) {
    s.ledger.push_back({key, 31337, c.tx_hash, c.log_index, c.batch_index, c.wallet, c.level,
                        std::to_string(c.amount), c.block_number, c.block_hash, c.block_time,
                        "done", ""});
  }
  for (const auto& [wallet, level] : t.membership) {
    std::optional<std::string> key;
    for (const auto& [k, c] : t.claims) {
      if (c.wallet == wallet && c.level == level) key = k;
    }
    s.membership.push_back({wallet, level, key});
  }
  for (const auto& [wallet, level] : t.member_level) {
    s.members.push_back({wallet, level, t.member_activated.at(wallet)});
    s.users.push_back(wallet);
  }
  return s;
}

}  // namespace

TEST_CASE("guarantee comparison reports the first difference of every kind", "[guarantee]") {
  const ct::ChainTruth truth = tiny_truth();
  const ct::SinkSnapshot good = matching_sink(truth);
  CHECK(ct::compare_with_truth(truth, good).first_difference.empty());

  auto differs = [&](const std::function<void(ct::SinkSnapshot&)>& mutate,
                     const std::string& expect) {
    ct::SinkSnapshot s = good;
    mutate(s);
    const std::string diff = ct::compare_with_truth(truth, s).first_difference;
    INFO("expected a difference mentioning '" << expect << "', got '" << diff << "'");
    CHECK(diff.find(expect) != std::string::npos);
  };
  differs([](auto& s) { s.ledger.pop_back(); }, "MISSING claim");
  differs([](auto& s) { s.ledger.push_back(s.ledger.front()); }, "duplicate row");
  differs([](auto& s) { s.ledger.front().status = "dead"; }, "status 'dead'");
  differs([](auto& s) { s.ledger.front().status = "orphaned"; }, "status 'orphaned'");
  differs([](auto& s) { s.ledger.front().level = 7; }, "level is 7");
  differs([](auto& s) { s.ledger.front().block_hash = "0x00"; }, "block_hash");
  differs(
      [](auto& s) {
        auto extra = s.ledger.front();
        extra.key = "31337:0x" + std::string(64, 'e') + ":0:0";
        s.ledger.push_back(extra);
      },
      "UNEXPECTED row");
  differs([](auto& s) { s.membership.pop_back(); }, "membership: MISSING");
  differs([](auto& s) { s.membership.push_back(s.membership.front()); }, "DUPLICATE");
  differs(
      [](auto& s) {
        s.membership.push_back({s.membership.front().wallet, 9, std::nullopt});
      },
      "UNEXPECTED, the wallet never minted that level");
  differs([](auto& s) { s.membership.front().claim_key = "nope"; }, "is not a mint of this wallet");
  differs([](auto& s) { s.members.front().current_level = 4; }, "current_level is 4");
  differs([](auto& s) { s.members.front().activated_at = 1002; }, "activated_at is 1002");
  differs([](auto& s) { s.members.pop_back(); }, "members: MISSING");
  differs([](auto& s) { s.users.push_back("0x" + std::string(40, '9')); }, "UNEXPECTED");
  differs([](auto& s) { s.users.pop_back(); }, "users: MISSING");
}

// Reorgs of replicated blocks leave legitimate traces: the ledger row of a revoked claim
// (status 'revoked' only), and the users row of a wallet whose every claim was revoked
// (but no members row: DESIGN §5/§7). Nothing else off-chain may remain.
TEST_CASE("guarantee comparison accepts revoked off-chain claims and nothing more", "[guarantee]") {
  const ct::ChainTruth truth = tiny_truth();
  const ct::SinkSnapshot good = matching_sink(truth);
  const std::string w1 = "0x" + std::string(40, '1');
  const std::string gone = "0x" + std::string(40, '7');  // every claim of it was revoked
  auto revoked_row = [&](const std::string& wallet, char tx) {
    ct::LedgerRow r = good.ledger.front();
    r.tx_hash = "0x" + std::string(64, tx);
    r.key = "31337:" + r.tx_hash + ":0:0";
    r.wallet = wallet;
    r.level = 4;
    r.status = "revoked";
    return r;
  };
  ct::SinkSnapshot legit = good;
  legit.ledger.push_back(revoked_row(w1, 'e'));    // a member that keeps other claims
  legit.ledger.push_back(revoked_row(gone, 'f'));  // a wallet left without any claim
  legit.users.push_back(gone);                     // its users row stays
  {
    const std::string diff = ct::compare_with_truth(truth, legit).first_difference;
    INFO(diff);
    CHECK(diff.empty());
  }
  {
    ct::SinkSnapshot no_user = legit;  // a revoke of a claim the sink never held adds no user
    no_user.users.pop_back();
    CHECK(ct::compare_with_truth(truth, no_user).first_difference.empty());
  }
  auto differs = [&](const std::function<void(ct::SinkSnapshot&)>& mutate,
                     const std::string& expect) {
    ct::SinkSnapshot s = legit;
    mutate(s);
    const std::string diff = ct::compare_with_truth(truth, s).first_difference;
    INFO("expected a difference mentioning '" << expect << "', got '" << diff << "'");
    CHECK(diff.find(expect) != std::string::npos);
  };
  for (const char* status : {"done", "pending", "orphaned", "retrying", "dead", "revoking"}) {
    differs([&](auto& s) { s.ledger.back().status = status; },
            std::string("UNEXPECTED row 31337:0x") + std::string(64, 'f') + ":0:0 (status '" +
                status + "'");
  }
  differs(
      [&](auto& s) {
        s.members.push_back({gone, 4, 1000});
      },
      "every claim of the wallet was revoked");
  differs(
      [&](auto& s) {
        s.membership.push_back({gone, 4, s.ledger.back().key});
      },
      "UNEXPECTED, the wallet never minted that level");
  differs([&](auto& s) { s.membership.front().claim_key = s.ledger.back().key; },
          "is a revoked claim");
  differs([&](auto& s) { s.users.push_back("0x" + std::string(40, '8')); }, "UNEXPECTED");
  differs([&](auto& s) { s.ledger.push_back(s.ledger.back()); }, "duplicate row");
  // A canonical claim is never 'revoked', whatever happened to it on the way.
  differs([&](auto& s) { s.ledger.front().status = "revoked"; }, "status 'revoked'");
}

// Developer check of the load generator and the independent recomputation alone (no node,
// no database): `guarantee_test "[guarantee-load]"`.
TEST_CASE("guarantee load and chain truth agree with balanceOfBatch", "[.][guarantee-load]") {
  const std::uint64_t seed = ct::guarantee_seed();
  std::cout << "guarantee-load seed: " << seed << std::endl;
  ct::AnvilOptions anvil_options;
  anvil_options.block_time_s = 1;
  anvil_options.extra_args = {"--auto-impersonate"};
  ct::Anvil chain(anvil_options);
  const std::string nft = chain.deploy_claim_nft();
  const std::uint64_t start_block = chain.block_number();
  ct::LoadOptions load_options;
  load_options.seed = seed;
  ct::LoadGenerator load(chain, nft, load_options);
  load.prepare();
  const auto t0 = SteadyClock::now();
  for (std::size_t i = 0; i < 12; ++i) {
    load.run_wave();
    if (i == 4 || i == 8) load.reorg(1 + i % 3);
  }
  load.run_wave();
  std::cout << ct::load_summary(load.stats()) << " in " << seconds_since(t0) << " s" << std::endl;
  ct::RawRpc rpc(chain.port());
  ct::TruthQuery query;
  query.contract = nft;
  query.from_block = start_block;
  query.to_block = chain.block_number();
  const ct::ChainTruth truth = ct::recompute_chain_truth(rpc, query);
  std::cout << ct::truth_summary(truth) << std::endl;
  REQUIRE(truth.inconsistency.empty());
  CHECK(truth.claims.size() >= 12 * load_options.claims_per_wave * 8 / 10);
  CHECK(truth.counts.transfer_logs > 0);
  CHECK(truth.counts.burn_logs > 0);
}

TEST_CASE("guarantee: every final mint lands exactly once through kills, outages and reorgs",
          "[guarantee]") {
  const auto t_begin = SteadyClock::now();
  const std::uint64_t seed = ct::guarantee_seed();
  const ct::GuaranteeParams params = ct::guarantee_params_from_env(default_params());
  std::cout << "guarantee seed: " << seed << " (replay: CLAIMSYNC_GUARANTEE_SEED=" << seed << ")"
            << "\nguarantee params: " << params.describe() << std::endl;
  INFO("guarantee seed " << seed << " (replay: CLAIMSYNC_GUARANTEE_SEED=" << seed << ")");
  std::mt19937_64 chaos_rng(seed ^ 0x9e3779b97f4a7c15ULL);

  // --- the world: chain, database, node ----------------------------------------------
  ct::TempDir dir("claimsync-guarantee");
  ct::AnvilOptions anvil_options;
  anvil_options.block_time_ms = params.block_ms;
  anvil_options.extra_args = {"--auto-impersonate"};
  ct::Anvil chain(anvil_options);
  ct::PgCluster pg;
  const std::string nft = chain.deploy_claim_nft();
  const std::uint64_t start_block = chain.block_number();

  ct::GuaranteeNodeConfig config;
  config.rpc_url = chain.url();
  config.chain_id = chain.chain_id();
  config.contract = nft;
  config.start_block = start_block;
  config.confirmations = params.confirmations;
  config.data_dir = dir.file("data");
  config.sink_url = pg.url();
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

  // --- load under chaos -----------------------------------------------------------------
  ct::LoadOptions load_options;
  load_options.seed = seed;
  load_options.claims_per_wave = params.claims_per_wave;
  load_options.wallets = params.wallets;
  ct::LoadGenerator load(chain, nft, load_options);
  load.prepare();
  const auto reorgs = reorg_plan(chaos_rng, params);
  ct::ChaosOptions chaos_options;
  chaos_options.duration = params.load_phase;
  chaos_options.kills = params.kills;
  chaos_options.outages = params.outages;
  chaos_options.min_outage = params.min_outage;
  const auto schedule = ct::make_chaos_schedule(chaos_rng, chaos_options);

  std::atomic<bool> abort{false};
  ct::ChaosReport chaos;
  std::exception_ptr chaos_error;
  const auto t_load = SteadyClock::now();
  std::thread chaos_thread([&] {
    try {
      ct::play_chaos(schedule, node, pg, t_load, abort, chaos);
    } catch (...) {
      chaos_error = std::current_exception();
    }
  });
  try {
    for (std::size_t wave = 0; wave < params.waves; ++wave) {
      std::this_thread::sleep_until(t_load + params.load_phase * wave / params.waves);
      load.run_wave();
      if (auto r = reorgs.find(wave); r != reorgs.end()) load.reorg(r->second);
      if ((wave + 1) % 10 == 0) {
        std::cout << "  wave " << wave + 1 << "/" << params.waves << " at " << seconds_since(t_load)
                  << " s: " << load.stats().level_claims_sent << " level claims mined, head "
                  << load.stats().last_block << std::endl;
      }
    }
    load.run_wave();  // resends anything the last reorg dropped
  } catch (...) {
    abort = true;
    chaos_thread.join();
    ct::print_context(node, seed, "the load failed; chaos so far:\n" + chaos.timeline);
    throw;
  }
  chaos_thread.join();
  const double load_seconds = seconds_since(t_load);
  std::cout << ct::load_summary(load.stats()) << "\nload phase " << load_seconds << " s\nchaos:\n"
            << chaos.timeline << std::flush;
  if (chaos_error) std::rethrow_exception(chaos_error);

  // --- the chaos happened as the issue demands ------------------------------------------
  CHECK(chaos.kills >= std::min(params.kills, 10));
  REQUIRE(chaos.outage_seconds.size() >= static_cast<std::size_t>(std::min(params.outages, 2)));
  for (double s : chaos.outage_seconds) CHECK(s >= params.min_outage.count() / 1000.0);
  CHECK(load.stats().reorgs >= static_cast<std::size_t>(std::min(params.reorgs, 3)));
  for (const auto& p : ct::node_life_problems(node, chaos.problems)) {
    ct::print_context(node, seed, p);
    FAIL_CHECK(p);
  }

  // --- wait until the node reports caught up past the last load block --------------------
  const std::uint64_t last_load_block = chain.block_number();
  const auto t_catch_up = SteadyClock::now();
  json status;
  std::string diagnostics;
  const bool caught_up =
      ct::wait_caught_up(node, last_load_block, params.catch_up, status, diagnostics);
  const double catch_up_seconds = seconds_since(t_catch_up);
  if (!node.running() || !caught_up) {
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

  // --- the truth, recomputed from the chain alone ----------------------------------------
  ct::RawRpc rpc(chain.port());
  ct::TruthQuery query;
  query.contract = nft;
  query.chain_id = chain.chain_id();
  query.from_block = start_block;
  query.to_block = chain.block_number();
  const ct::ChainTruth truth = ct::recompute_chain_truth(rpc, query);
  std::cout << ct::truth_summary(truth) << std::endl;
  REQUIRE(truth.inconsistency.empty());  // the sweep explains every on-chain balance
  // The load is what the issue asks for (else the test proves too little).
  REQUIRE(truth.claims.size() >= 2000);
  REQUIRE(truth.member_level.size() >= 200);
  REQUIRE(truth.counts.transfer_logs > 0);
  REQUIRE(truth.counts.burn_logs > 0);
  REQUIRE(truth.counts.non_level_mints > 0);
  REQUIRE(truth.claims.size() > truth.membership.size());  // repeated levels happened

  // --- the verdict ------------------------------------------------------------------------
  const ct::SinkSnapshot sink = ct::read_sink(pg);
  const ct::Comparison verdict = ct::compare_with_truth(truth, sink);
  std::cout << "compared:\n" << verdict.summary << std::flush;
  for (const auto& wallet : load.transfer_only_wallets()) {
    CHECK_FALSE(truth.member_level.count(wallet));  // the truth itself ignores transfers
  }
  if (!verdict.first_difference.empty()) {
    ct::print_context(node, seed, "first difference: " + verdict.first_difference);
    FAIL("membership database differs from the chain: " << verdict.first_difference);
  }
  CHECK(ct::json_u64(status, "claims", "dead") == 0);
  CHECK(ct::json_u64(status, "claims", "done") == truth.claims.size());
  CHECK(ct::json_u64(status, "claims", "total") == truth.claims.size());

  // A clean shutdown at the end (SIGTERM): exit 0; status still answers, offline.
  CHECK(node.stop(milliseconds(20'000)) == 0);
  {
    auto offline = node.status(&diagnostics);
    INFO(diagnostics);
    REQUIRE(offline);
    CHECK(ct::json_u64(*offline, "claims", "done") == truth.claims.size());
    // Not caught_up: anvil keeps mining while the node is stopped. Still past the load.
    CHECK(offline->at("chain").value("checkpoint", std::uint64_t{0}) >= last_load_block);
    CHECK(ct::json_u64(*offline, "claims", "pending") == 0);
  }
  // The verdict reads what it claims to read: one row removed is one difference found.
  pg.exec("DELETE FROM membership WHERE ctid = (SELECT ctid FROM membership LIMIT 1)");
  const std::string tampered = ct::compare_with_truth(truth, ct::read_sink(pg)).first_difference;
  INFO(tampered);
  CHECK(tampered.find("membership: MISSING") != std::string::npos);
  std::cout << "guarantee: seed " << seed << ", " << truth.claims.size() << " claims from "
            << truth.member_level.size() << " wallets, " << chaos.kills << " kills, "
            << chaos.outage_seconds.size() << " outages, " << load.stats().reorgs
            << " reorgs; load " << load_seconds << " s, catch-up " << catch_up_seconds
            << " s, total " << seconds_since(t_begin) << " s" << std::endl;
}
