#include "node/api/readiness.hpp"

namespace claimsync::node {
namespace {

const nlohmann::json& field(const nlohmann::json& j, const char* section, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto s = j.find(section);
  if (s == j.end() || !s->is_object()) return kNull;
  auto v = s->find(key);
  return v == s->end() ? kNull : *v;
}

// target - checkpoint, null when either is unknown.
nlohmann::json behind_target(const nlohmann::json& status) {
  const auto& t = field(status, "chain", "target");
  const auto& c = field(status, "chain", "checkpoint");
  if (!t.is_number_unsigned() || !c.is_number_unsigned()) return nullptr;
  const auto tv = t.get<std::uint64_t>(), cv = c.get<std::uint64_t>();
  return tv > cv ? tv - cv : 0;
}

}  // namespace

Readiness readiness_from_status(const nlohmann::json& status, std::uint64_t max_lag_blocks) {
  Readiness r;
  const auto& target = field(status, "chain", "target");
  const auto& checkpoint = field(status, "chain", "checkpoint");
  if (!target.is_number_unsigned()) {
    r.reasons.push_back("finality target unknown (RPC not reached yet)");
  } else if (!checkpoint.is_number_unsigned()) {
    r.reasons.push_back("nothing scanned yet (no checkpoint)");
  } else {
    const auto t = target.get<std::uint64_t>();
    const auto c = checkpoint.get<std::uint64_t>();
    const std::uint64_t lag = t > c ? t - c : 0;
    if (lag > max_lag_blocks)
      r.reasons.push_back("follower " + std::to_string(lag) + " blocks behind its target (max " +
                          std::to_string(max_lag_blocks) + ")");
  }
  const auto& ferr = field(status, "chain", "follower_error");
  if (ferr.is_string() && !ferr.get<std::string>().empty())
    r.reasons.push_back("follower error: " + ferr.get<std::string>());
  if (field(status, "chain", "rpc_reachable") == false) r.reasons.push_back("RPC unreachable");
  if (field(status, "db", "reachable") == false) r.reasons.push_back("sink unreachable");
  if (field(status, "db", "paused") == true) r.reasons.push_back("replicator paused");
  const auto& dead = field(status, "claims", "dead");
  if (!dead.is_number_unsigned()) {
    r.reasons.push_back("claim counters unknown");
  } else if (dead.get<std::uint64_t>() > 0) {
    r.reasons.push_back(std::to_string(dead.get<std::uint64_t>()) +
                        " dead claims (retry them: POST /v1/admin/claims/retry-dead)");
  }
  r.ready = r.reasons.empty();
  return r;
}

nlohmann::json readiness_json(const Readiness& r, const nlohmann::json& status) {
  return {{"ready", r.ready},
          {"reasons", r.reasons},
          {"target", field(status, "chain", "target")},
          {"checkpoint", field(status, "chain", "checkpoint")},
          {"behind_target", behind_target(status)},
          // Active/standby: a healthy standby is ready (it follows the chain and takes
          // hints); the role says which node of the pair replicates. "single" without [ha].
          {"role", field(status, "ha", "role").is_string() ? field(status, "ha", "role")
                                                           : nlohmann::json("single")}};
}

}  // namespace claimsync::node
