#include "node/chain_factory.hpp"

namespace claimsync::node {

eth::JsonRpcClientOptions client_options(const Config& config) {
  eth::JsonRpcClientOptions o;
  o.urls = config.chain.rpc_urls;
  o.chain_id = config.chain.chain_id;
  o.timeout_ms = config.rpc.timeout_ms;
  o.max_retries = config.rpc.max_retries;
  o.backoff_initial_ms = config.rpc.backoff_initial_ms;
  o.backoff_max_ms = config.rpc.backoff_max_ms;
  o.logs_min_span = config.rpc.logs_min_span;
  o.logs_max_span = config.rpc.logs_max_span;
  o.logs_initial_span = config.rpc.logs_initial_span;
  o.max_response_bytes = config.rpc.max_response_bytes;
  o.max_batch = config.rpc.max_batch;
  o.max_lag_blocks = config.rpc.max_lag_blocks;
  return o;
}

Result<std::unique_ptr<eth::RpcChainSource>> open_chain_source(const Config& config, Clock& clock,
                                                               const StopFlag* stop,
                                                               eth::RpcObserver observer) {
  eth::JsonRpcClientOptions options = client_options(config);
  options.observer = std::move(observer);
  return eth::RpcChainSource::create(options, clock, stop);
}

}  // namespace claimsync::node
