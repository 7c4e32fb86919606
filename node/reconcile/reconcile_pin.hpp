// reconcile_pin: the one block a reconcile run compares at (issue 14). `--at` names a tag
// (finalized, safe, latest) or a block number; the pin is that block's number and hash, and
// the head at the same moment (to report how far behind the pin is).
#pragma once

#include <string>

#include "node/reconcile/reconcile_report.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

// "finalized" | "safe" | "latest" | a decimal block number. kInvalidArgument otherwise.
Result<eth::BlockRef> parse_pin_at(const std::string& at);

// Resolves `at` to a block (one or two header calls). kNotFound when the chain has no such
// block (yet): e.g. no finalized block on a fresh chain.
Result<PinnedBlock> resolve_pin(eth::ChainSource& chain, const std::string& at);

// OK when the chain still has the pinned block (same hash at that number): every read of the
// run was of one chain. kReorg otherwise.
Status check_pin_still_canonical(eth::ChainSource& chain, const PinnedBlock& pin);

}  // namespace claimsync::node
