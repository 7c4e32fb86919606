#include "node/alerts/alert_notifier.hpp"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "rpc/backoff.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool is_power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

std::string render_alert_message(const std::string& format, const std::string& label,
                                 const std::vector<AlertChange>& changes) {
  if (format == "json") {
    nlohmann::json alerts = nlohmann::json::array();
    for (const AlertChange& c : changes) {
      alerts.push_back({{"alert", alert_name(c.id)},
                        {"status", c.firing ? "firing" : "resolved"},
                        {"summary", c.summary},
                        {"next", c.next},
                        {"at_ms", c.at_ms}});
    }
    return nlohmann::json{{"source", "claimsync"}, {"node", label}, {"alerts", alerts}}.dump();
  }
  std::string text;
  for (const AlertChange& c : changes) {
    if (!text.empty()) text += "\n";
    text += std::string(c.firing ? "[FIRING] " : "[RESOLVED] ") + alert_name(c.id) + " (" + label +
            "): " + c.summary;
    if (c.firing) text += ". Next: " + c.next;
  }
  return nlohmann::json{{"text", text}}.dump();
}

AlertNotifier::AlertNotifier(AlertNotifierOptions options, AlertThresholds thresholds)
    : options_(std::move(options)),
      transport_(options_.url,
                 eth::HttpOptions{options_.timeout_ms, 1u << 20, 64u << 10, /*max_idle=*/1}),
      tracker_(thresholds) {
  options_.min_interval_ms = std::max<std::int64_t>(options_.min_interval_ms, 0);
  options_.backoff_initial_ms = std::max<std::int64_t>(options_.backoff_initial_ms, 1);
  options_.backoff_max_ms = std::max(options_.backoff_max_ms, options_.backoff_initial_ms);
  thread_ = std::thread([this] { loop(); });
}

AlertNotifier::~AlertNotifier() { stop(); }

void AlertNotifier::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AlertNotifier::observe(const StatusReport& report, std::int64_t now_ms) {
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    for (const AlertChange& c : tracker_.observe(report, now_ms)) {
      changed = true;
      log_event(c.firing ? LogLevel::kWarn : LogLevel::kInfo,
                c.firing ? "alert_firing" : "alert_resolved",
                {{"alert", alert_name(c.id)}, {"summary", c.summary}, {"next", c.next}});
    }
    stats_.undelivered = due_locked().size();
    if (changed) woken_ = true;
  }
  if (changed) cv_.notify_all();
}

AlertNotifierStats AlertNotifier::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::vector<AlertChange> AlertNotifier::due_locked() const {
  std::vector<AlertChange> due;
  for (std::size_t i = 0; i < kAlertCount; ++i) {
    const auto id = static_cast<AlertId>(i);
    if (tracker_.firing(id) != acknowledged_firing_[i]) due.push_back(tracker_.current(id));
  }
  return due;
}

std::int64_t AlertNotifier::backoff_ms(std::uint32_t failures_in_row) {
  const BackoffPolicy policy{options_.backoff_initial_ms, options_.backoff_max_ms};
  return std::max<std::int64_t>(
      1, full_jitter_delay(failures_in_row > 0 ? failures_in_row - 1 : 0, policy, rng_));
}

void AlertNotifier::loop() {
  std::unique_lock lock(mu_);
  auto next_send_at = SteadyClock::now();
  while (!stopping_) {
    std::vector<AlertChange> due = due_locked();
    if (due.empty()) {
      cv_.wait(lock, [&] { return stopping_ || woken_; });
      woken_ = false;
      continue;
    }
    if (SteadyClock::now() < next_send_at) {
      cv_.wait_until(lock, next_send_at, [&] { return stopping_; });
      continue;
    }
    const std::string body = render_alert_message(options_.format, options_.label, due);
    lock.unlock();
    // Outside the lock: observe() goes on while the receiver takes its time.
    const Result<eth::HttpResponse> answer = transport_.post_json(body, options_.timeout_ms);
    lock.lock();
    const bool ok = answer.ok() && answer->status >= 200 && answer->status < 300;
    if (ok) {
      // What the receiver now knows; a change that came meanwhile stays due.
      for (const AlertChange& c : due)
        acknowledged_firing_[static_cast<std::size_t>(c.id)] = c.firing;
      ++stats_.messages_sent;
      if (failures_in_row_ > 0) {
        log_info("alert_webhook_recovered",
                 {{"failures", failures_in_row_}, {"next", "none: undelivered alerts were sent"}});
      }
      failures_in_row_ = 0;
      next_send_at = SteadyClock::now() + std::chrono::milliseconds(options_.min_interval_ms);
    } else {
      const std::string error =
          !answer.ok() ? answer.status().to_string() : "HTTP " + std::to_string(answer->status);
      ++stats_.failures;
      stats_.last_error = error;
      ++failures_in_row_;
      const std::int64_t delay = backoff_ms(failures_in_row_);
      if (is_power_of_two(failures_in_row_)) {
        log_warn("alert_webhook_failed",
                 {{"error", error},
                  {"failures_in_row", failures_in_row_},
                  {"retry_in_ms", delay},
                  {"url", options_.url.redacted()},
                  {"next",
                   "check the webhook URL (alerts.webhook_url_env) and the receiver; "
                   "alerts still firing are sent when it answers"}});
      }
      next_send_at = SteadyClock::now() + std::chrono::milliseconds(delay);
    }
    stats_.undelivered = due_locked().size();
  }
}

}  // namespace claimsync::node
