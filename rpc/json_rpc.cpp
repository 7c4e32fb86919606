#include "rpc/json_rpc.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>
#include <unordered_set>

#include "rpc/logs_response_sax.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <std::size_t N>
bool contains_any(const std::string& text, const std::array<std::string_view, N>& phrases) {
  return std::any_of(phrases.begin(), phrases.end(),
                     [&](std::string_view p) { return text.find(p) != std::string::npos; });
}

// Wording of rate limits and quota exhaustion (Infura, Alchemy, QuickNode, Ankr, ...).
constexpr std::array<std::string_view, 14> kRateLimitPhrases = {
    "rate limit",        "ratelimit",    "rate-limit",
    "too many requests", "request rate", "requests per second",
    "per second",        "quota",        "daily request",
    "credits",           "capacity",     "throughput",
    "compute units",     "request limit"};

// Wording of "this eth_getLogs asked for too much" (result count, block span, size, time).
constexpr std::array<std::string_view, 37> kRangePhrases = {"query returned more than",
                                                            "too many results",
                                                            "more than 10000 results",
                                                            "block range is too large",
                                                            "block range too large",
                                                            "range is too large",
                                                            "range too large",
                                                            "block range is too wide",
                                                            "range too wide",
                                                            "log response size exceeded",
                                                            "response size exceeded",
                                                            "response size should not",
                                                            "response too large",
                                                            "response is too large",
                                                            "response size is larger",
                                                            "exceed maximum block range",
                                                            "exceeds max block range",
                                                            "exceeds maximum block range",
                                                            "maximum block range",
                                                            "max block range",
                                                            "block range limit",
                                                            "range limit exceeded",
                                                            "limit exceeded",
                                                            "too many blocks",
                                                            "max range",
                                                            "limited to",
                                                            "query exceeds max results",
                                                            "logs matched by query exceeds limit",
                                                            "exceeds the range allowed",
                                                            "please limit the query",
                                                            "block range exceeds",
                                                            "block range greater than",
                                                            "query must be smaller",
                                                            "blocks distance",
                                                            "too many logs",
                                                            "timeout",
                                                            "timed out"};

// Wording of provider-side trouble that goes away by itself or on another node.
constexpr std::array<std::string_view, 13> kTransientPhrases = {
    "internal error",   "header not found", "unknown block", "timeout",
    "timed out",        "temporarily",      "unavailable",   "try again",
    "no backend",       "upstream",         "overloaded",    "busy",
    "execution aborted"};

constexpr std::int64_t kCodeLimitExceeded = -32005;  // EIP-1474
constexpr std::int64_t kCodeInvalidParams = -32602;
constexpr std::int64_t kCodeInternal = -32603;

std::string error_text(const RpcErrorObject& e) { return lower(e.message + " " + e.data); }

// Parses digits with ',' / '.' thousands separators and an optional 'k' suffix.
std::optional<std::uint64_t> number_at(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  std::uint64_t value = 0;
  bool any = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      any = true;
    } else if ((c == ',' || c == '.') && any && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    } else {
      break;
    }
  }
  if (!any) return std::nullopt;
  if (i < s.size() && s[i] == 'k') value *= 1000;
  return value;
}

