#include "tests/support/guarantee_node.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>

namespace claimsync::testing {

using nlohmann::json;

std::string render_node_config(const GuaranteeNodeConfig& c) {
  std::ostringstream s;
  std::string urls;
  for (const std::string& url :
       c.rpc_urls.empty() ? std::vector<std::string>{c.rpc_url} : c.rpc_urls) {
    urls += (urls.empty() ? "\"" : ", \"") + url + "\"";
  }
  s << "[chain]\n"
    << "rpc_urls = [" << urls << "]\n"
    << "chain_id = " << c.chain_id << "\n"
    << "contract = \"" << c.contract << "\"\n"
    << "start_block = " << c.start_block << "\n"
    << "finality = \"confirmations\"\n"
    << "confirmations = " << c.confirmations << "\n";
  if (!c.product_defaults) s << "poll_interval_ms = " << c.poll_interval_ms << "\n";
  if (c.reorg_window) s << "reorg_window = " << *c.reorg_window << "\n";
  if (!c.ws_urls.empty()) {
    std::string ws;
    for (const std::string& url : c.ws_urls) ws += (ws.empty() ? "\"" : ", \"") + url + "\"";
    s << "ws_urls = [" << ws << "]\n";
  }
  if (!c.product_defaults) {
    s << "\n[rpc]\n"
      << "timeout_ms = 5000\n"
      << "max_retries = 3\n"
      << "backoff_initial_ms = 100\n"
      << "backoff_max_ms = 1000\n";
  }
  s << "\n[storage]\n"
    << "data_dir = \"" << c.data_dir << "\"\n"
    << "\n[sink]\n"
    << "url = \"" << c.sink_url << "\"\n"
    << "migrate_on_start = true\n";
  if (c.sink_call_timeout_ms) s << "call_timeout_ms = " << *c.sink_call_timeout_ms << "\n";
  if (!c.product_defaults) {
    s << "\n[replicator]\n"
      << "batch_size = 200\n"
      << "max_attempts = 8\n"
      << "backoff_initial_ms = 200\n"
      << "backoff_max_ms = 2000\n"
      << "idle_poll_ms = 100\n";
  }
  if (c.api_listen) {
    s << "\n[api]\n"
      << "enabled = true\n"
      << "listen = \"" << *c.api_listen << "\"\n"
      << "rate_limit_per_s = 0\n";
  }
  if (c.ha_enabled) {
    s << "\n[ha]\n"
      << "enabled = true\n";
    if (!c.ha_node_id.empty()) s << "node_id = \"" << c.ha_node_id << "\"\n";
    if (c.ha_lease_ttl_ms) s << "lease_ttl_ms = " << *c.ha_lease_ttl_ms << "\n";
    if (c.ha_renew_interval_ms) s << "renew_interval_ms = " << *c.ha_renew_interval_ms << "\n";
  }
  s << "\n[log]\n"
    << "level = \"" << c.log_level << "\"\n"
    << "format = \"text\"\n";
  return s.str();
}

NodeUnderTest::NodeUnderTest(std::string binary, std::string config_path, std::string log_path,
                             std::string scratch_dir)
    : binary_(std::move(binary)),
      config_path_(std::move(config_path)),
      log_path_(std::move(log_path)),
      scratch_dir_(std::move(scratch_dir)) {}

NodeUnderTest::~NodeUnderTest() {
  std::lock_guard lock(mu_);
  if (child_.pid() > 0) child_.stop(std::chrono::milliseconds(3000));
}

void NodeUnderTest::start() {
  std::lock_guard lock(mu_);
  ++starts_;
  std::ofstream(log_path_, std::ios::app) << "=== guarantee: start #" << starts_ << " ===\n";
  SpawnOptions opts;
  opts.output_file = log_path_;
  child_ = ChildProcess::spawn({binary_, "run", "--config", config_path_}, opts);
}

std::optional<int> NodeUnderTest::kill9() {
  std::lock_guard lock(mu_);
  if (!child_.running()) return child_.wait(std::chrono::milliseconds(0)).value_or(-1);
  child_.signal(SIGKILL);
  child_.wait(std::chrono::milliseconds(10'000));
  std::ofstream(log_path_, std::ios::app) << "=== guarantee: kill -9 ===\n";
  return std::nullopt;
}

int NodeUnderTest::stop(std::chrono::milliseconds grace) {
  std::lock_guard lock(mu_);
  return child_.stop(grace);
}

bool NodeUnderTest::running() {
  std::lock_guard lock(mu_);
  return child_.running();
}

int NodeUnderTest::starts() const {
  std::lock_guard lock(mu_);
  return starts_;
}

std::optional<json> NodeUnderTest::status(std::string* diagnostics) const {
  // stdout alone carries the JSON; stderr (logs) goes to its own file.
  const std::string err = scratch_dir_ + "/status.stderr";
  RunResult r = run_command({"/bin/sh", "-c", "exec \"$0\" status --config \"$1\" --json 2>\"$2\"",
                             binary_, config_path_, err},
                            std::chrono::milliseconds(30'000));
  auto fail = [&](const std::string& why) -> std::optional<json> {
    if (diagnostics) *diagnostics = why + "; stdout: " + r.output + "; stderr: " + read_file(err);
    return std::nullopt;
  };
  if (r.exit_code != 0) return fail("status exited " + std::to_string(r.exit_code));
  try {
    json j = json::parse(r.output);
    if (!j.is_object()) return fail("status printed no JSON object");
    return j;
  } catch (const json::exception& e) {
    return fail(std::string("unparsable status output: ") + e.what());
  }
}

RunResult NodeUnderTest::config_check() const {
  return run_command({binary_, "config", "check", "--config", config_path_},
                     std::chrono::milliseconds(30'000));
}

std::string NodeUnderTest::log_tail(std::size_t max_lines) const {
  const std::string log = read_file(log_path_);
  std::size_t pos = log.size();
  for (std::size_t lines = 0; pos > 0 && lines <= max_lines;) {
    pos = log.rfind('\n', pos - 1);
    if (pos == std::string::npos) return log;
    ++lines;
  }
  return log.substr(pos + 1);
}

}  // namespace claimsync::testing
