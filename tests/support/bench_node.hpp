// Support for the end-to-end benchmarks (bench/e2e_bench.cpp, bench/live_latency_bench.cpp):
// the `claimsync run` config they start the real binary with, /proc memory readings of
// that process, machine load, order statistics, and ClaimNFT.mintMany transactions.
//
// Everything here is a pure function or a short read of /proc; helpers throw
// std::runtime_error on a broken environment (as the rest of tests/support does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

namespace claimsync::testing {

class Anvil;

// The node config of a benchmark run: product defaults except what a benchmark must pin.
struct BenchNodeConfig {
  std::string rpc_url;
  std::vector<std::string> ws_urls;  // chain.ws_urls; the key is left out when empty
  std::uint64_t chain_id = 31337;
  std::string contract;
  std::uint64_t start_block = 0;
  std::uint64_t confirmations = 0;
  std::uint64_t poll_interval_ms = 100;
  std::string data_dir;
  std::string sink_url;
  std::string log_level = "info";
  std::size_t write_connections = 0;  // sink.write_connections (0: the node's default)
  std::size_t max_batch_size = 0;     // replicator.max_batch_size (0: the node's default)
};

// The TOML text: [chain] (finality = "confirmations"), [storage], [sink] (migrate on start),
// [replicator] only when max_batch_size is set, and [log]; every other key is left at the
// product's default.
std::string render_bench_node_config(const BenchNodeConfig& c);

// The claimsync binary built with this tree (CLAIMSYNC_BINARY); throws when it is missing.
std::string claimsync_binary();

// VmRSS and VmHWM of a live process from /proc/<pid>/status, in KiB; nullopt once it is gone.
struct ProcMemory {
  std::uint64_t rss_kb = 0;
  std::uint64_t hwm_kb = 0;
};
std::optional<ProcMemory> read_proc_memory(pid_t pid);

// The output of `uptime` (one line, load averages at the end).
std::string uptime_line();

// Order statistics of a non-empty sample (throw std::invalid_argument on an empty one).
double median(std::vector<double> v);
// Nearest-rank percentile, p in [0, 100].
double percentile(std::vector<double> v, double p);

// An eth_sendTransaction object calling ClaimNFT.mintMany(to, ids, amounts) from
// anvil.account(from), with an explicit gas limit (60k per mint + 200k).
nlohmann::json mint_many_tx(const Anvil& anvil, const std::string& contract,
                            const std::vector<std::string>& to,
                            const std::vector<std::uint64_t>& ids,
                            const std::vector<std::uint64_t>& amounts, std::size_t from);

// The eth_getLogs filter of the node's mint query for `nft` over [from, to] (TransferSingle
// or TransferBatch from the zero address): what a raw sweep asks for.
nlohmann::json mint_filter_json(const std::string& nft, std::uint64_t from, std::uint64_t to);

}  // namespace claimsync::testing
