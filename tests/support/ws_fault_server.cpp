#include "tests/support/ws_fault_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "rpc/json_decode.hpp"
#include "rpc/ws_url.hpp"

namespace claimsync::testing {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using nlohmann::json;
using Ws = websocket::stream<beast::tcp_stream>;

namespace {

struct Conn;

}  // namespace

struct WsFaultServer::State {
  net::io_context ioc;  // first: destroyed last
  tcp::acceptor acceptor{ioc};
  eth::WsUrl upstream;
  // io thread only
  bool closing = false;
  bool stall_new = false;
  std::vector<std::shared_ptr<Conn>> conns;              // served (or being served)
  std::vector<std::shared_ptr<Conn>> stalled;            // kept open, silent
  std::vector<std::shared_ptr<tcp::socket>> unanswered;  // accepted while stalling
  // shared with the test thread
  mutable std::mutex mu;
  std::optional<std::uint64_t> chain_id;  // GUARDED_BY(mu)
  std::string subscription_id;            // GUARDED_BY(mu)
  std::vector<std::string> methods;       // GUARDED_BY(mu)
  std::size_t accepted = 0;               // GUARDED_BY(mu)
  std::size_t open_clients = 0;           // GUARDED_BY(mu)

  void accept_next();
  void close_all();
  void forget(const Conn* conn);
};

namespace {

// One proxied client connection and its upstream connection. Lives on the io thread.
struct Conn : std::enable_shared_from_this<Conn> {
  Conn(WsFaultServer::State& s, tcp::socket socket) : st(s), client(std::move(socket)) {}

  WsFaultServer::State& st;
  Ws client;
  std::unique_ptr<Ws> upstream;
  beast::flat_buffer client_buf, upstream_buf;
  std::deque<std::string> to_client, to_upstream;
  std::vector<std::uint64_t> subscribe_ids;  // eth_subscribe requests awaiting their reply
  bool served = false;                       // WebSocket handshake done
  bool stalled = false;
  bool closed = false;

  void start() {
    client.async_accept([self = shared_from_this()](error_code ec) { self->on_accept(ec); });
  }

  void on_accept(error_code ec) {
    if (ec || closed || stalled) return close();
    // Loopback upstream: a blocking connect + handshake is fast and keeps this simple.
    upstream = std::make_unique<Ws>(st.ioc);
    tcp::resolver resolver(st.ioc);
    auto endpoints = resolver.resolve(st.upstream.host, std::to_string(st.upstream.port), ec);
    if (!ec) beast::get_lowest_layer(*upstream).connect(endpoints, ec);
    if (!ec) upstream->handshake(st.upstream.host_header(), st.upstream.target, ec);
    if (ec) return close();
    served = true;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      ++st.open_clients;
    }
    read_client();
    read_upstream();
  }

  void read_client() {
    client_buf.consume(client_buf.size());
    client.async_read(client_buf, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_client_frame(ec);
    });
  }

  void read_upstream() {
    upstream_buf.consume(upstream_buf.size());
    upstream->async_read(upstream_buf, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_upstream_frame(ec);
    });
  }

  void on_client_frame(error_code ec) {
    if (stalled) return;
    if (ec || closed) return close();
    const std::string text = beast::buffers_to_string(client_buf.data());
    const json msg = json::parse(text, nullptr, false);
    const bool named = msg.is_object() && msg.contains("method") && msg["method"].is_string();
    const std::string method = named ? msg["method"].get<std::string>() : "";
    std::optional<std::uint64_t> chain_id;
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.methods.push_back(method);
      chain_id = st.chain_id;
    }
    if (method == "eth_chainId" && chain_id) {
      send_client(json{{"jsonrpc", "2.0"},
                       {"id", msg.value("id", json())},
                       {"result", eth::to_quantity(*chain_id)}}
                      .dump());
    } else {
      if (method == "eth_subscribe" && msg.contains("id") && msg["id"].is_number_unsigned())
        subscribe_ids.push_back(msg["id"].get<std::uint64_t>());
      send_upstream(text);
    }
    read_client();
  }

  void on_upstream_frame(error_code ec) {
    if (stalled) return;
    if (ec || closed) return close();
    std::string text = beast::buffers_to_string(upstream_buf.data());
    const json msg = json::parse(text, nullptr, false);
    if (msg.is_object() && msg.contains("id") && msg["id"].is_number_unsigned() &&
        msg.contains("result") && msg["result"].is_string()) {
      const std::uint64_t id = msg["id"].get<std::uint64_t>();
      for (auto it = subscribe_ids.begin(); it != subscribe_ids.end(); ++it) {
        if (*it != id) continue;
        subscribe_ids.erase(it);
        std::lock_guard<std::mutex> lock(st.mu);
        st.subscription_id = msg["result"].get<std::string>();
        break;
      }
    }
    send_client(std::move(text));
    read_upstream();
  }

  // Write queues: one async_write at a time per stream, frames in order.
  void send_client(std::string frame) {
    to_client.push_back(std::move(frame));
    if (to_client.size() == 1) write_client();
  }
  void write_client() {
    if (stalled || closed || to_client.empty()) return;
    client.text(true);
    client.async_write(net::buffer(to_client.front()),
                       [self = shared_from_this()](error_code ec, std::size_t) {
                         if (self->stalled) return;
                         if (ec) return self->close();
                         self->to_client.pop_front();
                         self->write_client();
                       });
  }
  void send_upstream(std::string frame) {
    to_upstream.push_back(std::move(frame));
    if (to_upstream.size() == 1) write_upstream();
  }
  void write_upstream() {
    if (stalled || closed || to_upstream.empty()) return;
    upstream->text(true);
    upstream->async_write(net::buffer(to_upstream.front()),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                            if (self->stalled) return;
                            if (ec) return self->close();
                            self->to_upstream.pop_front();
                            self->write_upstream();
                          });
  }

  // Silent from now on: pending reads and writes are cancelled (so no pong answers a
  // ping), the client socket stays open, the upstream one is closed.
  void stall() {
    if (closed || stalled) return;
    stalled = true;
    error_code ignored;
    beast::get_lowest_layer(client).socket().cancel(ignored);
    if (upstream) beast::get_lowest_layer(*upstream).socket().close(ignored);
    if (served) {
      std::lock_guard<std::mutex> lock(st.mu);
      --st.open_clients;
    }
  }

  void close() {
    if (closed) return;
    closed = true;
    error_code ignored;
    beast::get_lowest_layer(client).socket().close(ignored);
    if (upstream) beast::get_lowest_layer(*upstream).socket().close(ignored);
    if (served && !stalled) {
      std::lock_guard<std::mutex> lock(st.mu);
      --st.open_clients;
    }
    st.forget(this);
  }
};

