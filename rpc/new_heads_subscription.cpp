#include "rpc/new_heads_subscription.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <utility>

#include "rpc/logging.hpp"

namespace claimsync::eth {
namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

constexpr std::uint64_t kChainIdRequestId = 1;
constexpr std::uint64_t kSubscribeRequestId = 2;
constexpr std::uint64_t kGarbageLogEvery = 100;  // ws_garbage at the 1st, 100th, 200th, ...
constexpr auto kDrainBound = std::chrono::seconds(1);

// One asynchronous operation in flight: its completion, as seen by the run() thread.
struct Op {
  bool done = true;
  error_code ec;
  void start() {
    done = false;
    ec = {};
  }
  auto handler() {
    return [this](error_code e, auto&&...) {
      ec = e;
      done = true;
    };
  }
};

Status unavailable(const std::string& what, const error_code& ec) {
  return error(ErrorCode::kUnavailable, what + ": " + ec.message());
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

// One connection: connect, verify the chain, subscribe, read heads until it fails.
// Everything runs on the run() thread: the io_context is driven in slices of stop_poll_ms
// (Session::wait), so deadlines (on the Clock) and the StopFlag are checked between
// slices, and every way out closes the socket and runs the pending handlers (drain) before
// the stream goes away.
class NewHeadsSubscription::Session {
 public:
  Session(NewHeadsSubscription& owner, const WsUrl& url, const StopFlag& stop)
      : owner_(owner),
        options_(owner.options_),
        clock_(owner.clock_),
        url_(url),
        redacted_(url.redacted()),
        stop_(stop) {}

  Status run(SessionEnd* end) {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    io_.start();
    resolver.async_resolve(url_.host, std::to_string(url_.port),
                           [this, &endpoints](error_code e, tcp::resolver::results_type r) {
                             io_.ec = e;
                             endpoints = std::move(r);
                             io_.done = true;
                           });
    CLAIMSYNC_RETURN_IF_ERROR(
        await(io_, options_.connect_timeout_ms, "DNS lookup", [&] { resolver.cancel(); }));
    if (io_.ec) return unavailable("DNS lookup of " + url_.host, io_.ec);
    if (url_.tls) {
      ssl::context tls(ssl::context::tls_client);
      tls.set_default_verify_paths();
      tls.set_verify_mode(ssl::verify_peer);
      TlsWs ws(ioc_, tls);
      return run_and_drain(ws, endpoints, end);
    }
    PlainWs ws(ioc_);
    return run_and_drain(ws, endpoints, end);
  }

 private:
  enum class Wait { kDone, kStopped, kDeadline };

  // Drives the io_context until `op` is done, stop is requested or the Clock reaches
  // `deadline_ms` (<= 0: no deadline).
  Wait wait(const Op& op, std::int64_t deadline_ms) {
    while (!op.done) {
      if (stop_.stop_requested()) return Wait::kStopped;
      const std::int64_t now = clock_.now_ms();
      std::int64_t slice = std::max<std::int64_t>(options_.stop_poll_ms, 1);
      if (deadline_ms > 0) {
        if (now >= deadline_ms) {
          if (ioc_.stopped()) ioc_.restart();
          ioc_.poll();  // what completed just in time still counts
          return op.done ? Wait::kDone : Wait::kDeadline;
        }
        slice = std::min(slice, deadline_ms - now);
      }
      if (ioc_.stopped()) ioc_.restart();
      if (ioc_.run_one_for(std::chrono::milliseconds(slice)) == 0 && ioc_.stopped() && !op.done)
        return Wait::kDeadline;  // nothing pending can complete it
    }
    return Wait::kDone;
  }

  // `abort` cancels what is pending (closes the socket); then every pending handler runs,
  // so no handler outlives what it refers to.
  template <typename Abort>
  void drain(Abort abort) {
    abort();
    ioc_.restart();
    ioc_.run_for(kDrainBound);  // returns as soon as nothing is pending
  }

  // wait() for one step bounded by timeout_ms; on stop or timeout the step is aborted.
  template <typename Abort>
  Status await(const Op& op, std::int64_t timeout_ms, const std::string& what, Abort abort) {
    const Wait w = wait(op, clock_.now_ms() + timeout_ms);
    if (w == Wait::kDone) return Status();
    drain(abort);
    if (w == Wait::kStopped) return error(ErrorCode::kCancelled, "stop requested");
    return error(ErrorCode::kTimeout,
                 what + " did not complete within " + std::to_string(timeout_ms) + " ms");
  }

  template <typename Ws>
  static auto closer(Ws& ws) {
    return [&ws] {
      error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
    };
  }

  template <typename Ws>
  Status run_and_drain(Ws& ws, const tcp::resolver::results_type& endpoints, SessionEnd* end) {
    Status why = run_on(ws, endpoints, end);
    drain(closer(ws));
    return why;
  }

  Status tls_handshake(PlainWs&) { return Status(); }

  Status tls_handshake(TlsWs& ws) {
    auto& stream = ws.next_layer();
    if (!is_ip_literal(url_.host) &&
        SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()) != 1) {
      return error(ErrorCode::kUnavailable, "TLS: cannot set the server name " + url_.host);
    }
    stream.set_verify_callback(ssl::host_name_verification(url_.host));
    io_.start();
    stream.async_handshake(ssl::stream_base::client, io_.handler());
    CLAIMSYNC_RETURN_IF_ERROR(await(io_, options_.connect_timeout_ms, "TLS handshake", closer(ws)));
    if (io_.ec) return unavailable("TLS handshake", io_.ec);
    return Status();
  }

  template <typename Ws>
  Status connect(Ws& ws, const tcp::resolver::results_type& endpoints) {
    auto& tcp_layer = beast::get_lowest_layer(ws);
    io_.start();
    tcp_layer.async_connect(endpoints, io_.handler());
    CLAIMSYNC_RETURN_IF_ERROR(await(io_, options_.connect_timeout_ms, "TCP connect", closer(ws)));
    if (io_.ec) return unavailable("TCP connect", io_.ec);
    error_code ignored;
    tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
    CLAIMSYNC_RETURN_IF_ERROR(tls_handshake(ws));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "claimsync");
    }));
    ws.read_message_max(options_.max_message_bytes);
    // Pongs (and pings) count as life: they end an idle episode (read_heads).
    ws.control_callback(
        [this](websocket::frame_type, beast::string_view) { last_rx_ms_ = clock_.now_ms(); });
    io_.start();
    ws.async_handshake(url_.host_header(), url_.target, io_.handler());
    CLAIMSYNC_RETURN_IF_ERROR(
        await(io_, options_.connect_timeout_ms, "WebSocket handshake", closer(ws)));
    if (io_.ec) return unavailable("WebSocket handshake", io_.ec);
    ws.text(true);
    return Status();
  }

  template <typename Ws>
  void start_read(Ws& ws) {
    buffer_.consume(buffer_.size());
    io_.start();
    ws.async_read(buffer_, io_.handler());
  }

  std::string frame_text() const { return beast::buffers_to_string(buffer_.data()); }

  template <typename Ws>
  Status read_failure(Ws& ws, const error_code& ec) {
    if (ec == websocket::error::closed) {
      const std::string reason(ws.reason().reason.c_str());
      return error(ErrorCode::kUnavailable, "closed by the server (code " +
                                                std::to_string(ws.reason().code) +
                                                (reason.empty() ? "" : ", " + reason) + ")");
    }
    if (ec == websocket::error::message_too_big) {
      return error(ErrorCode::kBadResponse,
                   "message larger than " + std::to_string(options_.max_message_bytes) + " bytes");
    }
    return unavailable("read", ec);
  }

  // Sends one request and returns the result of its reply; other frames in between are
  // garbage (counted). The whole exchange is bounded by request_timeout_ms.
  template <typename Ws>
  Result<nlohmann::json> request(Ws& ws, std::string text, std::uint64_t id, const char* method) {
    const std::int64_t deadline = clock_.now_ms() + options_.request_timeout_ms;
    const std::string what = std::string(method) + " reply";
    out_ = std::move(text);
    io_.start();
    ws.async_write(net::buffer(out_), io_.handler());
    CLAIMSYNC_RETURN_IF_ERROR(await(io_, options_.request_timeout_ms, what, closer(ws)));
    if (io_.ec) return unavailable(std::string("sending ") + method, io_.ec);
    for (;;) {
      start_read(ws);
      CLAIMSYNC_RETURN_IF_ERROR(
          await(io_, std::max<std::int64_t>(deadline - clock_.now_ms(), 1), what, closer(ws)));
      if (io_.ec) return read_failure(ws, io_.ec);
      const ReplyFrame reply = parse_reply(frame_text(), id);
      switch (reply.kind) {
        case ReplyFrame::Kind::kResult: return reply.result;
        case ReplyFrame::Kind::kError:
          return error(ErrorCode::kRemoteError, std::string(method) + " refused: " + reply.error);
        case ReplyFrame::Kind::kOther:
          owner_.note_ignored(reply.problem, std::string("while waiting for the ") + what,
                              redacted_);
      }
    }
  }

  template <typename Ws>
  Status run_on(Ws& ws, const tcp::resolver::results_type& endpoints, SessionEnd* end) {
    CLAIMSYNC_RETURN_IF_ERROR(connect(ws, endpoints));
    Result<nlohmann::json> chain =
        request(ws, chain_id_request(kChainIdRequestId), kChainIdRequestId, "eth_chainId");
    if (!chain.ok()) return chain.status();
    Result<std::uint64_t> chain_id = chain_id_of(*chain);
    if (!chain_id.ok()) return chain_id.status();
    if (options_.chain_id != 0 && *chain_id != options_.chain_id) {
      end->wrong_chain = true;
      return error(ErrorCode::kFailedPrecondition, "endpoint reports chain id " +
                                                       std::to_string(*chain_id) + ", configured " +
                                                       std::to_string(options_.chain_id));
    }
    Result<nlohmann::json> sub = request(ws, subscribe_new_heads_request(kSubscribeRequestId),
                                         kSubscribeRequestId, "eth_subscribe");
    if (!sub.ok()) return sub.status();
    Result<std::string> sub_id = subscription_id_of(*sub);
    if (!sub_id.ok()) return sub_id.status();
    end->subscribed = true;
    owner_.set_connected(true, redacted_);
    log_info("ws_connected",
             {{"url", redacted_}, {"chain_id", *chain_id}, {"subscription", *sub_id}});
    return read_heads(ws, *sub_id);
  }

  // Reads notifications until the connection fails, goes silent or stop is requested.
  template <typename Ws>
  Status read_heads(Ws& ws, const std::string& sub_id) {
    last_rx_ms_ = clock_.now_ms();
    std::int64_t ping_at = 0;  // Clock time of the unanswered ping, 0 when none
    start_read(ws);
    for (;;) {
      const std::int64_t deadline = ping_at != 0 ? ping_at + options_.pong_timeout_ms
                                                 : last_rx_ms_ + options_.idle_timeout_ms;
      const Wait w = wait(io_, deadline);
      if (w == Wait::kStopped) return error(ErrorCode::kCancelled, "stop requested");
      if (w == Wait::kDeadline) {
        if (ping_at != 0 && last_rx_ms_ >= ping_at) {
          ping_at = 0;  // a pong (or another frame) came: idle again from last_rx_ms_
        } else if (ping_at != 0) {
          return error(ErrorCode::kTimeout, "silent for " +
                                                std::to_string(clock_.now_ms() - last_rx_ms_) +
                                                " ms, ping unanswered for " +
                                                std::to_string(options_.pong_timeout_ms) + " ms");
        } else if (clock_.now_ms() >= last_rx_ms_ + options_.idle_timeout_ms) {
          ping_at = std::max<std::int64_t>(clock_.now_ms(), 1);
          if (ping_.done) {  // else the last ping is still being written: wait for it
            ping_.start();
            ws.async_ping({}, ping_.handler());
            owner_.note_ping();
          }
        }
        continue;
      }
      if (io_.ec) return read_failure(ws, io_.ec);
      last_rx_ms_ = clock_.now_ms();
      ping_at = 0;
      HeadFrame frame = parse_head_notification(frame_text(), sub_id);
      if (frame.head) {
        frame.head->url = redacted_;
        owner_.note_head(*frame.head);
      } else {
        owner_.note_ignored(frame.problem, frame.detail, redacted_);
      }
      start_read(ws);
    }
  }

  NewHeadsSubscription& owner_;
  const NewHeadsOptions& options_;
  Clock& clock_;
  const WsUrl& url_;
  const std::string redacted_;
  const StopFlag& stop_;
  net::io_context ioc_;  // declared first of the I/O members: destroyed last
  Op io_;                // the one read / write / connect step in flight
  Op ping_;              // an idle ping, concurrent with a read
  beast::flat_buffer buffer_;
  std::string out_;              // the request being written
  std::int64_t last_rx_ms_ = 0;  // Clock time of the last frame of any kind
};

