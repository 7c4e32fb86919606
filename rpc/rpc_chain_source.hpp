// RpcChainSource: the ChainSource of real Ethereum JSON-RPC endpoints.
//
//   JsonRpcClientOptions o;  o.urls = {...};  o.chain_id = 42161;
//   auto chain = RpcChainSource::create(o, clock, &stop);
//   auto logs = (*chain)->logs(filter);
//
// Built from an EndpointPool (retries, failover, chain id check) and the adaptive
// eth_getLogs splitter. Every answer is validated before it is returned; a remote that
// answers with data that contradicts the request (another block, another tx, logs of
// another contract, wrong array length) gets kBadResponse and its answer is retried on
// another endpoint, never returned. A null block at or below the pool's high-water head
// means the answering endpoint is behind: the call fails over (EndpointPool, "Lag"), and
// kNotFound comes back only when no endpoint serves the block. Thread-safe; every call
// bounded in time.
#pragma once

#include <memory>

#include "rpc/chain_source.hpp"
#include "rpc/client_options.hpp"
#include "rpc/clock.hpp"
#include "rpc/endpoint_pool.hpp"
#include "rpc/log_range_splitter.hpp"

namespace claimsync::eth {

class RpcChainSource final : public ChainSource {
 public:
  // Validates the options (kInvalidArgument); contacts no endpoint yet.
  static Result<std::unique_ptr<RpcChainSource>> create(const JsonRpcClientOptions& options,
                                                        Clock& clock,
                                                        const StopFlag* stop = nullptr);

  // The configured chain id, once an endpoint has confirmed it.
  Result<std::uint64_t> chain_id() override;
  Result<BlockHeader> header(BlockRef block) override;
  // One JSON-RPC batch per max_batch numbers; kNotFound if any block does not exist.
  Result<std::vector<BlockHeader>> headers(const std::vector<std::uint64_t>& numbers) override;
  Result<std::vector<LogEntry>> logs(const LogFilter& filter) override;
  Result<std::optional<Receipt>> receipt(const Hash32& tx_hash) override;
  // Splits into eth_calls of balance_pairs_per_call pairs, sent as JSON-RPC batches.
  Result<std::vector<U256>> balance_of_batch(const Address& contract,
                                             const std::vector<Address>& owners,
                                             const std::vector<U256>& ids, BlockRef block) override;
  // One eth_call; a JSON-RPC error whose text says "revert" is a revert (reverted = true).
  Result<CallResult> call(const std::optional<Address>& to, const Bytes& data,
                          BlockRef block) override;

  // eth_blockNumber.
  Result<std::uint64_t> block_number();
  // Checks every endpoint's chain id now (startup): see EndpointPool::verify_all.
  Status verify_endpoints() { return pool_->verify_all(); }
  std::vector<EndpointHealth> endpoint_health() const { return pool_->health(); }
  std::uint64_t current_logs_span() const { return span_.current(); }

 private:
  RpcChainSource(std::unique_ptr<EndpointPool> pool, LogSpanPolicy span, Clock& clock,
                 const StopFlag* stop);

  std::unique_ptr<EndpointPool> pool_;
  AdaptiveSpan span_;
  Clock& clock_;
  const StopFlag* stop_;
};

}  // namespace claimsync::eth
