// NodeUnderTest: the `claimsync run` child process of the guarantee test, with the kill -9
// / restart cycle and `claimsync status --json`; and the config file it runs with.
//
// Every start appends a "=== guarantee: start #N ===" marker to one log file (the node's
// stdout+stderr), so a failure report can show the last lines of the last lives.
// Thread-safe (one mutex): the chaos thread kills and restarts while others ask status.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

namespace claimsync::testing {

struct GuaranteeNodeConfig {
  std::string rpc_url;
  std::vector<std::string> rpc_urls;  // when non-empty: chain.rpc_urls, in this order (wins)
  std::optional<std::uint64_t> reorg_window;  // chain.reorg_window (node default when unset)
  std::uint64_t chain_id = 31337;
  std::string contract;
  std::uint64_t start_block = 0;
  std::uint64_t confirmations = 5;
  std::uint64_t poll_interval_ms = 200;
  std::string data_dir;
  std::string sink_url;
  // True: leave [rpc] and [replicator] (and poll_interval_ms) at the product's defaults, as a
  // new user's config would (slow backoffs); false: the short test backoffs.
  bool product_defaults = false;
  std::string log_level = "info";
  std::vector<std::string> ws_urls;  // chain.ws_urls (none: no newHeads subscription)
  std::optional<std::int64_t> sink_call_timeout_ms;  // sink.call_timeout_ms (node default)
  // When set: [api] enabled on this HOST:PORT, rate limit off (tests poll it). Unset: no
  // [api] section (a test may append its own).
  std::optional<std::string> api_listen;
  // [ha], written only when ha_enabled: active/standby on one database. Unset / empty
  // fields are left to the node's defaults.
  bool ha_enabled = false;
  std::string ha_node_id;
  std::optional<std::int64_t> ha_lease_ttl_ms;
  std::optional<std::int64_t> ha_renew_interval_ms;
};

// The TOML text (keys as in config.example.toml; short backoffs so recovery is fast).
std::string render_node_config(const GuaranteeNodeConfig& c);

class NodeUnderTest {
 public:
  NodeUnderTest(std::string binary, std::string config_path, std::string log_path,
                std::string scratch_dir);
  ~NodeUnderTest();
  NodeUnderTest(const NodeUnderTest&) = delete;
  NodeUnderTest& operator=(const NodeUnderTest&) = delete;

  void start();  // spawns `claimsync run --config FILE`
  // SIGKILL and reap. Returns the exit status it had if it had already exited by itself
  // (a crash the test did not cause), nullopt when it was running and got killed.
  std::optional<int> kill9();
  int stop(std::chrono::milliseconds grace);  // SIGTERM; the exit status
  bool running();
  int starts() const;

  // `claimsync status --config FILE --json`: the parsed JSON, or nullopt (then
  // `diagnostics` says why: exit code, stderr, unparsable output).
  std::optional<nlohmann::json> status(std::string* diagnostics = nullptr) const;
  // `claimsync config check --config FILE`: exit code and output.
  RunResult config_check() const;

  // The last `max_lines` lines of the node's log.
  std::string log_tail(std::size_t max_lines) const;
  const std::string& log_path() const { return log_path_; }

 private:
  const std::string binary_, config_path_, log_path_, scratch_dir_;
  mutable std::mutex mu_;
  ChildProcess child_;  // GUARDED_BY(mu_)
  int starts_ = 0;      // GUARDED_BY(mu_)
};

}  // namespace claimsync::testing