NewHeadsSubscription::NewHeadsSubscription(NewHeadsOptions options, Clock& clock,
                                           std::function<void(const HeadHint&)> on_head)
    : options_(std::move(options)), clock_(clock), on_head_(std::move(on_head)) {
  backoff_.initial_ms = options_.backoff_initial_ms;
  backoff_.max_ms = options_.backoff_max_ms;
  rng_.seed(options_.rng_seed != 0 ? options_.rng_seed : std::random_device{}());
  for (const std::string& text : options_.urls) {
    Result<WsUrl> url = parse_ws_url(text);
    if (url.ok()) {
      urls_.push_back(*url);
    } else {
      log_error("ws_url_invalid", {{"error", url.status().message()},
                                   {"next", "fix chain.ws_urls (ws://... or wss://...)"}});
    }
  }
  if (!urls_.empty()) status_.url = urls_.front().redacted();
}

NewHeadsSubscription::~NewHeadsSubscription() = default;

NewHeadsStatus NewHeadsSubscription::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void NewHeadsSubscription::run(const StopFlag& stop) {
  if (urls_.empty()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.last_error = "no usable WebSocket URL";
    }
    log_error("ws_disabled", {{"reason", "no usable WebSocket URL"},
                              {"next",
                               "set chain.ws_urls to ws:// or wss:// URLs; "
                               "polling continues meanwhile"}});
    return;
  }
  std::uint32_t failures = 0;  // consecutive sessions that did not subscribe
  for (std::size_t session = 0; !stop.stop_requested(); ++session) {
    const std::size_t index = session % urls_.size();
    if (session > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      ++status_.reconnects;
    }
    SessionEnd end;
    const Status why = run_session(index, stop, &end);
    set_connected(false, urls_[index].redacted());
    if (stop.stop_requested()) break;
    if (end.subscribed) failures = 0;
    const std::int64_t delay = full_jitter_delay(failures, backoff_, rng_);
    failures = std::min<std::uint32_t>(failures + 1, 64);
    log_session_end(why, end, urls_[index].redacted(), delay);
    wait_ms(delay, stop);
  }
  log_info("ws_stopped", {{"url", status().url}});
}