std::optional<std::uint64_t> hex_at(std::string_view s) {
  if (s.substr(0, 2) != "0x") return std::nullopt;
  s.remove_prefix(2);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

// "[0xA, 0xB]" anywhere in the text -> B - A + 1 (Infura, Alchemy, zkSync suggestions).
std::optional<std::uint64_t> bracket_span(const std::string& text) {
  const auto open = text.find("[0x");
  if (open == std::string::npos) return std::nullopt;
  auto from = hex_at(std::string_view(text).substr(open + 1));
  const auto comma = text.find(',', open);
  if (!from || comma == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(text).substr(comma + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto to = hex_at(rest);
  if (!to || *to < *from) return std::nullopt;
  return *to - *from + 1;
}

// The reply for one request object. Fails with a description of what is malformed.
Result<std::pair<std::optional<std::uint64_t>, RpcReply>> parse_reply(const json& j) {
  if (!j.is_object()) return error(ErrorCode::kBadResponse, "reply is not a JSON object");
  std::optional<std::uint64_t> id;
  auto id_it = j.find("id");
  if (id_it != j.end() && !id_it->is_null()) {
    if (!id_it->is_number_unsigned())
      return error(ErrorCode::kBadResponse, "reply id " + id_it->dump() + " is not one of ours");
    id = id_it->get<std::uint64_t>();
  }
  const bool has_result = j.contains("result");
  const bool has_error = j.contains("error") && !j["error"].is_null();
  if (has_result == has_error) {
    return error(ErrorCode::kBadResponse, "reply must have exactly one of result and error");
  }
  RpcReply reply;
  if (has_result) {
    reply.result = j["result"];
  } else {
    const json& e = j["error"];
    if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer()) {
      return error(ErrorCode::kBadResponse, "malformed JSON-RPC error object");
    }
    RpcErrorObject obj;
    obj.code = e["code"].get<std::int64_t>();
    if (e.contains("message") && e["message"].is_string())
      obj.message = e["message"].get<std::string>();
    if (e.contains("data") && !e["data"].is_null()) {
      obj.data = e["data"].is_string() ? e["data"].get<std::string>() : e["data"].dump();
    }
    reply.error = std::move(obj);
  }
  return std::make_pair(id, std::move(reply));
}

std::string snippet(const std::string& body) {
  constexpr std::size_t kMax = 200;
  std::string s = body.size() > kMax ? body.substr(0, kMax) + "…" : body;
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

std::string RpcErrorObject::to_string() const {
  std::string s = "json-rpc error " + std::to_string(code) + ": " + message;
  if (!data.empty()) s += " [" + data + "]";
  return s;
}

bool is_revert(const RpcErrorObject& error) {
  return error_text(error).find("revert") != std::string::npos;
}

RpcErrorKind classify_rpc_error(const RpcErrorObject& error, bool logs_query) {
  const std::string text = error_text(error);
  if (is_revert(error)) return RpcErrorKind::kPermanent;
  const bool rate_words = contains_any(text, kRateLimitPhrases);
  if (logs_query && !rate_words) {
    if (contains_any(text, kRangePhrases)) return RpcErrorKind::kRangeTooLarge;
    if (error.code == kCodeLimitExceeded) return RpcErrorKind::kRangeTooLarge;
    if (error.code == kCodeInvalidParams &&
        (text.find("range") != std::string::npos || text.find("blocks") != std::string::npos)) {
      return RpcErrorKind::kRangeTooLarge;
    }
  }
  if (rate_words || error.code == 429 || error.code == kCodeLimitExceeded)
    return RpcErrorKind::kRateLimited;
  if (error.code == kCodeInternal || contains_any(text, kTransientPhrases))
    return RpcErrorKind::kTransient;
  return RpcErrorKind::kPermanent;
}

std::optional<std::uint64_t> suggested_log_span(const RpcErrorObject& error) {
  const std::string text = error_text(error);
  if (auto span = bracket_span(text)) return span;
  // "<phrase> N": the number that follows is the provider's maximum span in blocks.
  static constexpr std::array<std::string_view, 14> kPhrases = {
      "maximum is set to",
      "max range:",
      "maximum allowed number of requested blocks is",
      "limited to a",
      "limited to",
      "at most",
      "maximum block range:",
      "max block range",
      "block range greater than",
      "block range exceeds",
      "up to a",
      "blocks distance:",
      "smaller than size",
      "exceeds maximum block range:"};
  for (std::string_view phrase : kPhrases) {
    const auto at = text.find(phrase);
    if (at == std::string::npos) continue;
    if (auto n = number_at(std::string_view(text).substr(at + phrase.size())); n && *n > 0)
      return n;
  }
  return std::nullopt;
}

Status rpc_error_status(const RpcErrorObject& error, RpcErrorKind kind) {
  switch (kind) {
    case RpcErrorKind::kRateLimited: return {ErrorCode::kRateLimited, error.to_string()};
    case RpcErrorKind::kTransient: return {ErrorCode::kUnavailable, error.to_string()};
    case RpcErrorKind::kRangeTooLarge:
    case RpcErrorKind::kPermanent: break;
  }
  return {ErrorCode::kRemoteError, error.to_string()};
}

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The top-level elements of a body that is one JSON array, as views into it (strings and
// nesting are skipped exactly; the elements themselves are not validated here). nullopt
// when the body is not one array.
std::optional<std::vector<std::string_view>> array_elements(std::string_view body) {
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < body.size() && is_json_space(body[i])) ++i;
  };
  skip_space();
  if (i >= body.size() || body[i] != '[') return std::nullopt;
  ++i;
  std::vector<std::string_view> out;
  skip_space();
  if (i < body.size() && body[i] == ']') return std::nullopt;  // an empty batch answer
  while (i < body.size()) {
    skip_space();
    const std::size_t start = i;
    int depth = 0;
    for (; i < body.size(); ++i) {
      const char c = body[i];
      if (c == '"') {
        for (++i; i < body.size() && body[i] != '"'; ++i) {
          if (body[i] == '\\') ++i;
        }
        continue;
      }
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') {
        if (depth == 0 && c == '}') return std::nullopt;
        if (depth == 0) break;
        --depth;
      }
      if (c == ',' && depth == 0) break;
    }
    if (i >= body.size()) return std::nullopt;
    std::size_t end = i;
    while (end > start && is_json_space(body[end - 1])) --end;
    if (end == start) return std::nullopt;
    out.push_back(body.substr(start, end - start));
    if (body[i++] == ']') {
      skip_space();
      if (i != body.size()) return std::nullopt;
      return out;
    }
  }
  return std::nullopt;
}

// The fast path for a batch holding eth_getLogs calls (e.g. the logs with their pinned
// header): each logs reply is decoded by decode_logs_response_fast, the others by the DOM
// path. nullopt on anything unusual: the caller parses the whole body the usual way,
// which yields the precise error.
std::optional<std::vector<RpcReply>> decode_batch_fast(std::string_view body,
                                                       const std::vector<RpcCall>& calls,
                                                       std::uint64_t first_id) {
  auto elements = array_elements(body);
  if (!elements || elements->size() != calls.size()) return std::nullopt;
  std::vector<std::optional<RpcReply>> slots(calls.size());
  for (std::string_view element : *elements) {
    bool placed = false;
    for (std::size_t i = 0; i < calls.size() && !placed; ++i) {
      if (!calls[i].logs_result || slots[i]) continue;
      if (auto logs = decode_logs_response_fast(element, first_id + i)) {
        slots[i] = RpcReply{json(), std::nullopt, std::move(*logs)};
        placed = true;
      }
    }
    if (placed) continue;
    const json item = json::parse(element, nullptr, /*allow_exceptions=*/false);
    if (item.is_discarded()) return std::nullopt;
    auto reply = parse_reply(item);
    if (!reply || !reply->first) return std::nullopt;
    const std::uint64_t id = *reply->first;
    if (id < first_id || id - first_id >= calls.size() || slots[id - first_id]) return std::nullopt;
    slots[id - first_id] = std::move(reply->second);
  }
  std::vector<RpcReply> out;
  out.reserve(slots.size());
  for (auto& slot : slots) out.push_back(std::move(*slot));  // count matched, no duplicates
  return out;
}

}  // namespace

