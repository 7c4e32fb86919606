// NodeMetrics: the node's named series, their bounded vocabularies (anything else is
// "other"), the RPC observer's classification, the follower hook and the scrape-time
// gauges read from a status report.
#include <catch2/catch.hpp>

#include <string>

#include "node/metrics/node_metrics.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/rpc_observer.hpp"
#include "tests/support/metrics_text.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::lines_starting_with;
using claimsync::testing::sample_number;
using claimsync::testing::sample_value;

TEST_CASE("build info and the claims gauge are there from the start") {
  NodeMetrics m(42161, "1.2.3");
  const std::string text = m.render();
  CHECK(sample_value(text, "claimsync_build_info{version=\"1.2.3\"}") == "1");
  // No status source yet: the scrape-time gauges show their initial value or nothing.
  CHECK(lines_starting_with(text, "claimsync_sync_block{") == 0);
  CHECK(lines_starting_with(text, "# TYPE claimsync_sync_block gauge") == 1);
}

TEST_CASE("hints, attestations and webhooks count within their vocabularies") {
  NodeMetrics m(1, "v");
  m.hint("intake", "confirmed");
  m.hint("intake", "confirmed");
  m.hint("webhook", "reverted");
  m.hint("intake", "0xdeadbeef-not-an-outcome");  // unknown: counted as other
  m.hint("frontend?", "mismatch");
  m.attestation("eoa", "accepted");
  m.attestation("erc6492", "expired");
  m.attestation("erc1271", "weird");
  m.webhook_request("thirdweb", "bad_signature");
  m.webhook_request("unknown-provider", "accepted");
  const std::string t = m.render();
  CHECK(sample_value(t, "claimsync_hints_total{source=\"intake\",outcome=\"confirmed\"}") == "2");
  CHECK(sample_value(t, "claimsync_hints_total{source=\"webhook\",outcome=\"reverted\"}") == "1");
  CHECK(sample_value(t, "claimsync_hints_total{source=\"intake\",outcome=\"other\"}") == "1");
  CHECK(sample_value(t, "claimsync_hints_total{source=\"other\",outcome=\"mismatch\"}") == "1");
  CHECK(sample_value(t, "claimsync_attestations_total{scheme=\"eoa\",result=\"accepted\"}") == "1");
  CHECK(sample_value(t, "claimsync_attestations_total{scheme=\"erc6492\",result=\"expired\"}") ==
        "1");
  CHECK(sample_value(t, "claimsync_attestations_total{scheme=\"erc1271\",result=\"other\"}") ==
        "1");
  CHECK(
      sample_value(
          t, "claimsync_webhook_requests_total{provider=\"thirdweb\",result=\"bad_signature\"}") ==
      "1");
  CHECK(sample_value(
            t, "claimsync_webhook_requests_total{provider=\"other\",result=\"accepted\"}") == "1");
  // Only the series that happened are shown, and none carries the caller's raw string.
  CHECK(lines_starting_with(t, "claimsync_hints_total{") == 4);
  CHECK(t.find("deadbeef") == std::string::npos);
  CHECK(t.find("frontend?") == std::string::npos);
}

TEST_CASE("RPC attempts count by method, status and kind, with durations") {
  NodeMetrics m(1, "v");
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kOk, 0.02});
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kRateLimited, 0.003});
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kTimeout, 12});
  m.rpc_attempt({"eth_chainId", eth::RpcOutcome::kConnection, 0.001});
  m.rpc_attempt({"debug_something", eth::RpcOutcome::kOther, 0.5});
  const std::string t = m.render();
  CHECK(sample_value(t, "claimsync_rpc_requests_total{method=\"eth_getLogs\",status=\"ok\"}") ==
        "1");
  CHECK(sample_value(t, "claimsync_rpc_requests_total{method=\"eth_getLogs\",status=\"error\"}") ==
        "2");
  CHECK(sample_value(
            t, "claimsync_rpc_errors_total{method=\"eth_getLogs\",kind=\"rate_limited\"}") == "1");
  CHECK(sample_value(t, "claimsync_rpc_errors_total{method=\"eth_getLogs\",kind=\"timeout\"}") ==
        "1");
  CHECK(sample_value(t, "claimsync_rpc_errors_total{method=\"eth_chainId\",kind=\"connection\"}") ==
        "1");
  CHECK(sample_value(t, "claimsync_rpc_errors_total{method=\"other\",kind=\"other\"}") == "1");
  const std::string h = "claimsync_rpc_request_duration_seconds";
  CHECK(sample_value(t, h + "_bucket{method=\"eth_getLogs\",le=\"0.005\"}") == "1");
  CHECK(sample_value(t, h + "_bucket{method=\"eth_getLogs\",le=\"0.025\"}") == "2");
  CHECK(sample_value(t, h + "_bucket{method=\"eth_getLogs\",le=\"10\"}") == "2");
  CHECK(sample_value(t, h + "_bucket{method=\"eth_getLogs\",le=\"+Inf\"}") == "3");
  CHECK(sample_number(t, h + "_sum{method=\"eth_getLogs\"}") == Approx(12.023));
  // The observer the chain client gets feeds the same series.
  eth::RpcObserver obs = m.rpc_observer();
  obs({"eth_getLogs", eth::RpcOutcome::kOk, 0.01});
  CHECK(sample_value(m.render(),
                     "claimsync_rpc_requests_total{method=\"eth_getLogs\",status=\"ok\"}") == "2");
}

