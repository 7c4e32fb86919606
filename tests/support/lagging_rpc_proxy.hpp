// LaggingRpcProxy: a JSON-RPC proxy (cpp-httplib) on a free 127.0.0.1 port in front of one
// or more anvils, serving the chain of the active upstream as if its head were `lag`
// blocks lower, like a real node that fell behind:
//   * eth_blockNumber and the "latest" / "safe" / "finalized" / "pending" tags report
//     head - lag (any block tag in eth_getBlockByNumber, eth_call, eth_getBalance, ...);
//   * eth_getBlockByNumber / eth_getBlockByHash of a later block answer null;
//   * eth_getLogs is clipped to head - lag (a range wholly above it answers []);
//   * eth_getTransactionReceipt / eth_getTransactionByHash of a later block answer null.
// set_upstream() flips between upstreams (two anvils = two forks). Each request reads the
// lag and the upstream once, so the calls of one batch see one consistent view.
// Everything else is forwarded unchanged. Thread-safe; every upstream call is bounded.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace claimsync::testing {

class LaggingRpcProxy {
 public:
  // Upstream 0 is active; throws std::runtime_error if it cannot listen or no upstream.
  explicit LaggingRpcProxy(std::vector<std::string> upstream_urls);
  ~LaggingRpcProxy();
  LaggingRpcProxy(const LaggingRpcProxy&) = delete;
  LaggingRpcProxy& operator=(const LaggingRpcProxy&) = delete;

  const std::string& url() const;  // http://127.0.0.1:PORT
  void set_lag(std::uint64_t blocks);
  std::uint64_t lag() const;
  void set_upstream(std::size_t index);  // REQUIRES: index < number of upstreams
  std::size_t requests() const;

 private:
  struct View;
  std::string handle(const std::string& body);
  nlohmann::json answer(const nlohmann::json& call, const View& view);

  const std::vector<std::string> upstreams_;
  std::string url_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<std::uint64_t> lag_{0};
  std::atomic<std::size_t> upstream_{0};
  std::atomic<std::size_t> requests_{0};
};

}  // namespace claimsync::testing
