// eth_getLogs response bodies for tests and fuzz targets: the JSON-RPC envelope a node
// sends around a `result` array of logs, and each log object in the canonical shape
// (lower-case address, minimal quantities, `removed` present), so a test can feed the
// decoders (rpc/logs_response_sax, parse_rpc_response + decode_log) what a node would.
//
// Depends only on claimsync_rpc and nlohmann (the fuzz build compiles this file into its
// targets without the rest of tests/support). Deterministic, compact JSON (dump()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/log_entry.hpp"

namespace claimsync::testing {

// One log as a node writes it in an eth_getLogs result.
nlohmann::json log_json(const eth::LogEntry& log);

// {"jsonrpc": "2.0", "id": id, "result": result}: `result` is the array of log objects
// (any JSON, so a test can send node-specific extras or wrong shapes).
std::string logs_response_body(const nlohmann::json& result, std::uint64_t id);

// The canonical body of `logs`: logs_response_body of their log_json.
std::string logs_response_body(const std::vector<eth::LogEntry>& logs, std::uint64_t id);

// Field-by-field equality of decoded logs (LogEntry has no operator==).
bool same_logs(const eth::LogEntry& a, const eth::LogEntry& b);
bool same_logs(const std::vector<eth::LogEntry>& a, const std::vector<eth::LogEntry>& b);

}  // namespace claimsync::testing