TEST_CASE("rpc_outcome classifies transport failures and JSON-RPC error objects") {
  using eth::RpcOutcome;
  CHECK(eth::rpc_outcome({ErrorCode::kRateLimited, "HTTP 429"}, nullptr, false) ==
        RpcOutcome::kRateLimited);
  CHECK(eth::rpc_outcome({ErrorCode::kTimeout, "t"}, nullptr, false) == RpcOutcome::kTimeout);
  CHECK(eth::rpc_outcome({ErrorCode::kUnavailable, "refused"}, nullptr, false) ==
        RpcOutcome::kConnection);
  CHECK(eth::rpc_outcome({ErrorCode::kBadResponse, "truncated"}, nullptr, false) ==
        RpcOutcome::kOther);
  eth::RpcReply ok;
  CHECK(eth::rpc_outcome({}, &ok, false) == RpcOutcome::kOk);
  eth::RpcReply limited;
  limited.error = eth::RpcErrorObject{429, "Too Many Requests", ""};
  CHECK(eth::rpc_outcome({}, &limited, false) == RpcOutcome::kRateLimited);
  eth::RpcReply reverted;
  reverted.error = eth::RpcErrorObject{3, "execution reverted", ""};
  CHECK(eth::rpc_outcome({}, &reverted, false) == RpcOutcome::kOther);
  CHECK(std::string(eth::rpc_outcome_name(RpcOutcome::kConnection)) == "connection");
}

TEST_CASE("the follower hook counts new claims, reorgs and their depth") {
  NodeMetrics m(42161, "v");
  FollowerStep committed;
  committed.kind = FollowerStepKind::kCommitted;
  committed.commit.claims_new = 7;
  committed.claims_found = 9;  // 2 were known: only new ones are ingested
  m.follower_step(committed);
  FollowerStep rolled;
  rolled.kind = FollowerStepKind::kRolledBack;
  rolled.depth = 3;
  m.follower_step(rolled);
  rolled.depth = 40;
  m.follower_step(rolled);
  m.follower_step(FollowerStep{});  // idle: nothing
  m.mints_ingested("intake", 2);
  const std::string t = m.render();
  CHECK(sample_value(t, "claimsync_mints_ingested_total{chain=\"42161\",source=\"scan\"}") == "7");
  CHECK(sample_value(t, "claimsync_mints_ingested_total{chain=\"42161\",source=\"intake\"}") ==
        "2");
  CHECK(sample_value(t, "claimsync_reorgs_total{chain=\"42161\"}") == "2");
  CHECK(sample_value(t, "claimsync_reorg_depth_blocks_bucket{chain=\"42161\",le=\"3\"}") == "1");
  CHECK(sample_value(t, "claimsync_reorg_depth_blocks_bucket{chain=\"42161\",le=\"50\"}") == "2");
  CHECK(sample_value(t, "claimsync_reorg_depth_blocks_sum{chain=\"42161\"}") == "43");
}

