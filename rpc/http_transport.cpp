#include "rpc/http_transport.hpp"

#include <httplib.h>

#include <chrono>
#include <charconv>

namespace claimsync::eth {
namespace {

using SteadyClock = std::chrono::steady_clock;

bool is_ipv6_literal(const std::string& host) { return host.find(':') != std::string::npos; }

std::string host_for_url(const std::string& host) {
  return is_ipv6_literal(host) ? "[" + host + "]" : host;
}

// What went wrong while receiving, decided by our own callbacks.
struct ReceiveState {
  bool too_large = false;
  bool deadline_passed = false;
};

Status classify_failure(httplib::Error error, const ReceiveState& state, std::int64_t elapsed_ms,
                        std::int64_t timeout_ms, const HttpUrl& url) {
  const std::string where = " (" + url.redacted() + ")";
  switch (error) {
    case httplib::Error::Canceled:
      if (state.too_large)
        return {ErrorCode::kBadResponse, "response larger than the configured maximum" + where};
      if (state.deadline_passed)
        return {ErrorCode::kTimeout,
                "response not complete within " + std::to_string(timeout_ms) + " ms" + where};
      return {ErrorCode::kUnavailable, "request cancelled" + where};
    case httplib::Error::ConnectionTimeout:
      return {ErrorCode::kTimeout, "connect timed out" + where};
    case httplib::Error::Read:
      // httplib reports both a read timeout and a closed connection as Read.
      if (elapsed_ms + 50 >= timeout_ms) {
        return {ErrorCode::kTimeout,
                "no response within " + std::to_string(timeout_ms) + " ms" + where};
      }
      return {ErrorCode::kUnavailable, "connection closed before a complete response" + where};
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return {ErrorCode::kUnavailable, "TLS failure: " + httplib::to_string(error) + where};
    default:
      return {ErrorCode::kUnavailable, "HTTP transport: " + httplib::to_string(error) + where};
  }
}

}  // namespace

std::string HttpUrl::origin() const {
  return scheme + "://" + host_for_url(host) + ":" + std::to_string(port);
}

std::string HttpUrl::redacted() const { return origin() + (target == "/" ? "" : "/…"); }

Result<HttpUrl> parse_http_url(const std::string& url) {
  HttpUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return error(ErrorCode::kInvalidArgument, "URL has no scheme (want http:// or https://)");
  out.scheme = url.substr(0, scheme_end);
  for (auto& c : out.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.scheme != "http" && out.scheme != "https") {
    return error(ErrorCode::kInvalidArgument,
                 "URL scheme must be http or https, got '" + out.scheme + "'");
  }
  const std::string rest = url.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  out.target = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (out.target.front() == '?') out.target = "/" + out.target;
  if (authority.find('@') != std::string::npos) {
    return error(ErrorCode::kInvalidArgument, "URL user-info (user:password@) is not supported");
  }
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    const auto close = authority.find(']');
    if (close == std::string::npos)
      return error(ErrorCode::kInvalidArgument, "URL has an unterminated IPv6 literal");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return error(ErrorCode::kInvalidArgument, "URL has junk after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return error(ErrorCode::kInvalidArgument, "URL has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return error(ErrorCode::kInvalidArgument, "URL port '" + port_text + "' is not 1..65535");
    }
    out.port = port;
  }
  return out;
}

HttpTransport::HttpTransport(HttpUrl url, HttpOptions options)
    : url_(std::move(url)), options_(options) {}

HttpTransport::~HttpTransport() = default;

std::unique_ptr<httplib::Client> HttpTransport::take_client() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  auto client = std::make_unique<httplib::Client>(url_.origin());
  client->set_keep_alive(true);
  // Small JSON-RPC requests on a kept-alive connection would otherwise wait for Nagle's
  // algorithm and the peer's delayed ACK (~40 ms each).
  client->set_tcp_nodelay(true);
  client->set_follow_location(false);  // a redirect is a misconfigured endpoint, not data
  return client;
}

void HttpTransport::give_back(std::unique_ptr<httplib::Client> client) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(client));
}

Result<HttpResponse> HttpTransport::post_json(const std::string& body, std::int64_t timeout_ms,
                                              bool* response_too_large) {
  if (response_too_large != nullptr) *response_too_large = false;
  if (timeout_ms <= 0) timeout_ms = options_.timeout_ms;
  if (body.size() > options_.max_request_bytes) {
    return error(ErrorCode::kInvalidArgument, "request of " + std::to_string(body.size()) +
                                                  " bytes exceeds the maximum of " +
                                                  std::to_string(options_.max_request_bytes));
  }
  auto client = take_client();
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  client->set_connection_timeout(timeout);
  client->set_read_timeout(timeout);
  client->set_write_timeout(timeout);

  const auto start = SteadyClock::now();
  const auto deadline = start + timeout;
  const std::size_t max_bytes = options_.max_response_bytes;
  ReceiveState state;
  HttpResponse out;

  httplib::Request req;
  req.method = "POST";
  req.path = url_.target;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "application/json");
  req.response_handler = [&](const httplib::Response& res) {
    const std::string length = res.get_header_value("Content-Length");
    std::uint64_t declared = 0;
    auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), declared);
    const bool known = !length.empty() && ec == std::errc() && end == length.data() + length.size();
    if (known && declared > max_bytes) {
      state.too_large = true;
      return false;
    }
    // One allocation of the declared size: appending chunk by chunk doubles the string,
    // so a 15 MB eth_getLogs answer would pass through 8 + 16 MB buffers (24 MB at once
    // while the last one is copied) and keep up to twice its size.
    if (known) out.body.reserve(static_cast<std::size_t>(declared));
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (out.body.size() + n > max_bytes) {
      state.too_large = true;
      return false;
    }
    if (SteadyClock::now() > deadline) {
      state.deadline_passed = true;
      return false;
    }
    out.body.append(data, n);
    return true;
  };

  httplib::Result result = client->send(req);
  const std::int64_t elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  if (!result) {
    if (response_too_large != nullptr) *response_too_large = state.too_large;
    return classify_failure(result.error(), state, elapsed_ms, timeout_ms, url_);
  }
  out.status = result->status;
  out.retry_after = result->get_header_value("Retry-After");
  give_back(std::move(client));
  return out;
}

}  // namespace claimsync::eth
