// TcpFaultProxy: a TCP proxy on a free 127.0.0.1 port in front of host:port (PostgreSQL)
// that injects the database faults of DESIGN §10 on command:
//
//   * kStall: every open and new connection stops moving bytes without being closed (a
//     NAT / firewall that silently dropped its state while the client's TCP session stays
//     up). kPass forwards new connections again; stalled ones stay stalled.
//   * stall_after_client_bytes(n): kStall once n more bytes from clients went through.
//   * lose_next_commit_replies(n): the next n replies to a statement that commits are
//     swallowed and the connection closed after the server sent them: the server
//     committed, the client never learns it.
//
// How: one accept thread plus one thread per direction and connection, each waiting in
// bounded poll() slices. The server->client stream is parsed as PostgreSQL v3 messages
// (1-byte type, int32 length): a "commit reply" is the message run from a CommandComplete
// ('C') up to the ReadyForQuery ('Z') with status 'I' that follows it, when the previous
// ReadyForQuery was 'I' (an autocommit statement) or the last tag is "COMMIT". The
// startup and authentication exchange (incl. the single-byte SSLRequest answer) passes
// through untouched; after an accepted SSL/GSS negotiation the stream is opaque and
// forwarded as is. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace claimsync::testing {

class TcpFaultProxy {
 public:
  TcpFaultProxy(std::string upstream_host,
                unsigned short upstream_port);  // throws if it cannot listen
  ~TcpFaultProxy();                             // closes everything, joins its threads
  TcpFaultProxy(const TcpFaultProxy&) = delete;
  TcpFaultProxy& operator=(const TcpFaultProxy&) = delete;

  unsigned short port() const { return port_; }
  // kStall: stop moving bytes on every open and new connection without closing them
  // (a NAT/firewall that silently dropped its state). kPass: normal forwarding again
  // (stalled connections stay stalled: the client must notice and reconnect).
  enum class Mode { kPass, kStall };
  void set_mode(Mode mode);
  Mode mode() const;
  // The next `n` times the server replies to a statement that commits (a COMMIT, or an
  // autocommit statement outside BEGIN..COMMIT), the proxy closes the connection right
  // after the server sent the reply and before forwarding it: the server committed, the
  // client never learns it.
  void lose_next_commit_replies(int n = 1);
  std::size_t commit_replies_lost() const;
  // The next `bytes` bytes from clients (all connections together) are forwarded, then
  // the proxy stalls as with set_mode(kStall): e.g. in the middle of a large COPY.
  void stall_after_client_bytes(std::size_t bytes);
  void drop_all();  // close every open connection now
  std::size_t open_connections() const;

  struct Connection;  // one proxied connection (tcp_fault_proxy.cpp)

 private:
  void accept_loop();
  void start_connection(int client_fd);
  void reap_finished();  // REQUIRES: mu_ held
  void client_to_server(Connection& c);
  void server_to_client(Connection& c);
  // Consumes one commit-reply credit if armed.
  bool take_commit_loss();
  // How many of `n` bytes read from a client may be forwarded (stall_after_client_bytes).
  std::size_t take_client_bytes(std::size_t n);
  bool stalled(const Connection& c) const;

  std::string host_;
  unsigned short upstream_port_;
  unsigned short port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;  // wakes stalled threads on close
  Mode mode_ = Mode::kPass;     // GUARDED_BY(mu_)
  // Atomics, not under mu_: a forwarding thread holds its connection's io mutex while it
  // takes a loss, and set_mode() takes io mutexes under mu_.
  std::atomic<int> losses_armed_{0};
  std::atomic<std::size_t> losses_done_{0};
  std::atomic<std::int64_t> client_bytes_left_{-1};     // < 0: not armed
  std::list<std::unique_ptr<Connection>> connections_;  // GUARDED_BY(mu_)
  std::thread accept_thread_;
};

}  // namespace claimsync::testing
