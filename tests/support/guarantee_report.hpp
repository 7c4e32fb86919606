// What the guarantee tests print: the seed (and how to replay it), one-line summaries of
// the load and of the chain truth, and the context of a failure (node log tail).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/guarantee_node.hpp"
#include "tests/support/guarantee_truth.hpp"
#include "tests/support/load_generator.hpp"

namespace claimsync::testing {

// CLAIMSYNC_GUARANTEE_SEED when set, else a fresh random seed.
std::uint64_t guarantee_seed();

std::string load_summary(const LoadStats& s);
std::string truth_summary(const ChainTruth& t);

// Prints what a failure needs (node log tail, last status) before Catch reports it.
void print_context(const NodeUnderTest& node, std::uint64_t seed, const std::string& extra);

// The lines of the file at `path` that contain any of `needles`, at most `max` of them.
std::vector<std::string> log_lines_with(const std::string& path,
                                        const std::vector<std::string>& needles, std::size_t max);

// What went wrong with the node's lives: `chaos_problems` (what the chaos saw, e.g. the
// node had exited by itself at a kill) plus every life that ended by itself later, which
// the chaos cannot see (the follower stopped the line, or shutdown was forced), from the
// node log. Empty when nothing did.
std::vector<std::string> node_life_problems(const NodeUnderTest& node,
                                            const std::vector<std::string>& chaos_problems);

// status JSON: j[section][key] as a number, 0 when absent or null.
std::uint64_t json_u64(const nlohmann::json& j, const char* section, const char* key);

// What a `claimsync status --json` answer says about why the node is not caught up: the
// last error, the follower's error, a paused replicator with its error, an unreachable
// endpoint or database. "" when it says nothing (a silent stall: itself a failure).
std::string stall_reason(const nlohmann::json& status);

// Polls `claimsync status --json` (1 s period) until it reports caught_up with a checkpoint
// >= `block`, the node exits, or `deadline` passes. True when caught up; `status` holds the
// last answer and `diagnostics` the last status problem.
bool wait_caught_up(NodeUnderTest& node, std::uint64_t block, std::chrono::milliseconds deadline,
                    nlohmann::json& status, std::string& diagnostics);

}  // namespace claimsync::testing
