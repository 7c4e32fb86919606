// ReconcileSummary: the last reconcile run of a node, in a few figures (issue 14): when it
// ended, what started it, its result, its differences, the pinned block and how long it
// took. `claimsync status` and GET /v1/status show it; the node keeps it in the store's
// note kReconcileNote, so it survives a stop and `claimsync status` on a stopped node shows
// it too. The report itself (samples, classes) is not kept: re-run to see it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "node/reconcile/reconcile_report.hpp"
#include "rpc/status.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

inline constexpr const char* kReconcileNote = "reconcile.last";

struct ReconcileSummary {
  std::int64_t finished_at_ms = 0;  // unix epoch ms
  std::string trigger;              // "scheduled" (reconcile.interval_s) | "admin" (the API)
  std::string at;                   // the pin asked for: "finalized", ...
  std::string result;               // "consistent" | "differences" | "partial"
  std::uint64_t differences = 0;
  std::optional<std::uint64_t> pin_block;
  std::int64_t elapsed_ms = 0;
  std::string partial_reason;  // the first reason, when partial

  // {"finished_at_ms", "trigger", "at", "result", "differences", "pin_block" (int|null),
  //  "elapsed_ms", "partial_reason"}
  nlohmann::json to_json() const;
  // nullopt when `j` is not such an object (a foreign or older note is ignored).
  static std::optional<ReconcileSummary> from_json(const nlohmann::json& j);
  // One line: "differences (3) at block 120 (finalized), 1.2 s, 2026-12-02 03:00:00 UTC, scheduled"
  std::string to_text() const;
};

// "consistent" | "differences" | "partial", as the report's JSON says.
std::string reconcile_result(const ReconcileReport& report);
ReconcileSummary summarize_reconcile(const ReconcileReport& report, std::string trigger,
                                     std::string at, std::int64_t finished_at_ms);

// The store's note; nullopt when none (or unreadable).
std::optional<ReconcileSummary> read_last_reconcile(const store::NodeStore& store);
// Writes the note (unsynced, like every note: a crash may lose the last one).
Status write_last_reconcile(store::NodeStore& store, const ReconcileSummary& summary);

}  // namespace claimsync::node
