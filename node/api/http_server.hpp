// HttpServer: `claimsync run`'s HTTP API (cpp-httplib) on api.listen.
//
// Transport policy, before a route's handler (api_handlers.hpp) runs:
//   * api.workers threads serve connections; up to api.max_queued accepted connections
//     wait for one. Beyond that a connection is answered 503 "overloaded" (Connection:
//     close) on the accepting thread, so a flood degrades into clean refusals.
//   * api.read_timeout_ms / api.write_timeout_ms per socket read/write: a client stalling
//     mid-request is dropped. Idle keep-alive connections are closed after 1 s.
//   * Bodies above api.max_body_bytes: 413, measured after the transport decoded them
//     (gzip, chunked); webhook routes allow ApiServices::webhook_max_body_bytes. Paths
//     above 2048 bytes: 414.
//   * Per client address a token bucket (api.rate_limit_per_s / _burst): 429 with
//     Retry-After. /healthz, /readyz and /metrics are exempt (probes and scrapes must not
//     be starved by a flood from the same address), and so are the signed provider
//     webhooks (/v1/webhooks/..., bursts from a few provider addresses).
//   * CORS: Access-Control-Allow-Origin only for origins in api.cors_origins; a preflight
//     (OPTIONS) from another origin is 403, from a listed one 204 with the allowed
//     methods and headers.
//   * Any error httplib produces itself (400 on an unparsable request line, 413, ...)
//     gets the JSON error body too.
//
// Lifecycle: start() binds (port 0 picks a free port: port()) and serves on a background
// thread; stop() (also the destructor) stops accepting, lets requests in flight finish
// (each bounded by the timeouts) and joins. Not copyable.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "node/api/api_handlers.hpp"
#include "node/api/rate_limiter.hpp"
#include "node/config.hpp"
#include "rpc/status.hpp"

namespace httplib {
class Server;
}

namespace claimsync::node {

class HttpServer {
 public:
  HttpServer(const ApiConfig& config, ApiServices services);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds api.listen and starts serving. kInvalidArgument for a bad listen value,
  // kUnavailable when the address cannot be bound (in use, not local).
  Status start();
  int port() const { return port_; }  // the bound port, after start()
  void stop();

 private:
  void install_handlers();

  const ApiConfig config_;
  ApiHandlers handlers_;
  RateLimiter limiter_;
  std::function<std::int64_t()> now_ms_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::size_t webhook_max_body_bytes_ = 0;  // ApiServices::webhook_max_body_bytes
  int listen_fd_ = -1;  // the listening socket httplib created (for its backlog)
};

}  // namespace claimsync::node
