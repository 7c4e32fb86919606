// AlertTracker (the built-in notifier's conditions) and the message bodies: driven report
// by report with explicit times, no clock and no network.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "node/alerts/alert_notifier.hpp"
#include "node/alerts/alert_tracker.hpp"

namespace {

using namespace claimsync;
using node::AlertChange;
using node::AlertId;
using node::AlertThresholds;
using node::AlertTracker;
using node::StatusReport;

// A healthy report: every figure known, nothing wrong.
StatusReport healthy() {
  StatusReport r;
  r.running = true;
  r.head = 1'000;
  r.target = 1'000;
  r.checkpoint = 1'000;
  r.rpc_reachable = true;
  r.db_reachable = true;
  return r;
}

std::string names(const std::vector<AlertChange>& changes) {
  std::string out;
  for (const AlertChange& c : changes)
    out += std::string(c.firing ? "+" : "-") + node::alert_name(c.id) + " ";
  return out;
}

constexpr std::int64_t kS = 1'000;  // ms per second

}  // namespace

TEST_CASE("a dead claim fires at once and clears when none is dead", "[alerts]") {
  AlertTracker t{AlertThresholds{}};
  CHECK(t.observe(healthy(), 0).empty());
  StatusReport r = healthy();
  r.counters.by_state[static_cast<int>(store::ClaimState::kDead)] = 2;
  auto changes = t.observe(r, 1 * kS);
  REQUIRE(names(changes) == "+ClaimsyncDeadClaims ");
  CHECK(changes[0].summary.find("2 claim(s) dead") != std::string::npos);
  CHECK(changes[0].next.find("claims retry") != std::string::npos);
  CHECK(t.observe(r, 2 * kS).empty());  // still firing: no second change
  CHECK(t.firing(AlertId::kDeadClaims));
  changes = t.observe(healthy(), 3 * kS);
  REQUIRE(names(changes) == "-ClaimsyncDeadClaims ");
  CHECK(changes[0].next == "none");
  CHECK_FALSE(t.firing(AlertId::kDeadClaims));
}

TEST_CASE("a condition with a duration fires only when it held in every report that long",
          "[alerts]") {
  AlertThresholds th;
  th.sink_down_for_s = 60;
  AlertTracker t{th};
  StatusReport down = healthy();
  down.db_reachable = false;
  down.db_error = "connection refused";
  CHECK(t.observe(down, 0).empty());
  CHECK(t.observe(down, 59 * kS).empty());
  CHECK(t.observe(healthy(), 60 * kS).empty());  // back before the duration: never fired
  CHECK(t.observe(down, 61 * kS).empty());       // the duration starts again
  CHECK(t.observe(down, 120 * kS).empty());
  auto changes = t.observe(down, 121 * kS);
  REQUIRE(names(changes) == "+ClaimsyncSinkUnreachable ");
  CHECK(changes[0].summary.find("connection refused") != std::string::npos);
}

TEST_CASE("unknown figures neither start nor end a condition", "[alerts]") {
  AlertThresholds th;
  th.behind_for_s = 0;
  th.blocks_behind = 10;
  AlertTracker t{th};
  StatusReport unknown = healthy();
  unknown.head.reset();
  unknown.target.reset();
  unknown.rpc_reachable.reset();
  unknown.db_reachable.reset();
  CHECK(t.observe(unknown, 0).empty());
  StatusReport behind = healthy();
  behind.checkpoint = 900;  // 100 behind the target
  REQUIRE(names(t.observe(behind, 1 * kS)) == "+ClaimsyncBlocksBehind ");
  CHECK(t.observe(unknown, 2 * kS).empty());  // unknown: still firing
  CHECK(t.firing(AlertId::kBlocksBehind));
  CHECK(names(t.observe(healthy(), 3 * kS)) == "-ClaimsyncBlocksBehind ");
}

TEST_CASE("pending age, RPC unreachable; several changes in one report", "[alerts]") {
  AlertThresholds th;
  th.pending_age_s = 300;
  th.rpc_down_for_s = 0;
  AlertTracker t{th};
  StatusReport r = healthy();
  r.oldest_pending_age_s = 300;  // not above
  r.rpc_reachable = false;
  CHECK(names(t.observe(r, 0)) == "+ClaimsyncRpcUnreachable ");
  r.oldest_pending_age_s = 301;
  r.counters.by_state[static_cast<int>(store::ClaimState::kDead)] = 1;
  CHECK(names(t.observe(r, 1 * kS)) == "+ClaimsyncDeadClaims +ClaimsyncPendingTooOld ");
  CHECK(names(t.observe(healthy(), 2 * kS)) ==
        "-ClaimsyncDeadClaims -ClaimsyncPendingTooOld -ClaimsyncRpcUnreachable ");
  // current() tells the state as it stands, for a receiver that missed the changes.
  CHECK_FALSE(t.current(AlertId::kRpcUnreachable).firing);
  CHECK(t.current(AlertId::kRpcUnreachable).summary.rfind("resolved: ", 0) == 0);
}

TEST_CASE("message bodies: Slack-compatible text and generic JSON", "[alerts]") {
  std::vector<AlertChange> changes = {
      {AlertId::kDeadClaims, true, "1 claim(s) dead", "retry it", 1'000},
      {AlertId::kSinkUnreachable, false, "resolved: db down", "none", 2'000}};
  const auto slack = nlohmann::json::parse(node::render_alert_message("slack", "chain 1", changes));
  REQUIRE(slack.size() == 1);
  CHECK(slack.at("text") ==
        "[FIRING] ClaimsyncDeadClaims (chain 1): 1 claim(s) dead. Next: retry it\n"
        "[RESOLVED] ClaimsyncSinkUnreachable (chain 1): resolved: db down");
  const auto j = nlohmann::json::parse(node::render_alert_message("json", "chain 1", changes));
  CHECK(j.at("source") == "claimsync");
  CHECK(j.at("node") == "chain 1");
  REQUIRE(j.at("alerts").size() == 2);
  CHECK(j.at("alerts")[0].at("alert") == "ClaimsyncDeadClaims");
  CHECK(j.at("alerts")[0].at("status") == "firing");
  CHECK(j.at("alerts")[1].at("status") == "resolved");
  CHECK(j.at("alerts")[1].at("at_ms") == 2'000);
}