Result<std::vector<RpcReply>> parse_rpc_response(const std::string& body, std::uint64_t first_id,
                                                 std::size_t count, bool batch) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return error(ErrorCode::kBadResponse,
                 "response is not valid JSON (truncated?): " + snippet(body));
  }
  // A whole-request error (id null) answers a single call, or fails a whole batch.
  if (parsed.is_object() && (!parsed.contains("id") || parsed["id"].is_null())) {
    auto reply = parse_reply(parsed);
    if (!reply) return reply.status();
    if (!reply->second.error) return error(ErrorCode::kBadResponse, "result without an id");
    if (!batch) return std::vector<RpcReply>{std::move(reply->second)};
    const RpcErrorObject& e = *reply->second.error;
    return rpc_error_status(e, classify_rpc_error(e, false)).with_context("batch rejected");
  }
  if (batch != parsed.is_array()) {
    return error(ErrorCode::kBadResponse,
                 batch ? "batch answered with a non-array" : "single call answered with an array");
  }
  json items = batch ? std::move(parsed) : json::array({std::move(parsed)});
  if (items.size() != count) {
    return error(ErrorCode::kBadResponse, "expected " + std::to_string(count) + " replies, got " +
                                              std::to_string(items.size()));
  }
  std::vector<std::optional<RpcReply>> slots(count);
  for (const json& item : items) {
    auto reply = parse_reply(item);
    if (!reply) return reply.status();
    const auto& id = reply->first;
    if (!id || *id < first_id || *id - first_id >= count) {
      return error(ErrorCode::kBadResponse, "reply id " +
                                                (id ? std::to_string(*id) : std::string("null")) +
                                                " does not match any request");
    }
    auto& slot = slots[*id - first_id];
    if (slot) return error(ErrorCode::kBadResponse, "duplicate reply id " + std::to_string(*id));
    slot = std::move(reply->second);
  }
  std::vector<RpcReply> out;
  out.reserve(count);
  for (auto& slot : slots) out.push_back(std::move(*slot));  // all present: count matched, no dups
  return out;
}

