#include "node/api/http_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "node/api/http_policy.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr std::size_t kMaxPathBytes = 2048;
constexpr int kListenBacklog = 1024;
constexpr time_t kKeepAliveIdleS = 1;
constexpr std::size_t kKeepAliveMaxRequests = 100;
constexpr const char* kCorsMethods = "GET, POST, OPTIONS";
constexpr const char* kCorsHeaders = "Content-Type, Authorization";

// Set on the threads that answer connections the pool had no room for.
thread_local bool t_refusing = false;

// Serves queued tasks on `threads` threads until shutdown (then drains the queue: every
// accepted connection is answered and its socket closed).
class TaskLine {
 public:
  TaskLine(std::size_t threads, std::size_t max_queued, bool refusing) : max_queued_(max_queued) {
    for (std::size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this, refusing] {
        t_refusing = refusing;
        work();
      });
    }
  }
  // False when full or shut down (the caller keeps `fn`).
  bool try_push(std::function<void()>& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(fn));
    cv_.notify_one();
    return true;
  }
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return shutdown_ || !queue_.empty(); });
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }

  const std::size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mu_)
  bool shutdown_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

// httplib's TaskQueue with a bounded queue. When it is full the connection goes to a
// small line of refusers whose pre-routing handler answers 503 at once; only when that is
// full too is it answered on the accepting thread. (httplib 0.11's enqueue cannot refuse,
// and dropping the task would leak the socket.) The refusers exist because answering even
// a 503 means reading the request: a client that connects and sends nothing holds its
// refuser for up to api.read_timeout_ms, and on the accepting thread that stalled every
// connection behind it (api_server_test, 200 clients at once on 2 cores: 105 waited 15 s).
class BoundedPool final : public httplib::TaskQueue {
 public:
  static constexpr std::size_t kRefusers = 4;
  static constexpr std::size_t kMaxRefusalsQueued = 1024;

  BoundedPool(std::size_t workers, std::size_t max_queued)
      : workers_(workers, max_queued, false), refusers_(kRefusers, kMaxRefusalsQueued, true) {}
  void enqueue(std::function<void()> fn) override {
    if (workers_.try_push(fn) || refusers_.try_push(fn)) return;
    t_refusing = true;
    fn();
    t_refusing = false;
  }
  void shutdown() override {
    workers_.shutdown();
    refusers_.shutdown();
  }

 private:
  TaskLine workers_;
  TaskLine refusers_;
};

void write(httplib::Response& res, const HttpAnswer& a) {
  res.status = a.status;
  for (const auto& [k, v] : a.headers) res.set_header(k, v);
  res.set_content(a.body, a.content_type.c_str());
}

void refuse(httplib::Response& res, ApiReply reply) {
  reply.headers.emplace_back("Connection", "close");
  write(res, to_answer(reply));
}

const char* code_for_status(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "body_too_large";
    case 414: return "uri_too_long";
    case 500: return "internal_error";
    default: return "http_error";
  }
}

bool probe_path(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics";
}

// Provider webhooks come in bursts from a few provider addresses, each delivery signed:
// a per-address bucket sized for browsers would refuse them (and providers suspend
// endpoints that refuse). A forged one costs an HMAC and is refused with 401.
bool webhook_path(const std::string& path) { return path.rfind("/v1/webhooks/", 0) == 0; }

bool split_listen(const std::string& listen, std::string& host, int& port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return port >= 0 && port <= 65535;
}

}  // namespace

