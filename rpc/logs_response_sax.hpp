// The fast path for eth_getLogs answers: decodes a single JSON-RPC response body straight
// into LogEntry values with nlohmann's SAX interface, without building a JSON DOM.
//
// Why: a backfill reads tens of thousands of logs per call, and building then freeing the
// DOM of such an answer (a std::map and a dozen strings per log) costs more than the
// provider takes to produce it (bench/RESULTS.md, "Follower backfill").
//
// Contract: the fast path accepts a strict subset of what the DOM path
// (parse_rpc_response + decode_log) accepts, and decodes it to the same values. It answers
// only for {"jsonrpc": ..., "id": <id>, "result": [<log>, ...]} in which every log is an
// object holding exactly once each field decode_log requires, with the same value rules
// (unknown fields of a log, of any type, are ignored as decode_log ignores them).
// Anything else (an error reply, another id, a duplicate or malformed field, unknown
// envelope keys, invalid JSON) gives nullopt: the caller parses the body the usual way,
// which yields the precise error. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rpc/log_entry.hpp"

namespace claimsync::eth {

std::optional<std::vector<LogEntry>> decode_logs_response_fast(std::string_view body,
                                                               std::uint64_t id);

}  // namespace claimsync::eth
