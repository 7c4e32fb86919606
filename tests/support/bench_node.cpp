#include "tests/support/bench_node.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "rpc/abi.hpp"
#include "rpc/bytes.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/uint256.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {

namespace {

std::string toml_string_list(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "\"" : ", \"") + s + "\"";
  return "[" + out + "]";
}

std::uint64_t status_kb(const std::string& status, const std::string& key) {
  const std::size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return 0;
  return std::stoull(status.substr(at + key.size() + 2));
}

}  // namespace

std::string render_bench_node_config(const BenchNodeConfig& c) {
  std::ostringstream s;
  s << "[chain]\n"
    << "rpc_urls = " << toml_string_list({c.rpc_url}) << "\n";
  if (!c.ws_urls.empty()) s << "ws_urls = " << toml_string_list(c.ws_urls) << "\n";
  s << "chain_id = " << c.chain_id << "\n"
    << "contract = \"" << c.contract << "\"\n"
    << "start_block = " << c.start_block << "\n"
    << "finality = \"confirmations\"\n"
    << "confirmations = " << c.confirmations << "\n"
    << "poll_interval_ms = " << c.poll_interval_ms << "\n"
    << "\n[storage]\n"
    << "data_dir = \"" << c.data_dir << "\"\n"
    << "\n[sink]\n"
    << "url = \"" << c.sink_url << "\"\n"
    << "migrate_on_start = true\n"
    << "write_connections = " << c.write_connections << "\n"
    << (c.max_batch_size == 0
            ? std::string()
            : "\n[replicator]\nmax_batch_size = " + std::to_string(c.max_batch_size) + "\n")
    << "\n[log]\n"
    << "level = \"" << c.log_level << "\"\n"
    << "format = \"text\"\n";
  return s.str();
}

std::string claimsync_binary() {
  const std::string bin = CLAIMSYNC_BINARY;
  if (!std::filesystem::exists(bin))
    throw std::runtime_error("claimsync binary " + bin + " missing: build the target claimsync");
  return bin;
}

std::optional<ProcMemory> read_proc_memory(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  if (status.empty()) return std::nullopt;
  return ProcMemory{status_kb(status, "VmRSS"), status_kb(status, "VmHWM")};
}

std::string uptime_line() {
  std::string out = run_command({"uptime"}, std::chrono::milliseconds(5000)).output;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) throw std::invalid_argument("percentile of an empty sample");
  std::sort(v.begin(), v.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(v.size()));
  const std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return v[std::min(i, v.size() - 1)];
}

nlohmann::json mint_many_tx(const Anvil& anvil, const std::string& contract,
                            const std::vector<std::string>& to,
                            const std::vector<std::uint64_t>& ids,
                            const std::vector<std::uint64_t>& amounts, std::size_t from) {
  namespace abi = eth::abi;
  std::vector<eth::Address> addresses;
  addresses.reserve(to.size());
  for (const std::string& t : to) {
    auto a = eth::Address::parse(t);
    if (!a) throw std::runtime_error("mint_many_tx: bad address " + t);
    addresses.push_back(*a);
  }
  const std::string data = eth::to_hex(
      abi::encode_call(abi::function_selector("mintMany(address[],uint256[],uint256[])"),
                       {std::move(addresses), std::vector<eth::U256>(ids.begin(), ids.end()),
                        std::vector<eth::U256>(amounts.begin(), amounts.end())}));
  const std::uint64_t gas = 60'000 * to.size() + 200'000;
  return {{"from", anvil.account(from)},
          {"to", contract},
          {"data", data},
          {"gas", eth::U256(gas).to_quantity()}};
}

nlohmann::json mint_filter_json(const std::string& nft, std::uint64_t from, std::uint64_t to) {
  const std::string zero = "0x" + std::string(64, '0');
  return {
      {"address", nft},
      {"fromBlock", eth::U256(from).to_quantity()},
      {"toBlock", eth::U256(to).to_quantity()},
      {"topics",
       {{eth::transfer_single_topic().hex(), eth::transfer_batch_topic().hex()}, nullptr, zero}}};
}

}  // namespace claimsync::testing