HttpServer::HttpServer(const ApiConfig& config, ApiServices services)
    : config_(config),
      handlers_(config, services),
      limiter_(config.rate_limit_per_s, config.rate_limit_burst),
      now_ms_(services.now_ms ? services.now_ms : [] {
        return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
      }),
      server_(std::make_unique<httplib::Server>()) {
  webhook_max_body_bytes_ = services.webhook_max_body_bytes;
  install_handlers();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::install_handlers() {
  httplib::Server& s = *server_;
  const std::size_t workers = config_.workers, max_queued = config_.max_queued;
  s.new_task_queue = [workers, max_queued] { return new BoundedPool(workers, max_queued); };
  s.set_read_timeout(std::chrono::milliseconds(config_.read_timeout_ms));
  s.set_write_timeout(std::chrono::milliseconds(config_.write_timeout_ms));
  // Without TCP_NODELAY a keep-alive client waits ~40 ms per answer: httplib writes the
  // headers and the body in two sends, and Nagle holds the second until the client's
  // delayed ACK (bench/intake_bench measured 44 ms p50 for GET /healthz).
  s.set_tcp_nodelay(true);
  // Debian's cpp-httplib is a compiled library that listens with a backlog of 5
  // (CPPHTTPLIB_LISTEN_BACKLOG is fixed in the .so): a burst of clients overflows it, the
  // kernel drops their handshakes and data, and they wait seconds for retransmits
  // (api_server_test, 200 clients at once: some waited 15 s for nothing). httplib hands
  // us the listening socket before bind; start() raises the backlog after bind (a second
  // listen() on a listening socket only changes its backlog). SO_REUSEADDR, not httplib's
  // default SO_REUSEPORT: a second node on the same port must fail to start, not share it.
  s.set_socket_options([this](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;
  });
  s.set_keep_alive_timeout(kKeepAliveIdleS);
  s.set_keep_alive_max_count(kKeepAliveMaxRequests);
  // The raw Content-Length limit; the decoded body is bounded in the POST handler below.
  s.set_payload_max_length(std::max(config_.max_body_bytes, webhook_max_body_bytes_));

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    using R = httplib::Server::HandlerResponse;
    if (t_refusing) {
      ApiReply r = api_error(503, "overloaded", "the server is busy; retry shortly");
      r.headers.emplace_back("Retry-After", "1");  // a full queue drains in well under 1 s
      refuse(res, std::move(r));
      return R::Handled;
    }
    if (req.path.size() > kMaxPathBytes) {
      refuse(res, api_error(414, "uri_too_long", "request path too long"));
      return R::Handled;
    }
    if (!probe_path(req.path) && !webhook_path(req.path)) {
      const RateDecision d = limiter_.take(req.remote_addr, now_ms_());
      if (!d.allowed) {
        ApiReply r = api_error(429, "rate_limited", "too many requests from this address");
        r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
        refuse(res, std::move(r));
        return R::Handled;
      }
    }
    const std::string origin = req.get_header_value("Origin");
    const std::optional<std::string> allowed = cors_allowed_origin(config_.cors_origins, origin);
    if (allowed) {
      res.set_header("Access-Control-Allow-Origin", *allowed);
      res.set_header("Vary", "Origin");
    }
    if (req.method != "OPTIONS") return R::Unhandled;
    const std::optional<RouteMatch> route = match_route(req.path);
    if (!route) {
      write(res, to_answer(api_error(404, "not_found", "no such endpoint")));
    } else if (!origin.empty() && !allowed) {
      write(res, to_answer(api_error(403, "cors_origin_refused",
                                     "this origin is not in api.cors_origins")));
    } else {
      res.status = 204;
      res.set_header("Allow", std::string(route->allow) + ", OPTIONS");
      if (allowed) {
        res.set_header("Access-Control-Allow-Methods", kCorsMethods);
        res.set_header("Access-Control-Allow-Headers", kCorsHeaders);
        res.set_header("Access-Control-Max-Age", "600");
      }
    }
    return R::Handled;
  });

  auto handle = [this](const httplib::Request& req, httplib::Response& res, std::string body) {
    ApiRequest r{req.method,
                 req.path,
                 std::move(body),
                 req.get_header_value("Content-Type"),
                 req.get_header_value("Authorization"),
                 [&req](std::string_view name) -> std::optional<std::string> {
                   const std::string key(name);
                   // httplib has already decoded the body (gzip, br): the webhook verifier
                   // must not decode it again.
                   if (strcasecmp(key.c_str(), "Content-Encoding") == 0) return std::nullopt;
                   if (!req.has_header(key)) return std::nullopt;
                   return req.get_header_value(key);
                 }};
    write(res, handlers_.handle(r));
  };
  auto route = [handle](const httplib::Request& req, httplib::Response& res) {
    handle(req, res, req.body);
  };
  // POST bodies are read here, not by httplib, so that the DECODED size is bounded too:
  // httplib inflates a gzip body and reads a chunked one without limit (a 1 MiB gzip bomb
  // is a gigabyte in memory). Past the route's limit the read stops and the answer is 413.
  auto post = [this, handle](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& read) {
    const std::size_t limit = webhook_path(req.path)
                                  ? std::max(webhook_max_body_bytes_, config_.max_body_bytes)
                                  : config_.max_body_bytes;
    std::string body;
    // A declared length above the limit is refused before reading (httplib refuses it
    // too, without calling the receiver); a chunked or gzip body is measured as it comes.
    bool too_large = req.has_header("Content-Length") &&
                     req.get_header_value<std::uint64_t>("Content-Length") > limit;
    const bool complete = !too_large && read([&](const char* data, std::size_t n) {
      if (body.size() + n > limit) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (too_large) {
      write(res, to_answer(api_error(413, "body_too_large",
                                     "the request body is larger than " + std::to_string(limit) +
                                         " bytes (decoded)")));
      res.set_header("Connection", "close");
      return;
    }
    if (!complete) {
      write(res,
            to_answer(api_error(400, "incomplete_body", "the request body could not be read")));
      return;
    }
    handle(req, res, std::move(body));
  };
  // The path is matched by match_route, not by httplib's regex (".*" on a path already
  // bounded to kMaxPathBytes by the pre-routing handler).
  s.Get(".*", route);
  // Every method that may carry a body reads it through the bounded reader: a PUT gzip
  // bomb is answered 405 without first being inflated in memory.
  s.Post(".*", post);
  s.Put(".*", post);
  s.Patch(".*", post);
  s.Delete(".*", post);
  s.Delete(".*", route);  // a DELETE without a body (httplib expects none then)

  s.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        const std::string message = "HTTP " + std::to_string(res.status);
        write(res, to_answer(api_error(res.status, code_for_status(res.status), message)));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    log_error("api_handler_failed", {{"next", "a bug: report it with the request that caused it"}});
    write(res, to_answer(api_error(500, "internal_error", "internal error")));
  });
}

Status HttpServer::start() {
  std::string host;
  int port = 0;
  if (!split_listen(config_.listen, host, port))
    return error(ErrorCode::kInvalidArgument,
                 "api.listen must be HOST:PORT, got " + config_.listen);
  const bool ok =
      port == 0 ? (port = server_->bind_to_any_port(host)) > 0 : server_->bind_to_port(host, port);
  if (!ok) {
    return error(ErrorCode::kUnavailable,
                 "cannot listen on " + config_.listen + " (address in use or not local?)");
  }
  port_ = port;
  if (listen_fd_ >= 0 && ::listen(listen_fd_, kListenBacklog) != 0) {
    log_warn("api_backlog_unchanged",
             {{"errno", errno}, {"next", "none: bursts of clients may wait for retransmits"}});
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs: wait for it (bounded) so that a
  // stop right after start cannot miss it.
  for (int i = 0; i < 5'000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log_info("api_listening", {{"host", host}, {"port", port_}});
  return Status();
}

void HttpServer::stop() {
  if (!thread_.joinable()) return;
  for (int i = 0; i < 5'000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  server_->stop();
  thread_.join();
  log_info("api_stopped", {{"port", port_}});
}

}  // namespace claimsync::node
