#include "rpc/ws_url.hpp"

#include <cctype>

#include "rpc/http_transport.hpp"

namespace claimsync::eth {
namespace {

std::string lower_scheme(const std::string& url, std::size_t end) {
  std::string scheme = url.substr(0, end);
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

}  // namespace

std::string WsUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string WsUrl::redacted() const {
  return std::string(tls ? "wss://" : "ws://") + host_header() + (target == "/" ? "" : "/…");
}

Result<WsUrl> parse_ws_url(const std::string& url) {
  // ws and wss share http's URL grammar (RFC 6455 §3): parse as http(s) and map back, so
  // both transports agree on what a host, a port and an IPv6 literal are.
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return error(ErrorCode::kInvalidArgument, "URL has no scheme (want ws:// or wss://)");
  const std::string scheme = lower_scheme(url, scheme_end);
  if (scheme != "ws" && scheme != "wss") {
    return error(ErrorCode::kInvalidArgument, "URL scheme must be ws or wss, got '" + scheme + "'");
  }
  const bool tls = scheme == "wss";
  Result<HttpUrl> http = parse_http_url((tls ? "https" : "http") + url.substr(scheme_end));
  if (!http.ok()) return http.status();
  WsUrl out;
  out.tls = tls;
  out.host = http->host;
  out.port = http->port;
  out.target = http->target;
  return out;
}

}  // namespace claimsync::eth
