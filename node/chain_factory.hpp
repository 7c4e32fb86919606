// The JSON-RPC chain client as configured by [chain] and [rpc]: the one place that maps
// the node's config onto eth::JsonRpcClientOptions.
#pragma once

#include <memory>

#include "node/config.hpp"
#include "rpc/client_options.hpp"
#include "rpc/clock.hpp"
#include "rpc/rpc_chain_source.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

eth::JsonRpcClientOptions client_options(const Config& config);

// Builds the client; contacts no endpoint (the first call does, and refuses an endpoint
// whose chain id differs from chain.chain_id). kInvalidArgument for bad options.
// `clock` and `stop` must outlive the client; `stop` (may be null) cuts retries short.
// `observer` (may be empty) is told about every call attempt (rpc/rpc_observer.hpp).
Result<std::unique_ptr<eth::RpcChainSource>> open_chain_source(const Config& config, Clock& clock,
                                                               const StopFlag* stop,
                                                               eth::RpcObserver observer = {});

}  // namespace claimsync::node
