#include "tests/support/tcp_fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace claimsync::testing {

struct TcpFaultProxy::Connection {
  int client = -1;
  int server = -1;
  std::atomic<bool> stalled{false};
  std::atomic<bool> closed{false};
  // Held by a direction from "not stalled?" through forwarding what it read, and by
  // set_mode(kStall) while it marks the connection: once set_mode returns, nothing moves.
  std::mutex io;
  std::atomic<int> running{2};
  std::thread to_server;
  std::thread to_client;

  void close_now() {
    closed = true;
    ::shutdown(client, SHUT_RDWR);
    if (server >= 0) ::shutdown(server, SHUT_RDWR);
  }
  ~Connection() {
    if (to_server.joinable()) to_server.join();
    if (to_client.joinable()) to_client.join();
    ::close(client);
    if (server >= 0) ::close(server);
  }
};

namespace {

constexpr int kSliceMs = 50;

// Sends all of `data` unless the connection closes first. Bounded: each wait is a slice,
// and the loop ends when the peer stops reading and the connection is closed.
bool send_all(int fd, const char* data, std::size_t size, const std::atomic<bool>& closed) {
  while (size > 0) {
    if (closed) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::uint32_t be32(const char* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

}  // namespace

TcpFaultProxy::TcpFaultProxy(std::string upstream_host, unsigned short upstream_port)
    : host_(std::move(upstream_host)), upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("TcpFaultProxy: socket failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("TcpFaultProxy: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

TcpFaultProxy::~TcpFaultProxy() {
  stopping_ = true;
  accept_thread_.join();
  drop_all();
  std::list<std::unique_ptr<Connection>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all.swap(connections_);
  }
  all.clear();  // joins every thread (each ends within a slice once closed)
  ::close(listen_fd_);
}

void TcpFaultProxy::set_mode(Mode mode) {
  std::lock_guard<std::mutex> lock(mu_);
  mode_ = mode;
  if (mode == Mode::kStall) {
    for (auto& c : connections_) {
      std::lock_guard<std::mutex> io(c->io);
      c->stalled = true;
    }
  }
}

TcpFaultProxy::Mode TcpFaultProxy::mode() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mode_;
}

void TcpFaultProxy::lose_next_commit_replies(int n) { losses_armed_ += n; }

std::size_t TcpFaultProxy::commit_replies_lost() const { return losses_done_.load(); }

void TcpFaultProxy::drop_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : connections_) c->close_now();
  cv_.notify_all();
}

std::size_t TcpFaultProxy::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t n = 0;
  for (const auto& c : connections_) n += c->closed ? 0 : 1;
  return n;
}

bool TcpFaultProxy::take_commit_loss() {
  int armed = losses_armed_.load();
  while (armed > 0) {  // bounded: each failed exchange means another thread took one
    if (losses_armed_.compare_exchange_weak(armed, armed - 1)) {
      ++losses_done_;
      return true;
    }
  }
  return false;
}

void TcpFaultProxy::stall_after_client_bytes(std::size_t bytes) {
  client_bytes_left_ = static_cast<std::int64_t>(bytes);
}

std::size_t TcpFaultProxy::take_client_bytes(std::size_t n) {
  std::int64_t left = client_bytes_left_.load();
  for (;;) {                 // bounded: each failed exchange means another thread took some
    if (left < 0) return n;  // not armed
    const std::int64_t take = std::min<std::int64_t>(left, static_cast<std::int64_t>(n));
    if (client_bytes_left_.compare_exchange_weak(left, left - take))
      return static_cast<std::size_t>(take);
  }
}

bool TcpFaultProxy::stalled(const Connection& c) const { return c.stalled.load(); }

void TcpFaultProxy::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) start_connection(fd);
    }
    std::lock_guard<std::mutex> lock(mu_);
    reap_finished();
  }
}