TEST_CASE("scrape-time gauges come from the status report at each render") {
  NodeMetrics m(42161, "v");
  StatusReport r;
  r.checkpoint = 90;
  r.target = 100;
  r.head = 120;
  r.rpc_reachable = true;
  r.db_reachable = false;
  r.db_paused = true;
  r.db_failures = 4;
  r.oldest_pending_age_s = 17;
  r.counters.by_state[static_cast<int>(store::ClaimState::kPending)] = 3;
  r.counters.by_state[static_cast<int>(store::ClaimState::kDead)] = 1;
  int scrapes = 0;
  m.set_status_source([&] {
    ++scrapes;
    return r;
  });
  std::string t = m.render();
  CHECK(scrapes == 1);
  CHECK(sample_value(t, "claimsync_sync_block{chain=\"42161\"}") == "90");
  CHECK(sample_value(t, "claimsync_target_block{chain=\"42161\"}") == "100");
  CHECK(sample_value(t, "claimsync_chain_head_block{chain=\"42161\"}") == "120");
  CHECK(sample_value(t, "claimsync_blocks_behind{chain=\"42161\"}") == "10");
  CHECK(sample_value(t, "claimsync_sync_is_realtime{chain=\"42161\"}") == "0");
  CHECK(sample_value(t, "claimsync_claims{state=\"pending\"}") == "3");
  CHECK(sample_value(t, "claimsync_claims{state=\"dead\"}") == "1");
  CHECK(sample_value(t, "claimsync_claims{state=\"done\"}") == "0");
  CHECK(sample_value(t, "claimsync_oldest_pending_age_seconds") == "17");
  CHECK(sample_value(t, "claimsync_rpc_reachable") == "1");
  CHECK(sample_value(t, "claimsync_sink_reachable") == "0");
  CHECK(sample_value(t, "claimsync_sink_paused") == "1");
  CHECK(sample_value(t, "claimsync_sink_consecutive_failures") == "4");

  // The next scrape reads the report again.
  r.checkpoint = 100;
  r.head.reset();
  r.counters = {};
  t = m.render();
  CHECK(scrapes == 2);
  CHECK(sample_value(t, "claimsync_blocks_behind{chain=\"42161\"}") == "0");
  CHECK(sample_value(t, "claimsync_sync_is_realtime{chain=\"42161\"}") == "1");
  CHECK(!sample_value(t, "claimsync_chain_head_block{chain=\"42161\"}"));  // unknown: no sample
  CHECK(sample_value(t, "claimsync_claims{state=\"pending\"}") == "0");
}

TEST_CASE("reconcile runs: counted by result; the gauges follow the last run") {
  NodeMetrics m(1, "v");
  std::string t = m.render();
  // Before any run: the families are declared, no sample (no false "0 differences").
  CHECK(lines_starting_with(t, "# TYPE claimsync_reconcile_differences gauge") == 1);
  CHECK(lines_starting_with(t, "claimsync_reconcile_differences ") == 0);
  CHECK(lines_starting_with(t, "claimsync_reconcile_last_result{") == 0);

  ReconcileSummary run;
  run.finished_at_ms = 1'700'000'000'500;
  run.trigger = "scheduled";
  run.result = "differences";
  run.differences = 3;
  run.elapsed_ms = 1'250;
  m.reconcile_run(run);
  t = m.render();
  CHECK(sample_value(t, "claimsync_reconcile_differences") == "3");
  CHECK(sample_value(t, "claimsync_reconcile_runs_total{result=\"differences\"}") == "1");
  CHECK(sample_value(t, "claimsync_reconcile_last_result{result=\"differences\"}") == "1");
  CHECK(sample_value(t, "claimsync_reconcile_last_result{result=\"consistent\"}") == "0");
  CHECK(sample_value(t, "claimsync_reconcile_last_result{result=\"partial\"}") == "0");
  CHECK(sample_number(t, "claimsync_reconcile_last_run_timestamp_seconds").value_or(0) ==
        Approx(1'700'000'000.5));
  CHECK(sample_number(t, "claimsync_reconcile_last_duration_seconds").value_or(0) == Approx(1.25));

  // A partial run says so, but does not clear the differences of the last complete run
  // (an RPC outage must not silence the alert).
  run.result = "partial";
  run.differences = 0;
  m.reconcile_run(run);
  t = m.render();
  CHECK(sample_value(t, "claimsync_reconcile_differences") == "3");
  CHECK(sample_value(t, "claimsync_reconcile_runs_total{result=\"partial\"}") == "1");
  CHECK(sample_value(t, "claimsync_reconcile_last_result{result=\"partial\"}") == "1");
  CHECK(sample_value(t, "claimsync_reconcile_last_result{result=\"differences\"}") == "0");

  run.result = "consistent";
  m.reconcile_run(run);
  t = m.render();
  CHECK(sample_value(t, "claimsync_reconcile_differences") == "0");
  CHECK(sample_value(t, "claimsync_reconcile_runs_total{result=\"consistent\"}") == "1");

  // The run before a restart: the gauges, not the counter.
  NodeMetrics fresh(1, "v");
  run.result = "differences";
  run.differences = 2;
  fresh.reconcile_restored(run);
  t = fresh.render();
  CHECK(sample_value(t, "claimsync_reconcile_differences") == "2");
  CHECK(lines_starting_with(t, "claimsync_reconcile_runs_total{") == 0);
}
