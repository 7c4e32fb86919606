// /readyz from the status JSON (StatusReport::to_json), and the wallet view's current level.
#include <catch2/catch.hpp>

#include "node/api/claim_view.hpp"
#include "node/api/readiness.hpp"
#include "node/status_report.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

StatusReport healthy() {
  StatusReport r;
  r.running = true;
  r.chain_id = 31337;
  r.head = 120;
  r.target = 100;
  r.checkpoint = 98;
  r.rpc_reachable = true;
  r.db_reachable = true;
  return r;
}

bool has_reason(const Readiness& r, const std::string& part) {
  for (const std::string& s : r.reasons)
    if (s.find(part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("ready when close to the target, sink fine, nothing stuck", "[api]") {
  const Readiness r = readiness_from_status(healthy().to_json(), 5);
  CHECK(r.ready);
  CHECK(r.reasons.empty());
  const auto j = readiness_json(r, healthy().to_json());
  CHECK(j.at("ready") == true);
  CHECK(j.at("behind_target") == 2);
}

TEST_CASE("sink never contacted yet (nothing due) counts as fine", "[api]") {
  StatusReport s = healthy();
  s.db_reachable.reset();
  CHECK(readiness_from_status(s.to_json(), 5).ready);
}

TEST_CASE("each stuck condition is a reason", "[api]") {
  StatusReport lag = healthy();
  lag.checkpoint = 94;  // 6 behind
  Readiness r = readiness_from_status(lag.to_json(), 5);
  CHECK_FALSE(r.ready);
  CHECK(has_reason(r, "6 blocks behind"));
  CHECK(readiness_from_status(lag.to_json(), 6).ready);

  StatusReport none = healthy();
  none.checkpoint.reset();
  CHECK(has_reason(readiness_from_status(none.to_json(), 5), "no checkpoint"));
  StatusReport no_target = healthy();
  no_target.target.reset();
  CHECK(has_reason(readiness_from_status(no_target.to_json(), 5), "target unknown"));

  StatusReport dead = healthy();
  dead.counters.by_state[static_cast<int>(store::ClaimState::kDead)] = 2;
  CHECK(has_reason(readiness_from_status(dead.to_json(), 5), "2 dead claims"));

  StatusReport ferr = healthy();
  ferr.follower_error = "reorg deeper than the stored window";
  CHECK(has_reason(readiness_from_status(ferr.to_json(), 5), "follower error: reorg deeper"));

  StatusReport db = healthy();
  db.db_reachable = false;
  db.db_paused = true;
  r = readiness_from_status(db.to_json(), 5);
  CHECK(has_reason(r, "sink unreachable"));
  CHECK(has_reason(r, "replicator paused"));
  CHECK(r.reasons.size() == 2);

  StatusReport rpc = healthy();
  rpc.rpc_reachable = false;
  CHECK(has_reason(readiness_from_status(rpc.to_json(), 5), "RPC unreachable"));
}

TEST_CASE("a document of the wrong shape is not ready, without throwing", "[api]") {
  for (const nlohmann::json& j :
       {nlohmann::json(), nlohmann::json::array(), nlohmann::json{{"chain", 1}},
        nlohmann::json{{"chain", {{"target", "x"}, {"checkpoint", -1}}}}}) {
    CHECK_FALSE(readiness_from_status(j, 5).ready);
  }
}

TEST_CASE("wallet view: current level is the highest done level", "[api]") {
  const eth::Address w = eth::Address::parse("0x00000000000000000000000000000000000000aa").value();
  auto claim = [&](std::uint32_t level, store::ClaimState st, std::uint32_t log) {
    store::Claim c;
    c.key.chain_id = 31337;
    c.key.log_index = log;
    c.wallet = w;
    c.level = level;
    c.state = st;
    return c;
  };
  nlohmann::json v = wallet_view(w, {}, false);
  CHECK(v.at("current_level").is_null());
  CHECK(v.at("active") == false);
  v = wallet_view(w,
                  {claim(3, store::ClaimState::kDone, 0), claim(5, store::ClaimState::kPending, 1),
                   claim(2, store::ClaimState::kDone, 2), claim(3, store::ClaimState::kRevoked, 3)},
                  false);
  CHECK(v.at("current_level") == 3);
  CHECK(v.at("active") == true);
  REQUIRE(v.at("levels").size() == 3);
  CHECK(v.at("levels")[0].at("level") == 2);
  CHECK(v.at("levels")[1].at("states") == nlohmann::json({"done", "revoked"}));
  CHECK(v.at("levels")[2].at("claims")[0].at("state") == "pending");
  CHECK(v.at("levels")[2].at("claims")[0].at("referrer").is_null());
}
