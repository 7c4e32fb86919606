// FaultServer: an in-process JSON-RPC proxy (cpp-httplib) on a free 127.0.0.1 port that
// forwards to a real upstream (anvil) and misbehaves by script, for the chain client's
// fault tests.
//
//   FaultServer proxy(anvil.url());
//   Fault f;  f.kind = Fault::Kind::kHttpStatus;  f.status = 429;  f.retry_after = "1";
//   proxy.add(f);
//   proxy.limit_logs_span(100);   // eth_getLogs over > 100 blocks: "too many results"
//
// Faults are consumed in the order added: a request takes the first fault whose method
// matches (a method filter matches a single call or any call of a batch) and that has
// uses left; without one it is forwarded unchanged. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace claimsync::testing {

struct Fault {
  enum class Kind {
    kHttpStatus,    // answer `status` with `body` (and Retry-After when set), no forwarding
    kTruncate,      // forward, then return only the first half of the body
    kWrongId,       // forward, then add 1000 to every reply id
    kDuplicateId,   // forward (a batch), then give the second reply the first reply's id
    kOtherAddress,  // forward, then rewrite every log's address to `address`
    kRemoved,       // forward, then mark every log removed: true
    kDelay,         // wait delay_ms (interruptible by shutdown), then forward
    kClose,         // send headers, then close the connection without a body
    kRpcError,      // answer every call with the JSON-RPC error {rpc_code, rpc_message}
  };
  Kind kind = Kind::kHttpStatus;
  int status = 500;
  std::string body;
  std::string retry_after;
  std::int64_t delay_ms = 0;
  std::string address = "0x000000000000000000000000000000000000dead";
  std::int64_t rpc_code = -32000;
  std::string rpc_message = "scripted error";
  std::string method;  // "" = any request
  int times = 1;       // uses; < 0 = forever
};

class FaultServer {
 public:
  // Starts serving at once; throws std::runtime_error if it cannot listen.
  explicit FaultServer(std::string upstream_url);
  ~FaultServer();  // stops, interrupting delays
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  const std::string& url() const { return url_; }

  void add(Fault fault);
  void clear();  // drops pending faults and the logs span limit
  // eth_getLogs over more than `max_span` blocks gets a JSON-RPC error (Infura wording by
  // default), like a provider that caps results.
  void limit_logs_span(std::uint64_t max_span, std::int64_t code = -32005,
                       std::string message = "query returned more than 10000 results");

  std::size_t requests() const { return requests_.load(); }
  // The JSON-RPC methods received, in order (a batch adds each of its calls).
  std::vector<std::string> methods() const;
  // Spans (toBlock - fromBlock + 1) of the eth_getLogs requests received, in order.
  std::vector<std::uint64_t> logs_spans() const;

 private:
  struct Outcome {
    int status = 200;
    std::string body;
    std::string retry_after;
    bool close = false;
  };
  Outcome handle(const std::string& body);
  std::optional<Fault> take_fault(const nlohmann::json& request);
  Outcome forward(const std::string& body);
  std::optional<std::string> span_limited(const nlohmann::json& request);
  bool wait_or_stop(std::int64_t ms);

  std::string upstream_;
  std::string url_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<std::size_t> requests_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                       // GUARDED_BY(mu_)
  std::deque<Fault> faults_;                    // GUARDED_BY(mu_)
  std::optional<std::uint64_t> logs_max_span_;  // GUARDED_BY(mu_)
  std::int64_t logs_limit_code_ = -32005;       // GUARDED_BY(mu_)
  std::string logs_limit_message_;              // GUARDED_BY(mu_)
  std::vector<std::string> methods_;            // GUARDED_BY(mu_)
  std::vector<std::uint64_t> logs_spans_;       // GUARDED_BY(mu_)
};

}  // namespace claimsync::testing
