// The newHeads subscription as configured by [chain] and [rpc]: the one place that maps the
// node's config onto eth::NewHeadsOptions (rpc/ does not depend on node/).
//
//   if (!config.chain.ws_urls.empty()) {
//     eth::NewHeadsSubscription sub(new_heads_options(config), clock, on_head);
//     std::thread t([&] { sub.run(stop); });
//   }
#pragma once

#include "node/config.hpp"
#include "rpc/new_heads_subscription.hpp"

namespace claimsync::node {

// urls = chain.ws_urls (empty: no subscription; run() would log ws_disabled and return),
// chain_id = chain.chain_id, connect / request timeouts = rpc.timeout_ms, reconnect backoff
// = rpc.backoff_initial_ms .. max(rpc.backoff_max_ms, 30 s); the rest keeps the defaults
// of eth::NewHeadsOptions (idle ping after 30 s of silence, 10 s for the answer).
eth::NewHeadsOptions new_heads_options(const Config& config);

}  // namespace claimsync::node
