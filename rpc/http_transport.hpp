// HttpTransport: POSTs a JSON body to one JSON-RPC endpoint over HTTP or HTTPS.
//
// Contract:
//   * Keep-alive: connections are pooled and reused; safe to call from several threads
//     (each concurrent request takes its own connection, at most max_idle are kept).
//   * Bounded: connect, each read and the whole response are limited by timeout_ms; the
//     request body by max_request_bytes and the response body by max_response_bytes
//     (checked against Content-Length before reading, and while reading).
//   * Returns the HTTP status and body for ANY status; it does not interpret them. Only
//     failures to get a response are errors: kUnavailable (refused, reset, closed, TLS),
//     kTimeout (no answer in time), kBadResponse (response too large), kInvalidArgument
//     (request too large).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rpc/status.hpp"

namespace httplib {
class Client;
}

namespace claimsync::eth {

// An http(s) URL split for cpp-httplib: "https://host:8443/v2/key?x" ->
// {scheme "https", host "host", port 8443, target "/v2/key?x"}.
struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // explicit, or 80 / 443
  std::string target;  // path + query, "/" when absent
  // scheme://host:port (what httplib::Client wants).
  std::string origin() const;
  // scheme://host:port/… with the path and query hidden: provider URLs carry API keys in
  // the path, and this is what logs and metrics may show.
  std::string redacted() const;
};

// Fails (kInvalidArgument) on other schemes, user-info, empty host, bad port.
Result<HttpUrl> parse_http_url(const std::string& url);

struct HttpOptions {
  std::int64_t timeout_ms = 10'000;  // whole request, connect included
  std::size_t max_request_bytes = 16u << 20;
  std::size_t max_response_bytes = 64u << 20;
  std::size_t max_idle_connections = 4;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, "" when absent
};

class HttpTransport {
 public:
  HttpTransport(HttpUrl url, HttpOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // POST `body` (Content-Type: application/json). `timeout_ms` <= 0 means options.timeout_ms.
  // `response_too_large` (may be null) is set when the failure is a response body above
  // max_response_bytes (kBadResponse), so callers can ask for less instead of retrying.
  Result<HttpResponse> post_json(const std::string& body, std::int64_t timeout_ms = 0,
                                 bool* response_too_large = nullptr);

  const HttpUrl& url() const { return url_; }

 private:
  std::unique_ptr<httplib::Client> take_client();
  void give_back(std::unique_ptr<httplib::Client> client);

  HttpUrl url_;
  HttpOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;  // GUARDED_BY(mu_)
};

}  // namespace claimsync::eth