void TcpFaultProxy::start_connection(int client_fd) {
  auto c = std::make_unique<Connection>();
  c->client = client_fd;
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(upstream_port_);
  ::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
  if (server >= 0 && ::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    c->server = server;
  } else {
    if (server >= 0) ::close(server);
    c->closed = true;  // upstream down: the client sees its connection closed at once
    c->running = 0;
  }
  std::lock_guard<std::mutex> lock(mu_);
  c->stalled = mode_ == Mode::kStall;
  Connection& ref = *c;
  if (c->server >= 0) {
    c->to_server = std::thread([this, &ref] { client_to_server(ref); });
    c->to_client = std::thread([this, &ref] { server_to_client(ref); });
  } else {
    ::shutdown(c->client, SHUT_RDWR);
  }
  connections_.push_back(std::move(c));
}

void TcpFaultProxy::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->running.load() == 0) {
      it = connections_.erase(it);  // its threads have returned: joins at once
    } else {
      ++it;
    }
  }
}

void TcpFaultProxy::client_to_server(Connection& c) {
  char buf[16384];
  while (!c.closed && !stopping_) {
    if (stalled(c)) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return c.closed.load(); });
      continue;
    }
    pollfd p{c.client, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    bool stall_all = false;
    {
      std::lock_guard<std::mutex> io(c.io);
      if (stalled(c)) continue;
      const ssize_t n = ::recv(c.client, buf, sizeof(buf), 0);
      if (n <= 0) break;
      const std::size_t allowed = take_client_bytes(static_cast<std::size_t>(n));
      if (!send_all(c.server, buf, allowed, c.closed)) break;
      if (allowed < static_cast<std::size_t>(n) || client_bytes_left_ == 0) {
        c.stalled = true;  // the rest of what was read is never forwarded
        client_bytes_left_ = -1;
        stall_all = true;
      }
    }
    if (stall_all) set_mode(Mode::kStall);  // takes every connection's io mutex
  }
  c.close_now();
  --c.running;
}

void TcpFaultProxy::server_to_client(Connection& c) {
  std::string in;        // received, not yet parsed
  std::string out;       // parsed, not yet forwarded
  bool startup = true;   // before the first Authentication / Error message
  bool opaque = false;   // SSL/GSS accepted: cannot parse
  bool holding = false;  // a possible commit reply is being held back
  bool saw_complete = false;
  char prev_status = 'I';
  std::string last_tag;
  char buf[16384];
  while (!c.closed && !stopping_) {
    if (stalled(c)) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return c.closed.load(); });
      continue;
    }
    pollfd p{c.server, POLLIN, 0};
    if (::poll(&p, 1, kSliceMs) <= 0) continue;
    std::lock_guard<std::mutex> io(c.io);
    if (stalled(c)) continue;
    const ssize_t n = ::recv(c.server, buf, sizeof(buf), 0);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    bool lose = false;
    std::size_t pos = 0;
    while (!opaque && pos < in.size()) {
      const char type = in[pos];
      if (startup && (type == 'N' || type == 'S' || type == 'G')) {  // SSL/GSS answer byte
        out += type;
        opaque = type != 'N';
        ++pos;
        continue;
      }
      if (in.size() - pos < 5) break;
      const std::uint32_t len = be32(in.data() + pos + 1);
      if (in.size() - pos < 1 + static_cast<std::size_t>(len)) break;
      const std::string body = in.substr(pos + 5, len - 4);
      if (type == 'R' || type == 'E') startup = false;
      if (type == 'C') {
        saw_complete = true;
        last_tag = body.substr(0, body.find('\0'));
        if (losses_armed_.load() > 0) holding = true;
      }
      out.append(in, pos, 1 + len);
      pos += 1 + len;
      if (type == 'Z' && !body.empty()) {
        const char status = body[0];
        const bool commits =
            status == 'I' && saw_complete && (prev_status == 'I' || last_tag == "COMMIT");
        if (commits && holding && take_commit_loss()) {
          lose = true;
          break;
        }
        holding = false;
        saw_complete = false;
        prev_status = status;
      }
    }
    if (lose) break;  // the server committed; the client never hears of it
    if (opaque) {
      out.append(in, pos, std::string::npos);
      pos = in.size();
    }
    in.erase(0, pos);
    if (!holding) {
      if (!send_all(c.client, out.data(), out.size(), c.closed)) break;
      out.clear();
    }
  }
  c.close_now();
  --c.running;
}

}  // namespace claimsync::testing
