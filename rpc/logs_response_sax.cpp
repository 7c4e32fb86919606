#include "rpc/logs_response_sax.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "rpc/json_decode.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

// The fields decode_log reads, one bit each; kRequired must all be seen exactly once.
enum Field : unsigned {
  kAddress = 1u << 0,
  kTopics = 1u << 1,
  kData = 1u << 2,
  kBlockNumber = 1u << 3,
  kBlockHash = 1u << 4,
  kTxHash = 1u << 5,
  kTxIndex = 1u << 6,
  kLogIndex = 1u << 7,
  kRemoved = 1u << 8,
  kUnknown = 0,
};
constexpr unsigned kRequired =
    kAddress | kTopics | kData | kBlockNumber | kBlockHash | kTxHash | kTxIndex | kLogIndex;

Field field_of(const std::string& key) {
  if (key == "address") return kAddress;
  if (key == "topics") return kTopics;
  if (key == "data") return kData;
  if (key == "blockNumber") return kBlockNumber;
  if (key == "blockHash") return kBlockHash;
  if (key == "transactionHash") return kTxHash;
  if (key == "transactionIndex") return kTxIndex;
  if (key == "logIndex") return kLogIndex;
  if (key == "removed") return kRemoved;
  return kUnknown;
}

// SAX events of one response body. Every handler returns false (abandon the fast path)
// on anything outside the accepted shape; see the header.
class LogsResponseHandler {
 public:
  explicit LogsResponseHandler(std::uint64_t id) : id_(id) {}

  std::optional<std::vector<LogEntry>> take() {
    if (at_ != At::kDone || !saw_id_ || !saw_result_) return std::nullopt;
    return std::move(logs_);
  }

