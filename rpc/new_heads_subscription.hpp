// NewHeadsSubscription: eth_subscribe("newHeads") over WebSocket (ws:// and wss://), a
// hint that wakes the follower as soon as a block exists. Polling stays the source of
// truth and the fallback: a head passed here is never trusted, only looked at sooner.
//
//   NewHeadsSubscription sub(opts, clock, [&](const HeadHint&) { follower_wake.notify(); });
//   std::thread t([&] { sub.run(stop); });  ...  stop.request_stop(); t.join();
//
// Contract of run(stop), a thread body that returns only when `stop` is requested (within
// about stop_poll_ms + 100 ms, whatever the socket is doing), or at once when no URL is
// usable (logged as ws_disabled):
//   * Session: resolve + TCP connect, TLS handshake (wss: peer certificate and host name
//     verified against the system CAs, SNI sent) and WebSocket handshake, each bounded by
//     connect_timeout_ms; then eth_chainId over the socket, which must equal chain_id
//     (else a warn line ws_wrong_chain, counted, no subscription on that session); then
//     eth_subscribe ["newHeads"]; each reply bounded by request_timeout_ms. Then every
//     valid head (rpc/new_heads_message.hpp) is passed to on_head, in arrival order,
//     including heads that go backwards (the follower decides what a reorg is).
//   * Garbage (not JSON, another subscription id, a malformed head, any other unexpected
//     message) is counted in status().ignored and logged as ws_garbage once per kind at the
//     1st, 100th, 200th, ... occurrence; it never wakes anyone and never ends the session.
//   * Silent partitions: after idle_timeout_ms without any frame (messages, pongs) a
//     WebSocket ping is sent; when nothing arrives within pong_timeout_ms after it, the
//     session is dropped. Messages larger than max_message_bytes drop the session too.
//   * Every failure (connect, handshake, wrong chain, error reply, drop) ends the session
//     with one log line (ws_wrong_chain / ws_dropped / ws_connect_failed, each with
//     next=) and a reconnect after a full-jitter backoff (rpc/backoff.hpp) over the
//     consecutive failures, capped by backoff_max_ms; the next session uses the next URL
//     in `urls` (rotation). A session that subscribed resets the failure count.
//   * on_head runs on the run() thread and must be quick (notify a condition variable).
//
// Limit: a DNS lookup cannot be interrupted (getaddrinfo); stop during a lookup that hangs
// waits for the system resolver's own timeout. Deadlines are on `clock` (a ManualClock
// that never advances never times out a socket step).
//
// Threading: run() at most once at a time; status() from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "rpc/backoff.hpp"
#include "rpc/clock.hpp"
#include "rpc/new_heads_message.hpp"
#include "rpc/status.hpp"
#include "rpc/ws_url.hpp"

namespace claimsync::eth {

struct NewHeadsOptions {
  std::vector<std::string> urls;  // ws:// or wss://, rotated over on reconnects
  std::uint64_t chain_id = 0;     // eth_chainId the endpoint must report (0: not checked)
  std::int64_t connect_timeout_ms = 10'000;  // each of: connect, TLS, WebSocket handshake
  std::int64_t request_timeout_ms = 10'000;  // each reply: eth_chainId, eth_subscribe
  // Silence before a ping. 30 s: longer than the block time of the chains we follow
  // (Ethereum 12 s, Arbitrum 0.25 s) and shorter than typical NAT / load balancer idle
  // cuts (60 s and more), so a healthy but quiet socket costs one ping per 30 s.
  std::int64_t idle_timeout_ms = 30'000;
  std::int64_t pong_timeout_ms = 10'000;  // after the ping: silence longer than this drops
  std::int64_t backoff_initial_ms = 500;  // reconnect backoff (full jitter)
  std::int64_t backoff_max_ms = 30'000;
  std::size_t max_message_bytes = 1u << 20;  // a newHeads notification is ~1-2 KB
  std::int64_t stop_poll_ms = 50;            // how often blocked I/O looks at the StopFlag
  std::uint64_t rng_seed = 0;                // backoff jitter; 0 = seeded from the OS
};

struct NewHeadsStatus {
  bool connected = false;     // subscribed now
  std::string url;            // redacted URL of the current / last session
  std::uint64_t heads = 0;    // valid heads passed to on_head
  std::uint64_t ignored = 0;  // garbage frames (all kinds)
  std::array<std::uint64_t, kFrameProblemCount> ignored_by_kind{};  // by FrameProblem
  std::uint64_t subscriptions = 0;                                  // sessions that subscribed
  std::uint64_t reconnects = 0;      // sessions started after a failed or dropped one
  std::uint64_t wrong_chain = 0;     // sessions refused for another eth_chainId
  std::uint64_t pings = 0;           // idle pings sent
  std::string last_error;            // why the last session ended ("" before any)
  std::int64_t last_head_at_ms = 0;  // Clock time of the last valid head (0: none)
  std::uint64_t last_head_number = 0;
};

class NewHeadsSubscription {
 public:
  // `clock` must outlive the object. URLs that do not parse are logged and skipped.
  NewHeadsSubscription(NewHeadsOptions options, Clock& clock,
                       std::function<void(const HeadHint&)> on_head);
  ~NewHeadsSubscription();
  NewHeadsSubscription(const NewHeadsSubscription&) = delete;
  NewHeadsSubscription& operator=(const NewHeadsSubscription&) = delete;

  void run(const StopFlag& stop);  // see the contract above
  NewHeadsStatus status() const;

 private:
  class Session;  // one connection (new_heads_subscription.cpp)
  struct SessionEnd {
    bool subscribed = false;   // it got as far as a subscription
    bool wrong_chain = false;  // refused: the endpoint reports another chain id
  };
  // Runs one session on urls_[index]; returns why it ended.
  Status run_session(std::size_t index, const StopFlag& stop, SessionEnd* end);
  // Waits `ms` on the clock, or until stop.
  void wait_ms(std::int64_t ms, const StopFlag& stop);
  void note_ignored(FrameProblem problem, const std::string& detail, const std::string& url);
  void note_head(const HeadHint& head);
  void note_ping();
  void set_connected(bool connected, const std::string& url);
  void log_session_end(const Status& why, const SessionEnd& end, const std::string& url,
                       std::int64_t retry_in_ms);

  NewHeadsOptions options_;
  Clock& clock_;
  std::function<void(const HeadHint&)> on_head_;
  std::vector<WsUrl> urls_;
  BackoffPolicy backoff_;
  std::mt19937_64 rng_;  // run() thread only
  mutable std::mutex mu_;
  NewHeadsStatus status_;  // GUARDED_BY(mu_)
};

}  // namespace claimsync::eth