Status NewHeadsSubscription::run_session(std::size_t index, const StopFlag& stop, SessionEnd* end) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.url = urls_[index].redacted();
  }
  Session session(*this, urls_[index], stop);
  return session.run(end);
}

void NewHeadsSubscription::wait_ms(std::int64_t ms, const StopFlag& stop) {
  // Loop: a notify() on the StopFlag (a wake-up, not a stop) must not cut the backoff short.
  const std::int64_t until = clock_.now_ms() + ms;
  while (!stop.stop_requested()) {
    const std::int64_t left = until - clock_.now_ms();
    if (left <= 0 || clock_.sleep_ms(left, stop)) return;
  }
}

void NewHeadsSubscription::note_ignored(FrameProblem problem, const std::string& detail,
                                        const std::string& url) {
  std::uint64_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.ignored;
    count = ++status_.ignored_by_kind[static_cast<std::size_t>(problem)];
  }
  if (count != 1 && count % kGarbageLogEvery != 0) return;
  log_warn("ws_garbage", {{"url", url},
                          {"kind", frame_problem_name(problem)},
                          {"count", count},
                          {"detail", detail},
                          {"next",
                           "ignored (logged at the 1st and every 100th of a kind); "
                           "if it persists, check what serves this URL"}});
}

void NewHeadsSubscription::note_head(const HeadHint& head) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.heads;
    status_.last_head_at_ms = clock_.now_ms();
    status_.last_head_number = head.number;
  }
  if (on_head_) on_head_(head);
}

