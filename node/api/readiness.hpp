// Readiness: the /readyz decision, computed from the status JSON (StatusReport::to_json,
// the same document as `claimsync status --json`).
//
// Ready when all hold, else not ready with one reason per failed condition:
//   * the follower knows its finality target and has a checkpoint, and
//     target - checkpoint <= max_lag_blocks;
//   * no follower error, and the RPC is not known to be unreachable;
//   * the sink is not known to be unreachable and the replicator is not paused (a sink
//     never contacted yet, because nothing was due, counts as fine);
//   * no dead claims (they need an operator: `claims retry`).
// A document missing fields is read as "unknown", which is not ready.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace claimsync::node {

struct Readiness {
  bool ready = false;
  std::vector<std::string> reasons;  // empty when ready
};

Readiness readiness_from_status(const nlohmann::json& status, std::uint64_t max_lag_blocks);

// {"ready": bool, "reasons": [...], "target", "checkpoint", "behind_target" (target -
// checkpoint; null when unknown), "role" ("active" / "standby" / "starting" with [ha],
// else "single")}.
nlohmann::json readiness_json(const Readiness& r, const nlohmann::json& status);

}  // namespace claimsync::node