// Runs `fn` on the io thread and waits (bounded) until it ran.
template <typename Fn>
void run_on_io(net::io_context& ioc, Fn fn) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ran = done->get_future();
  net::post(ioc, [fn = std::move(fn), done]() mutable {
    fn();
    done->set_value();
  });
  if (ran.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    throw std::runtime_error("ws fault server: io thread did not run a command within 10 s");
}

}  // namespace

void WsFaultServer::State::accept_next() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (closing) return;
    if (!ec) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++accepted;
      }
      if (stall_new) {
        unanswered.push_back(std::make_shared<tcp::socket>(std::move(socket)));
      } else {
        auto conn = std::make_shared<Conn>(*this, std::move(socket));
        conns.push_back(conn);
        conn->start();
      }
    }
    accept_next();
  });
}

void WsFaultServer::State::forget(const Conn* conn) {
  for (auto* list : {&conns, &stalled}) {
    for (auto it = list->begin(); it != list->end(); ++it) {
      if (it->get() != conn) continue;
      list->erase(it);
      break;
    }
  }
}

void WsFaultServer::State::close_all() {
  auto all = conns;
  all.insert(all.end(), stalled.begin(), stalled.end());
  for (auto& conn : all) conn->close();
  conns.clear();
  stalled.clear();
  for (auto& socket : unanswered) {
    error_code ignored;
    socket->close(ignored);
  }
  unanswered.clear();
}

WsFaultServer::WsFaultServer(const std::string& upstream) : state_(std::make_shared<State>()) {
  Result<eth::WsUrl> parsed = eth::parse_ws_url(upstream);
  if (!parsed.ok() || parsed->tls)
    throw std::runtime_error("ws fault server: want a ws:// upstream, got " + upstream);
  state_->upstream = *parsed;
  error_code ec;
  const tcp::endpoint at(net::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(at.protocol(), ec);
  if (!ec) state_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) state_->acceptor.bind(at, ec);
  if (!ec) state_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("ws fault server: cannot listen on 127.0.0.1: " + ec.message());
  url_ = "ws://127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port());
  state_->accept_next();
  thread_ = std::thread([state = state_] { state->ioc.run(); });
}

WsFaultServer::~WsFaultServer() {
  try {
    run_on_io(state_->ioc, [s = state_.get()] {
      s->closing = true;
      error_code ignored;
      s->acceptor.close(ignored);
      s->close_all();
    });
  } catch (const std::exception&) {
    // the io thread is stuck: stop it anyway
  }
  state_->ioc.stop();
  if (thread_.joinable()) thread_.join();
}

void WsFaultServer::set_mode(Mode mode) {
  run_on_io(state_->ioc, [s = state_.get(), mode] {
    s->stall_new = mode == Mode::kStall;
    if (mode != Mode::kStall) return;
    for (auto& conn : s->conns) {
      conn->stall();
      s->stalled.push_back(conn);
    }
    s->conns.clear();
  });
}

void WsFaultServer::drop_all() {
  run_on_io(state_->ioc, [s = state_.get()] { s->close_all(); });
}

void WsFaultServer::set_chain_id(std::optional<std::uint64_t> id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->chain_id = id;
}

void WsFaultServer::send_to_clients(const std::string& frame) {
  run_on_io(state_->ioc, [s = state_.get(), frame] {
    for (auto& conn : s->conns)
      if (conn->served) conn->send_client(frame);
  });
}

std::string WsFaultServer::subscription_id() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->subscription_id;
}

std::vector<std::string> WsFaultServer::methods() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->methods;
}

std::size_t WsFaultServer::accepted() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->accepted;
}

std::size_t WsFaultServer::open_clients() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->open_clients;
}

}  // namespace claimsync::testing