void NewHeadsSubscription::note_ping() {
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.pings;
}

void NewHeadsSubscription::set_connected(bool connected, const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  status_.connected = connected;
  status_.url = url;
  if (connected) ++status_.subscriptions;
}

void NewHeadsSubscription::log_session_end(const Status& why, const SessionEnd& end,
                                           const std::string& url, std::int64_t retry_in_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = why.to_string();
    if (end.wrong_chain) ++status_.wrong_chain;
  }
  if (end.wrong_chain) {
    log_warn("ws_wrong_chain", {{"url", url},
                                {"error", why.message()},
                                {"retry_in_ms", retry_in_ms},
                                {"next", "point chain.ws_urls at endpoints of chain " +
                                             std::to_string(options_.chain_id) +
                                             "; not subscribed, polling continues"}});
  } else if (end.subscribed) {
    log_warn("ws_dropped", {{"url", url},
                            {"reason", why.to_string()},
                            {"retry_in_ms", retry_in_ms},
                            {"next", "reconnecting; polling continues meanwhile"}});
  } else {
    log_warn("ws_connect_failed", {{"url", url},
                                   {"error", why.to_string()},
                                   {"retry_in_ms", retry_in_ms},
                                   {"next",
                                    "check the WebSocket endpoint and network if this repeats; "
                                    "polling continues meanwhile"}});
  }
}

}  // namespace claimsync::eth
