// JSON-RPC 2.0 over one HTTP endpoint: single calls and batches, with strict response
// checking, and the classification of JSON-RPC error objects.
//
// Contract of JsonRpcEndpoint::send:
//   * One HTTP round trip. One call goes as a plain request object; several as a batch
//     array. Ids are assigned here (unique per endpoint) and responses are matched by id,
//     so replies come back in request order whatever order the server used.
//   * The whole request fails (an error Status) when no usable response came back:
//     transport errors (kUnavailable / kTimeout), HTTP 429 (kRateLimited), 408 / 504
//     (kTimeout), other 5xx (kUnavailable), other non-JSON-RPC HTTP errors (kRemoteError),
//     and any malformed body (kBadResponse): not JSON, truncated, wrong shape, an id that
//     is missing, duplicated or not ours, a reply with both or neither of result/error.
//     A whole-request JSON-RPC error (id null) is classified like a per-call one.
//   * Per-call JSON-RPC errors are NOT failures of the request: they come back in their
//     RpcReply for the caller (or the EndpointPool) to classify.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/http_transport.hpp"
#include "rpc/log_entry.hpp"
#include "rpc/status.hpp"

namespace claimsync::eth {

struct RpcCall {
  std::string method;
  nlohmann::json params = nlohmann::json::array();
  // eth_getLogs: a single call's answer may be decoded straight into RpcReply::logs
  // (rpc/logs_response_sax.hpp) instead of into `result`.
  bool logs_result = false;
};

// A JSON-RPC error object ({"code", "message", "data"}).
struct RpcErrorObject {
  std::int64_t code = 0;
  std::string message;
  std::string data;               // `data` serialised, "" when absent (providers put details there)
  std::string to_string() const;  // "json-rpc error <code>: <message> [<data>]"
};

// The answer to one call: `result` (may be JSON null) or `error`; for a logs_result call
// answered in the expected shape, `logs` holds the decoded result and `result` is null.
struct RpcReply {
  nlohmann::json result;
  std::optional<RpcErrorObject> error;
  std::optional<std::vector<LogEntry>> logs;
  bool ok() const { return !error.has_value(); }
};

// What a JSON-RPC error object means for the caller.
enum class RpcErrorKind {
  kRateLimited,    // the provider asked us to slow down: retry later / elsewhere
  kTransient,      // the provider failed internally (backend down, lagging node): retry
  kRangeTooLarge,  // eth_getLogs only: too many results / block range / response size
  kPermanent,      // the request itself is wrong (bad params, reverted call): don't retry
};

// Classifies by code and (case-insensitive) message + data wording of common providers
// (Infura, Alchemy, QuickNode, Ankr, Cloudflare, Chainstack, geth, Arbitrum, ...).
// `logs_query` enables kRangeTooLarge and is checked first for eth_getLogs, since some
// providers use -32005 both for "limit exceeded" rate limits and for too many results.
RpcErrorKind classify_rpc_error(const RpcErrorObject& error, bool logs_query);

// True when the error says the call reverted ("execution reverted", "revert", ...): an
// answer about the call, not a failure of the endpoint (classified kPermanent).
bool is_revert(const RpcErrorObject& error);

// For kRangeTooLarge errors that name a workable size ("maximum is set to 2048",
// "this block range should work: [0x10, 0x80f]", "limited to a 10,000 range", ...):
// that number of blocks. nullopt when the message names none.
std::optional<std::uint64_t> suggested_log_span(const RpcErrorObject& error);

// The Status for a JSON-RPC error of the given kind (kRateLimited, kUnavailable,
// kRemoteError), with the error's text.
Status rpc_error_status(const RpcErrorObject& error, RpcErrorKind kind);

// Side information about a request, filled even when it fails.
struct RpcRequestInfo {
  std::string retry_after;  // the HTTP Retry-After header, "" when absent
  std::size_t response_bytes = 0;
  bool response_too_large = false;  // failed: the body exceeded max_response_bytes
};

class JsonRpcEndpoint {
 public:
  JsonRpcEndpoint(HttpUrl url, HttpOptions options);

  // Sends `calls` (non-empty) in one HTTP round trip. See the contract above.
  Result<std::vector<RpcReply>> send(const std::vector<RpcCall>& calls, std::int64_t timeout_ms = 0,
                                     RpcRequestInfo* info = nullptr);

  const HttpUrl& url() const { return transport_.url(); }

 private:
  HttpTransport transport_;
  std::atomic<std::uint64_t> next_id_{1};
};

// Exposed for unit tests: checks and orders a parsed response body for request ids
// [first_id, first_id + count). `batch` says whether an array is expected.
Result<std::vector<RpcReply>> parse_rpc_response(const std::string& body, std::uint64_t first_id,
                                                 std::size_t count, bool batch);

}  // namespace claimsync::eth