  bool null() {
    if (skipping()) return true;  // inside an ignored field
    if (at_ == At::kEnvelope) return key_ == "jsonrpc";
    // decode_log treats null as absent: fine for `removed`, an error for the others.
    return at_ == At::kLog && (field_ == kUnknown || claim(kRemoved, field_ == kRemoved));
  }
  bool boolean(bool value) {
    if (skipping()) return true;  // inside an ignored field
    if (at_ == At::kEnvelope) return key_ == "jsonrpc";
    if (at_ != At::kLog) return false;
    if (field_ == kUnknown) return true;
    if (field_ != kRemoved || !claim(kRemoved, true)) return false;
    log_.removed = value;
    return true;
  }
  bool number_integer(json::number_integer_t) { return other_scalar(); }
  bool number_float(json::number_float_t, const json::string_t&) { return other_scalar(); }
  bool binary(json::binary_t&) { return false; }  // never produced by the text parser
  bool number_unsigned(json::number_unsigned_t value) {
    if (skipping()) return true;  // inside an ignored field
    if (at_ == At::kEnvelope && key_ == "id") {
      if (saw_id_ || value != id_) return false;
      saw_id_ = true;
      return true;
    }
    return other_scalar();
  }
  bool string(json::string_t& value) {
    if (skipping()) return true;  // inside an ignored field
    switch (at_) {
      case At::kEnvelope: return key_ == "jsonrpc";
      case At::kLog: return log_string(value);
      case At::kTopics: {
        if (log_.topics.size() >= 4) return false;
        auto h = Hash32::parse(value);
        if (!h) return false;
        log_.topics.push_back(*h);
        return true;
      }
      default: return false;
    }
  }
  bool start_object(std::size_t) {
    if (skipping() || (at_ == At::kLog && field_ == kUnknown)) return begin_skip();
    if (at_ == At::kTop) {
      at_ = At::kEnvelope;
      return true;
    }
    if (at_ != At::kResult) return false;
    at_ = At::kLog;
    log_ = LogEntry{};
    seen_ = 0;
    return true;
  }
  bool key(json::string_t& key) {
    if (skipping()) return true;
    if (at_ == At::kEnvelope) {
      key_ = key;
      return key_ == "jsonrpc" || key_ == "id" || key_ == "result";
    }
    field_ = field_of(key);
    return true;
  }
  bool end_object() {
    if (skipping()) return end_skip();
    if (at_ == At::kEnvelope) {
      at_ = At::kDone;
      return true;
    }
    if (at_ != At::kLog || (seen_ & kRequired) != kRequired) return false;
    logs_.push_back(std::move(log_));
    at_ = At::kResult;
    return true;
  }
  bool start_array(std::size_t) {
    if (skipping() || (at_ == At::kLog && field_ == kUnknown)) return begin_skip();
    if (at_ == At::kEnvelope && key_ == "result" && !saw_result_) {
      saw_result_ = true;
      at_ = At::kResult;
      return true;
    }
    if (at_ != At::kLog || field_ != kTopics || !claim(kTopics, true)) return false;
    at_ = At::kTopics;
    return true;
  }
  bool end_array() {
    if (skipping()) return end_skip();
    if (at_ == At::kTopics) {
      at_ = At::kLog;
      return true;
    }
    if (at_ != At::kResult) return false;
    at_ = At::kEnvelope;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  enum class At { kTop, kEnvelope, kResult, kLog, kTopics, kDone };

  // Marks `f` seen; false when it was seen before (a duplicate key) or `ok` is false.
  bool claim(Field f, bool ok) {
    if (!ok || (seen_ & f) != 0) return false;
    seen_ |= f;
    return true;
  }

  bool log_string(const std::string& value) {
    switch (field_) {
      case kUnknown: return true;
      case kAddress: {
        auto a = Address::parse(value);
        return a.ok() && claim(kAddress, true) && (log_.address = *a, true);
      }
      case kData: {
        auto bytes = parse_data(value);
        return bytes && claim(kData, true) && (log_.data = std::move(*bytes), true);
      }
      case kBlockHash:
      case kTxHash: {
        auto h = Hash32::parse(value);
        if (!h || !claim(field_, true)) return false;
        (field_ == kBlockHash ? log_.block_hash : log_.tx_hash) = *h;
        return true;
      }
      case kBlockNumber: {
        auto n = parse_quantity(value);
        return n && claim(kBlockNumber, true) && (log_.block_number = *n, true);
      }
      case kTxIndex:
      case kLogIndex: {
        auto n = parse_quantity(value);
        if (!n || *n > UINT32_MAX || !claim(field_, true)) return false;
        (field_ == kTxIndex ? log_.tx_index : log_.log_index) = static_cast<std::uint32_t>(*n);
        return true;
      }
      default: return false;  // topics or removed as a string
    }
  }

  bool other_scalar() {
    if (skipping()) return true;  // inside an ignored field
    if (at_ == At::kEnvelope) return key_ == "jsonrpc";
    return at_ == At::kLog && field_ == kUnknown;
  }

  // An unknown log field holding an object or array: its contents are skipped.
  bool skipping() const { return skip_depth_ > 0; }
  bool begin_skip() {
    ++skip_depth_;
    return true;
  }
  bool end_skip() {
    --skip_depth_;
    return true;
  }

  const std::uint64_t id_;
  At at_ = At::kTop;
  std::string key_;  // the current envelope key
  Field field_ = kUnknown;
  unsigned seen_ = 0;
  int skip_depth_ = 0;
  bool saw_id_ = false;
  bool saw_result_ = false;
  LogEntry log_;
  std::vector<LogEntry> logs_;
};

}  // namespace

std::optional<std::vector<LogEntry>> decode_logs_response_fast(std::string_view body,
                                                               std::uint64_t id) {
  LogsResponseHandler handler(id);
  if (!json::sax_parse(body, &handler, json::input_format_t::json, /*strict=*/true)) {
    return std::nullopt;
  }
  return handler.take();
}

}  // namespace claimsync::eth
