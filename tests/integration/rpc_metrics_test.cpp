// The RPC observer hook of the chain client (rpc/rpc_observer.hpp) as the node's metrics
// see it: every call attempt through EndpointPool, the chain id check included, reported
// once with its method, outcome and duration; HTTP 429, JSON-RPC rate limits, timeouts
// and refused connections each with their kind. Real HTTP on loopback, against a scripted
// in-process JSON-RPC server (no other process).
#include <catch2/catch.hpp>

#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/metrics/node_metrics.hpp"
#include "rpc/clock.hpp"
#include "rpc/endpoint_pool.hpp"
#include "tests/support/metrics_text.hpp"
#include "tests/support/process.hpp"

using namespace claimsync;
using claimsync::testing::free_loopback_port;
using claimsync::testing::sample_value;

namespace {

// Answers eth_chainId with 0x1 and every other call by the current mode.
class ScriptedRpc {
 public:
  enum class Mode { kOk, kHttp429, kRpcRateLimit, kSlow };

  ScriptedRpc() : port_(free_loopback_port()) {
    server_.Post("/",
                 [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
    thread_ = std::thread([this] { server_.listen("127.0.0.1", port_); });
    REQUIRE(testing::wait_until([this] { return server_.is_running(); }, std::chrono::seconds(10),
                                std::chrono::milliseconds(10)));
  }
  ~ScriptedRpc() {
    server_.stop();
    thread_.join();
  }
  void set_mode(Mode m) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  static nlohmann::json reply(const nlohmann::json& call, const nlohmann::json& result) {
    return {{"jsonrpc", "2.0"}, {"id", call.at("id")}, {"result", result}};
  }
  void answer(const httplib::Request& req, httplib::Response& res) {
    Mode mode;
    {
      std::lock_guard<std::mutex> lock(mu_);
      mode = mode_;
    }
    const nlohmann::json body = nlohmann::json::parse(req.body);
    const bool batch = body.is_array();
    const nlohmann::json calls = batch ? body : nlohmann::json::array({body});
    const bool chain_id_only = calls.size() == 1 && calls[0].at("method") == "eth_chainId";
    if (!chain_id_only && mode == Mode::kHttp429) {
      res.status = 429;
      res.set_content("slow down", "text/plain");
      return;
    }
    if (!chain_id_only && mode == Mode::kSlow) {
      // Longer than the client's timeout; bounded, so the server always finishes.
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : calls) {
      if (c.at("method") == "eth_chainId") {
        out.push_back(reply(c, "0x1"));
      } else if (mode == Mode::kRpcRateLimit) {
        out.push_back({{"jsonrpc", "2.0"},
                       {"id", c.at("id")},
                       {"error", {{"code", -32005}, {"message", "rate limit exceeded"}}}});
      } else {
        out.push_back(reply(c, "0x10"));
      }
    }
    res.set_content((batch ? out : out[0]).dump(), "application/json");
  }

  unsigned short port_;
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  Mode mode_ = Mode::kOk;  // GUARDED_BY(mu_)
};

struct Seen {
  std::mutex mu;
  std::vector<std::pair<std::string, eth::RpcOutcome>> attempts;  // GUARDED_BY(mu)
  std::vector<double> seconds;                                    // GUARDED_BY(mu)
};

eth::JsonRpcClientOptions options_for(const std::string& url, Seen& seen) {
  eth::JsonRpcClientOptions o;
  o.urls = {url};
  o.chain_id = 1;
  o.timeout_ms = 250;
  o.max_retries = 0;  // one attempt per call: what is counted is what was sent
  o.backoff_initial_ms = 1;
  o.backoff_max_ms = 1;
  o.observer = [&seen](const eth::RpcAttempt& a) {
    std::lock_guard<std::mutex> lock(seen.mu);
    seen.attempts.emplace_back(std::string(a.method), a.outcome);
    seen.seconds.push_back(a.seconds);
  };
  return o;
}

using Attempts = std::vector<std::pair<std::string, eth::RpcOutcome>>;

Attempts take(Seen& seen) {
  std::lock_guard<std::mutex> lock(seen.mu);
  Attempts out = std::move(seen.attempts);
  seen.attempts.clear();
  return out;
}

}  // namespace

TEST_CASE("every call attempt reaches the observer with its method and outcome") {
  ScriptedRpc server;
  Seen seen;
  SystemClock clock;
  auto pool = eth::EndpointPool::create(options_for(server.url(), seen), clock, nullptr);
  REQUIRE(pool.ok());
  using O = eth::RpcOutcome;

  SECTION("ok, the chain id check first; a batch reports each of its calls") {
    REQUIRE((*pool)->call({"eth_blockNumber"}).ok());
    CHECK(take(seen) == Attempts{{"eth_chainId", O::kOk}, {"eth_blockNumber", O::kOk}});
    std::vector<eth::RpcCall> batch(3, eth::RpcCall{"eth_getBlockByNumber"});
    REQUIRE((*pool)->call_batch(batch).ok());
    CHECK(take(seen) == Attempts(3, {"eth_getBlockByNumber", O::kOk}));
  }
  SECTION("HTTP 429 is rate_limited") {
    REQUIRE((*pool)->verify_all().ok());
    take(seen);
    server.set_mode(ScriptedRpc::Mode::kHttp429);
    CHECK(!(*pool)->call({"eth_getLogs"}).ok());
    CHECK(take(seen) == Attempts{{"eth_getLogs", O::kRateLimited}});
  }
  SECTION("a JSON-RPC rate-limit error object is rate_limited") {
    REQUIRE((*pool)->verify_all().ok());
    take(seen);
    server.set_mode(ScriptedRpc::Mode::kRpcRateLimit);
    CHECK(!(*pool)->call({"eth_call"}).ok());
    CHECK(take(seen) == Attempts{{"eth_call", O::kRateLimited}});
  }
  SECTION("no answer within the timeout is timeout, with its duration") {
    REQUIRE((*pool)->verify_all().ok());
    take(seen);
    server.set_mode(ScriptedRpc::Mode::kSlow);
    CHECK(!(*pool)->call({"eth_getTransactionReceipt"}).ok());
    CHECK(take(seen) == Attempts{{"eth_getTransactionReceipt", O::kTimeout}});
    std::lock_guard<std::mutex> lock(seen.mu);
    CHECK(seen.seconds.back() >= 0.2);  // timeout_ms = 250
    CHECK(seen.seconds.back() < 5);
  }
}

TEST_CASE("a refused connection is connection, and the node's metrics count it") {
  const unsigned short closed = free_loopback_port();  // nothing listens there
  Seen seen;
  SystemClock clock;
  node::NodeMetrics metrics(1, "test");
  eth::JsonRpcClientOptions o = options_for("http://127.0.0.1:" + std::to_string(closed), seen);
  o.observer = metrics.rpc_observer();
  auto pool = eth::EndpointPool::create(o, clock, nullptr);
  REQUIRE(pool.ok());
  CHECK(!(*pool)->call({"eth_blockNumber"}).ok());
  const std::string text = metrics.render();
  INFO(text);
  // The chain id check is the attempt that went out (and failed); the call itself had no
  // usable endpoint left to try with max_retries = 0.
  CHECK(sample_value(
            text, "claimsync_rpc_errors_total{method=\"eth_chainId\",kind=\"connection\"}") == "1");
  CHECK(sample_value(
            text, "claimsync_rpc_requests_total{method=\"eth_chainId\",status=\"error\"}") == "1");
  CHECK(sample_value(
            text, "claimsync_rpc_request_duration_seconds_count{method=\"eth_chainId\"}") == "1");
}
