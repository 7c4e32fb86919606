// /metrics text as Prometheus' own linter sees it: a NodeMetrics with every kind of series
// populated (counters, gauges, histograms, escaped values) passes `promtool check metrics`
// (Debian package `prometheus`, installed by scripts/setup), and promtool does fail the
// deliberately broken texts below, so a pass means something.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>

#include "node/metrics/node_metrics.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::run_command;
using claimsync::testing::RunResult;
using claimsync::testing::TempDir;

namespace {

bool have_promtool() { return run_command({"sh", "-c", "command -v promtool"}).exit_code == 0; }

// `promtool check metrics` reads the exposition from stdin.
RunResult promtool_check(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return run_command({"sh", "-c", "promtool check metrics < '" + path + "'"});
}

NodeMetrics& populate(NodeMetrics& m) {
  StatusReport r;
  r.checkpoint = 1000;
  r.target = 1010;
  r.head = 1030;
  r.rpc_reachable = true;
  r.db_reachable = true;
  r.oldest_pending_age_s = 3;
  r.counters.by_state[static_cast<int>(store::ClaimState::kDone)] = 12;
  m.set_status_source([r] { return r; });
  for (auto outcome : kHintOutcomes) m.hint("intake", outcome);
  m.hint("webhook", "confirmed");
  for (auto result : kAttestationResults) m.attestation("eoa", result);
  m.attestation("erc6492", "accepted");
  m.webhook_request("alchemy", "stale");
  m.mints_ingested("intake", 4);
  FollowerStep step;
  step.kind = FollowerStepKind::kCommitted;
  step.commit.claims_new = 12;
  m.follower_step(step);
  step.kind = FollowerStepKind::kRolledBack;
  step.depth = 2;
  m.follower_step(step);
  for (auto method : kRpcMethods) m.rpc_attempt({method, eth::RpcOutcome::kOk, 0.012});
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kRateLimited, 0.2});
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kTimeout, 10});
  for (std::size_t op = 0; op < kDbOperations.size(); ++op) {
    m.db_operation(static_cast<DbOperation>(op), DbStatus::kOk, 0.004, 0);
  }
  m.db_operation(DbOperation::kApply, DbStatus::kPartial, 0.03, 2);
  m.db_operation(DbOperation::kApply, DbStatus::kUnavailable, 30.5, 0);
  // Escaping: HELP with a backslash and a newline, a label value with quotes and newline.
  m.registry()
      .gauge("claimsync_test_escaping", "back\\slash and\nnewline", {"what"})
      .with({"a \"quoted\"\nvalue \\ here"})
      .set(0.5);
  return m;
}

}  // namespace

TEST_CASE("a populated /metrics text passes promtool check metrics") {
  if (!have_promtool()) {
    WARN("SKIPPED: promtool not found; install the Debian package `prometheus` (scripts/setup)");
    if (std::getenv("CI") != nullptr) FAIL("CI must have promtool (scripts/setup installs it)");
    return;
  }
  TempDir dir("claimsync-metrics");
  NodeMetrics m(42161, "0.1.0");
  const std::string text = populate(m).render();
  INFO(text);
  const RunResult r = promtool_check(dir, "good.prom", text);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("error") == std::string::npos);
  // Every family of the reference names is in the text.
  for (const char* name :
       {"claimsync_sync_block", "claimsync_chain_head_block", "claimsync_target_block",
        "claimsync_blocks_behind", "claimsync_claims", "claimsync_mints_ingested_total",
        "claimsync_reorgs_total", "claimsync_reorg_depth_blocks", "claimsync_rpc_requests_total",
        "claimsync_rpc_request_duration_seconds", "claimsync_rpc_errors_total",
        "claimsync_db_operation_duration_seconds", "claimsync_db_operations_total",
        "claimsync_db_errors_total", "claimsync_hints_total", "claimsync_attestations_total",
        "claimsync_webhook_requests_total", "claimsync_build_info"}) {
    CHECK(text.find(std::string("# TYPE ") + name + " ") != std::string::npos);
  }
}

TEST_CASE("promtool fails broken texts, so the check above can fail") {
  if (!have_promtool()) {
    WARN("SKIPPED: promtool not found; install the Debian package `prometheus` (scripts/setup)");
    if (std::getenv("CI") != nullptr) FAIL("CI must have promtool (scripts/setup installs it)");
    return;
  }
  TempDir dir("claimsync-metrics");
  struct Bad {
    const char* why;
    const char* text;
  };
  const Bad cases[] = {
      {"a counter without _total (the registry refuses it; written by hand here)",
       "# HELP claimsync_requests Requests.\n# TYPE claimsync_requests counter\n"
       "claimsync_requests 1\n"},
      {"a name that is not a metric name",
       "# HELP claimsync-bad Bad.\n# TYPE claimsync-bad gauge\nclaimsync-bad 1\n"},
      {"an unescaped quote in a label value",
       "# HELP claimsync_g G.\n# TYPE claimsync_g gauge\nclaimsync_g{a=\"x\"y\"} 1\n"},
      {"a duration not in base units",
       "# HELP claimsync_rpc_duration_milliseconds D.\n"
       "# TYPE claimsync_rpc_duration_milliseconds gauge\n"
       "claimsync_rpc_duration_milliseconds 3\n"},
      {"no newline after the last line",
       "# HELP claimsync_g G.\n# TYPE claimsync_g gauge\nclaimsync_g 1"},
  };
  for (const Bad& b : cases) {
    INFO(b.why);
    const RunResult r = promtool_check(dir, "bad.prom", b.text);
    INFO(r.output);
    CHECK(r.exit_code != 0);
  }
}
