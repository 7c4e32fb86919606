#include "rpc/json_decode.hpp"

#include <charconv>

#include "rpc/bytes.hpp"

namespace claimsync::eth {
namespace {

using nlohmann::json;

Status bad(std::string_view field, std::string_view what) {
  return {ErrorCode::kBadResponse, "field '" + std::string(field) + "' " + std::string(what)};
}

Result<const json*> field_of(const json& obj, std::string_view field) {
  if (!obj.is_object()) return bad(field, "in a value that is not an object");
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return bad(field, "is missing");
  return &*it;
}

// A view of the string in `obj` (no copy: a getLogs answer holds ~10 strings per log).
Result<std::string_view> string_field(const json& obj, std::string_view field) {
  auto v = field_of(obj, field);
  if (!v) return v.status();
  if (!(*v)->is_string()) return bad(field, "is not a string");
  return std::string_view((*v)->get_ref<const std::string&>());
}

Result<Address> decode_address_field(const json& obj, std::string_view field) {
  auto s = string_field(obj, field);
  if (!s) return s.status();
  auto a = Address::parse(*s);
  if (!a) return bad(field, "is not an address: " + a.status().message());
  return *a;
}

}  // namespace

std::string to_quantity(std::uint64_t v) {
  char buf[24] = {'0', 'x'};
  auto [end, ec] = std::to_chars(buf + 2, buf + sizeof(buf), v, 16);
  (void)ec;  // 16 hex digits always fit
  return std::string(buf, end);
}

std::optional<std::uint64_t> parse_quantity(std::string_view text) {
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), v, 16);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<Bytes> parse_data(std::string_view text) {
  if (text.substr(0, 2) != "0x") return std::nullopt;
  auto bytes = from_hex(text);
  if (!bytes) return std::nullopt;
  return std::move(*bytes);
}

Result<std::uint64_t> decode_quantity_field(const json& obj, std::string_view field) {
  auto s = string_field(obj, field);
  if (!s) return s.status();
  const std::optional<std::uint64_t> v = parse_quantity(*s);
  if (!v) return bad(field, "is not a hex quantity: '" + std::string(s->substr(0, 40)) + "'");
  return *v;
}

Result<Hash32> decode_hash_field(const json& obj, std::string_view field) {
  auto s = string_field(obj, field);
  if (!s) return s.status();
  auto h = Hash32::parse(*s);
  if (!h) return bad(field, "is not a 32-byte hash");
  return *h;
}

Result<LogEntry> decode_log(const json& obj) {
  LogEntry log;
  auto address = decode_address_field(obj, "address");
  if (!address) return address.status();
  log.address = *address;
  auto topics = field_of(obj, "topics");
  if (!topics) return topics.status();
  if (!(*topics)->is_array() || (*topics)->size() > 4)
    return bad("topics", "is not an array of at most 4 hashes");
  log.topics.reserve((*topics)->size());
  for (const json& t : **topics) {
    if (!t.is_string()) return bad("topics", "holds a non-string");
    auto h = Hash32::parse(t.get_ref<const std::string&>());
    if (!h) return bad("topics", "holds a value that is not a 32-byte hash");
    log.topics.push_back(*h);
  }
  auto data = string_field(obj, "data");
  if (!data) return data.status();
  auto bytes = parse_data(*data);
  if (!bytes) return bad("data", "is not 0x-prefixed hex");
  log.data = std::move(*bytes);
  auto block = decode_quantity_field(obj, "blockNumber");
  if (!block) return block.status();
  log.block_number = *block;
  auto block_hash = decode_hash_field(obj, "blockHash");
  if (!block_hash) return block_hash.status();
  log.block_hash = *block_hash;
  auto tx = decode_hash_field(obj, "transactionHash");
  if (!tx) return tx.status();
  log.tx_hash = *tx;
  auto tx_index = decode_quantity_field(obj, "transactionIndex");
  if (!tx_index) return tx_index.status();
  auto log_index = decode_quantity_field(obj, "logIndex");
  if (!log_index) return log_index.status();
  if (*tx_index > UINT32_MAX || *log_index > UINT32_MAX) return bad("logIndex", "is out of range");
  log.tx_index = static_cast<std::uint32_t>(*tx_index);
  log.log_index = static_cast<std::uint32_t>(*log_index);
  auto removed = obj.find("removed");
  if (removed != obj.end() && !removed->is_null()) {
    if (!removed->is_boolean()) return bad("removed", "is not a boolean");
    log.removed = removed->get<bool>();
  }
  return log;
}

Result<BlockHeader> decode_header(const json& obj) {
  BlockHeader h;
  auto number = decode_quantity_field(obj, "number");
  if (!number) return number.status();
  h.number = *number;
  auto hash = decode_hash_field(obj, "hash");
  if (!hash) return hash.status();
  h.hash = *hash;
  auto parent = decode_hash_field(obj, "parentHash");
  if (!parent) return parent.status();
  h.parent_hash = *parent;
  auto ts = decode_quantity_field(obj, "timestamp");
  if (!ts) return ts.status();
  h.timestamp = *ts;
  if (h.hash.is_zero()) return bad("hash", "is zero");
  return h;
}

Result<Receipt> decode_receipt(const json& obj) {
  Receipt r;
  auto tx = decode_hash_field(obj, "transactionHash");
  if (!tx) return tx.status();
  r.tx_hash = *tx;
  auto block_hash = decode_hash_field(obj, "blockHash");
  if (!block_hash) return block_hash.status();
  r.block_hash = *block_hash;
  auto block = decode_quantity_field(obj, "blockNumber");
  if (!block) return block.status();
  r.block_number = *block;
  auto status = decode_quantity_field(obj, "status");
  if (!status) return status.status();
  if (*status > 1) return bad("status", "is neither 0x0 nor 0x1");
  r.success = *status == 1;
  auto logs = field_of(obj, "logs");
  if (!logs) return logs.status();
  if (!(*logs)->is_array()) return bad("logs", "is not an array");
  for (const json& item : **logs) {
    auto log = decode_log(item);
    if (!log) return log.status().with_context("receipt log");
    if (log->tx_hash != r.tx_hash || log->block_hash != r.block_hash ||
        log->block_number != r.block_number) {
      return bad("logs", "holds a log of another transaction or block");
    }
    r.logs.push_back(std::move(*log));
  }
  return r;
}

std::string block_ref_param(const BlockRef& ref) {
  if (const auto* n = std::get_if<std::uint64_t>(&ref)) return to_quantity(*n);
  switch (std::get<BlockTag>(ref)) {
    case BlockTag::kLatest: return "latest";
    case BlockTag::kSafe: return "safe";
    case BlockTag::kFinalized: return "finalized";
  }
  return "latest";
}

}  // namespace claimsync::eth