JsonRpcEndpoint::JsonRpcEndpoint(HttpUrl url, HttpOptions options)
    : transport_(std::move(url), options) {}

Result<std::vector<RpcReply>> JsonRpcEndpoint::send(const std::vector<RpcCall>& calls,
                                                    std::int64_t timeout_ms, RpcRequestInfo* info) {
  if (calls.empty()) return std::vector<RpcReply>{};
  const std::uint64_t first_id = next_id_.fetch_add(calls.size());
  const bool batch = calls.size() > 1;
  json request = json::array();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    request.push_back({{"jsonrpc", "2.0"},
                       {"id", first_id + i},
                       {"method", calls[i].method},
                       {"params", calls[i].params}});
  }
  bool too_large = false;
  auto response =
      transport_.post_json(batch ? request.dump() : request[0].dump(), timeout_ms, &too_large);
  if (info != nullptr) info->response_too_large = too_large;
  if (!response) return response.status();
  if (info != nullptr) {
    info->retry_after = response->retry_after;
    info->response_bytes = response->body.size();
  }
  const int status = response->status;
  const std::string where = " from " + transport_.url().redacted();
  if (status == 429) return error(ErrorCode::kRateLimited, "HTTP 429 Too Many Requests" + where);
  if (status == 408 || status == 504)
    return error(ErrorCode::kTimeout, "HTTP " + std::to_string(status) + where);
  if (status >= 500)
    return error(ErrorCode::kUnavailable,
                 "HTTP " + std::to_string(status) + where + ": " + snippet(response->body));
  if (status == 200 && !batch && calls[0].logs_result) {
    if (auto logs = decode_logs_response_fast(response->body, first_id)) {
      RpcReply reply;
      reply.logs = std::move(*logs);
      std::vector<RpcReply> out;
      out.push_back(std::move(reply));
      return out;
    }
  }
  const bool any_logs =
      std::any_of(calls.begin(), calls.end(), [](const RpcCall& c) { return c.logs_result; });
  if (status == 200 && batch && any_logs) {
    if (auto replies = decode_batch_fast(response->body, calls, first_id))
      return std::move(*replies);
  }
  auto replies = parse_rpc_response(response->body, first_id, calls.size(), batch);
  if (status != 200 && !replies) {
    // Not a JSON-RPC answer at all: an HTTP-level refusal (bad key, wrong path, ...).
    return error(ErrorCode::kRemoteError,
                 "HTTP " + std::to_string(status) + where + ": " + snippet(response->body));
  }
  if (!replies) return replies.status().with_context("bad response" + where);
  return replies;
}

}  // namespace claimsync::eth
