#include "node/reconcile/reconcile_summary.hpp"

#include <ctime>
#include <sstream>

namespace claimsync::node {

nlohmann::json ReconcileSummary::to_json() const {
  return {{"finished_at_ms", finished_at_ms},
          {"trigger", trigger},
          {"at", at},
          {"result", result},
          {"differences", differences},
          {"pin_block", pin_block ? nlohmann::json(*pin_block) : nlohmann::json(nullptr)},
          {"elapsed_ms", elapsed_ms},
          {"partial_reason", partial_reason}};
}

std::optional<ReconcileSummary> ReconcileSummary::from_json(const nlohmann::json& j) {
  try {
    if (!j.is_object()) return std::nullopt;
    ReconcileSummary s;
    s.finished_at_ms = j.at("finished_at_ms").get<std::int64_t>();
    s.trigger = j.at("trigger").get<std::string>();
    s.at = j.value("at", "");
    s.result = j.at("result").get<std::string>();
    s.differences = j.at("differences").get<std::uint64_t>();
    if (j.contains("pin_block") && !j.at("pin_block").is_null())
      s.pin_block = j.at("pin_block").get<std::uint64_t>();
    s.elapsed_ms = j.value("elapsed_ms", std::int64_t{0});
    s.partial_reason = j.value("partial_reason", "");
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string ReconcileSummary::to_text() const {
  std::ostringstream o;
  o << result;
  if (result == "differences") o << " (" << differences << ")";
  if (pin_block) o << " at block " << *pin_block;
  if (!at.empty()) o << " (" << at << ")";
  o << ", " << (static_cast<double>(elapsed_ms) / 1000.0) << " s, ";
  const std::time_t t = static_cast<std::time_t>(finished_at_ms / 1000);
  std::tm tm{};
  char when[32] = "?";
  if (::gmtime_r(&t, &tm) != nullptr)
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
  o << when << ", " << trigger;
  if (!partial_reason.empty()) o << "; partial: " << partial_reason;
  return o.str();
}

std::string reconcile_result(const ReconcileReport& report) {
  if (!report.complete()) return "partial";
  return report.differences() == 0 ? "consistent" : "differences";
}

ReconcileSummary summarize_reconcile(const ReconcileReport& report, std::string trigger,
                                     std::string at, std::int64_t finished_at_ms) {
  ReconcileSummary s;
  s.finished_at_ms = finished_at_ms;
  s.trigger = std::move(trigger);
  s.at = std::move(at);
  s.result = reconcile_result(report);
  s.differences = report.differences();
  if (report.pin) s.pin_block = report.pin->number;
  s.elapsed_ms = report.cost.elapsed_ms;
  if (!report.partial_reasons.empty()) s.partial_reason = report.partial_reasons.front();
  return s;
}

std::optional<ReconcileSummary> read_last_reconcile(const store::NodeStore& store) {
  const std::optional<std::string> note = store.note(kReconcileNote);
  if (!note) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(*note, nullptr, /*allow_exceptions=*/false);
  return ReconcileSummary::from_json(j);
}

Status write_last_reconcile(store::NodeStore& store, const ReconcileSummary& summary) {
  return store.put_note(kReconcileNote, summary.to_json().dump());
}

}  // namespace claimsync::node
