// WsUrl: a ws:// or wss:// URL split for a WebSocket client (host, port, path, TLS).
//
// Contract: parse_ws_url accepts exactly the URLs parse_http_url (rpc/http_transport.hpp)
// accepts, with ws / wss in place of http / https (same host, IPv6 literal, port and
// user-info rules), and fails with kInvalidArgument naming what is wrong otherwise.
#pragma once

#include <string>

#include "rpc/status.hpp"

namespace claimsync::eth {

struct WsUrl {
  bool tls = false;    // wss://
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // explicit, or 80 (ws) / 443 (wss)
  std::string target;  // path + query, "/" when absent
  // What the WebSocket handshake's Host header carries: "host:port" (brackets for IPv6).
  std::string host_header() const;
  // ws(s)://host:port/… with the path and query hidden: providers put API keys in the
  // path (wss://arb-mainnet.example/v2/KEY), and this is what logs and status may show.
  std::string redacted() const;
};

Result<WsUrl> parse_ws_url(const std::string& url);

}  // namespace claimsync::eth
