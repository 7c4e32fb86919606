#include "node/new_heads_options.hpp"

#include <algorithm>

namespace claimsync::node {

eth::NewHeadsOptions new_heads_options(const Config& config) {
  eth::NewHeadsOptions o;
  o.urls = config.chain.ws_urls;
  o.chain_id = config.chain.chain_id;
  o.connect_timeout_ms = config.rpc.timeout_ms;
  o.request_timeout_ms = config.rpc.timeout_ms;
  o.backoff_initial_ms = config.rpc.backoff_initial_ms;
  // A subscription is only a hint (polling goes on): a dead socket need not be retried
  // more often than every 30 s, whatever the RPC retry cap.
  o.backoff_max_ms = std::max<std::int64_t>(config.rpc.backoff_max_ms, 30'000);
  return o;
}

}  // namespace claimsync::node
