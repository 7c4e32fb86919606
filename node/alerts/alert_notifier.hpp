// AlertNotifier: tells a webhook (Slack-compatible {"text": ...}, which Discord also takes
// on its /slack endpoint, or a generic JSON body) when an AlertTracker condition starts
// and when it ends, for deployments without Prometheus ([alerts], issue 15).
//
// Contract:
//   * observe() never waits on the network: it evaluates the report under a mutex and
//     wakes the sender thread, which does every POST. A receiver that is down or slow
//     never slows the node.
//   * Delivered is the difference, per condition, between what the receiver last
//     acknowledged (a 2xx answer) and the state now. So a change is sent once
//     (deduplicated); a condition that starts and ends while the receiver is down is not
//     sent at all; one still firing when the receiver is back is sent then (no active
//     alert is lost), with its latest figures.
//   * Every change due goes in one message; at most one message per min_interval_ms (rate
//     limit). A failed POST (no answer, timeout, non-2xx) is retried with full-jitter
//     backoff between backoff_initial_ms and backoff_max_ms; each POST is bounded by
//     timeout_ms. Failures are logged at the first one and then at 2, 4, 8, ... in a row.
//   * At least once: a POST whose answer is lost (a timeout after the receiver took it)
//     is sent again, so a receiver may see a change twice, never zero times while it
//     still holds.
//   * stop() (also the destructor) returns within about timeout_ms.
//
// Threading: observe(), stats() and stop() from any thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "node/alerts/alert_tracker.hpp"
#include "rpc/http_transport.hpp"

namespace claimsync::node {

struct AlertNotifierOptions {
  eth::HttpUrl url;
  std::string format = "slack";  // "slack": {"text": ...}; "json": {"alerts": [...]}
  std::string label;             // names the node in messages (chain and contract)
  std::int64_t min_interval_ms = 10'000;
  std::int64_t timeout_ms = 5'000;
  std::int64_t backoff_initial_ms = 1'000;
  std::int64_t backoff_max_ms = 300'000;
};

struct AlertNotifierStats {
  std::uint64_t messages_sent = 0;  // acknowledged with a 2xx
  std::uint64_t failures = 0;       // POSTs that failed
  std::size_t undelivered = 0;      // conditions whose state the receiver does not know yet
  std::string last_error;
};

// The message body for `changes` in `format` (exposed for tests).
std::string render_alert_message(const std::string& format, const std::string& label,
                                 const std::vector<AlertChange>& changes);

class AlertNotifier {
 public:
  AlertNotifier(AlertNotifierOptions options, AlertThresholds thresholds);
  ~AlertNotifier();
  AlertNotifier(const AlertNotifier&) = delete;
  AlertNotifier& operator=(const AlertNotifier&) = delete;

  // Feeds a report taken at `now_ms` (unix ms, non-decreasing).
  void observe(const StatusReport& report, std::int64_t now_ms);
  AlertNotifierStats stats() const;
  void stop();

 private:
  void loop();
  std::vector<AlertChange> due_locked() const;
  std::int64_t backoff_ms(std::uint32_t failures_in_row);

  AlertNotifierOptions options_;
  eth::HttpTransport transport_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  AlertTracker tracker_;
  std::array<bool, kAlertCount> acknowledged_firing_{};  // what the receiver knows
  AlertNotifierStats stats_;
  std::uint32_t failures_in_row_ = 0;
  bool stopping_ = false;
  bool woken_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace claimsync::node
