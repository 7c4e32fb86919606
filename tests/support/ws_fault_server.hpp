// WsFaultServer: an in-process WebSocket proxy (Boost.Beast) on a free 127.0.0.1 port in
// front of a real upstream WebSocket endpoint (anvil serves ws:// on its HTTP port), that
// misbehaves on command, for the newHeads subscription tests:
//
//   WsFaultServer proxy("ws://127.0.0.1:" + std::to_string(anvil.port()));
//   proxy.set_chain_id(999);              // answer eth_chainId itself, with another chain
//   proxy.send_to_clients("not json");    // a scripted text frame to every client
//   proxy.drop_all();                     // close every connection (TCP, no close frame)
//   proxy.set_mode(WsFaultServer::Mode::kStall);  // silent partition
//
// Each client connection gets its own upstream connection; text frames are forwarded both
// ways unchanged and in order (scripted frames are queued with the forwarded ones), except
// eth_chainId while set_chain_id() is in force. Stall: open connections stop moving frames
// without being closed (no reads, so no pongs either: the socket just goes quiet) and new
// connections are accepted but their WebSocket handshake is never answered; kPass serves
// new connections again, stalled ones stay stalled (the client must notice and reconnect).
// Commands take effect before they return. Thread-safe; all I/O runs on one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace claimsync::testing {

class WsFaultServer {
 public:
  // `upstream` is ws://host:port[/path]. Starts serving at once; throws std::runtime_error
  // if it cannot listen.
  explicit WsFaultServer(const std::string& upstream);
  ~WsFaultServer();  // closes everything, joins its thread
  WsFaultServer(const WsFaultServer&) = delete;
  WsFaultServer& operator=(const WsFaultServer&) = delete;

  const std::string& url() const { return url_; }  // "ws://127.0.0.1:PORT"

  enum class Mode { kPass, kStall };
  void set_mode(Mode mode);
  void drop_all();
  // Answer eth_chainId with `id` (nullopt: forward it again).
  void set_chain_id(std::optional<std::uint64_t> id);
  // Queues a text frame to every client whose WebSocket handshake is done (not stalled).
  void send_to_clients(const std::string& frame);

  // The subscription id of the last eth_subscribe reply forwarded to a client ("" none).
  std::string subscription_id() const;
  // JSON-RPC methods clients sent, in order (forwarded or answered here).
  std::vector<std::string> methods() const;
  std::size_t accepted() const;      // TCP connections accepted
  std::size_t open_clients() const;  // served client connections now open (not stalled)

  struct State;  // ws_fault_server.cpp

 private:
  std::shared_ptr<State> state_;
  std::string url_;
  std::thread thread_;
};

}  // namespace claimsync::testing
