#include "node/webhooks/webhook_payloads.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include "rpc/erc1155.hpp"
#include "rpc/json_decode.hpp"

namespace claimsync::node {
namespace {

using eth::Address;
using eth::Hash32;
using nlohmann::json;

// ---- Field readers: every error names the JSON path of the offending field. ----

Status bad(const std::string& path, const std::string& what) {
  return error(ErrorCode::kInvalidArgument, "webhook payload: " + path + " " + what);
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string index_of(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// obj[key], or nullptr when obj is no object or the member is absent or null (providers
// send null for "not applicable", e.g. QuickNode blocks_reorged, Moralis topic3).
const json* find(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const std::string* find_string(const json& obj, std::string_view key) {
  const json* v = find(obj, key);
  return v != nullptr && v->is_string() ? &v->get_ref<const std::string&>() : nullptr;
}

// A non-negative integer < 2^64: a JSON number, a decimal string ("12") or a hex quantity
// ("0x1a"), since providers send either for the same field.
Result<std::uint64_t> to_u64(const json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) return bad(path, "is negative");
  if (v.is_number_float()) return bad(path, "is not an integer in 0..2^64-1");
  if (!v.is_string()) return bad(path, "is not a number");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return bad(path, "is an empty string");
  if (s[0] == '-') return bad(path, "is negative");
  if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    const std::optional<std::uint64_t> q = eth::parse_quantity(s);
    if (!q) return bad(path, "is not a hex quantity of at most 64 bits: '" + s.substr(0, 40) + "'");
    return *q;
  }
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n, 10);
  if (ec == std::errc::result_out_of_range) return bad(path, "overflows 64 bits");
  if (ec != std::errc() || end != s.data() + s.size()) {
    return bad(path, "is not a decimal or hex number: '" + s.substr(0, 40) + "'");
  }
  return n;
}

Result<Hash32> to_hash(const json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "is not a string");
  auto h = Hash32::parse(v.get_ref<const std::string&>());
  if (!h) return bad(path, "is not a 32-byte hash (0x + 64 hex digits)");
  return *h;
}

// Providers send checksummed or lower-case addresses; a checksum is no proof of anything
// here (the chain decides), so compare case-insensitively.
Result<Address> to_address(const json& v, const std::string& path) {
  if (!v.is_string()) return bad(path, "is not a string");
  std::string s = v.get<std::string>();
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  auto a = Address::parse(s);
  if (!a) return bad(path, "is not a 20-byte address (0x + 40 hex digits)");
  return *a;
}

Status opt_u64(const json& obj, std::string_view key, const std::string& path,
               std::optional<std::uint64_t>* out) {
  const json* v = find(obj, key);
  if (v == nullptr) return {};
  auto n = to_u64(*v, join(path, key));
  if (!n) return n.status();
  *out = *n;
  return {};
}

Status opt_hash(const json& obj, std::string_view key, const std::string& path,
                std::optional<Hash32>* out) {
  const json* v = find(obj, key);
  if (v == nullptr) return {};
  auto h = to_hash(*v, join(path, key));
  if (!h) return h.status();
  *out = *h;
  return {};
}

Status req_hash(const json& obj, std::string_view key, const std::string& path, Hash32* out) {
  std::optional<Hash32> h;
  CLAIMSYNC_RETURN_IF_ERROR(opt_hash(obj, key, path, &h));
  if (!h) return bad(join(path, key), "is missing");
  *out = *h;
  return {};
}

Status opt_address(const json& obj, std::string_view key, const std::string& path,
                   std::optional<Address>* out) {
  const json* v = find(obj, key);
  if (v == nullptr) return {};
  auto a = to_address(*v, join(path, key));
  if (!a) return a.status();
  *out = *a;
  return {};
}

Status opt_bool(const json& obj, std::string_view key, const std::string& path, bool* out) {
  const json* v = find(obj, key);
  if (v == nullptr) return {};
  if (!v->is_boolean()) return bad(join(path, key), "is not a boolean");
  *out = v->get<bool>();
  return {};
}

Result<const json*> req_member(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v == nullptr) return bad(join(path, key), "is missing");
  return v;
}

// obj[key] as an array: nullptr when absent or null, an error when of another type.
Result<const json*> opt_array(const json& obj, std::string_view key, const std::string& path) {
  const json* v = find(obj, key);
  if (v != nullptr && !v->is_array()) return bad(join(path, key), "is not an array");
  return v;
}

Status require_object(const json& v, const std::string& path) {
  if (!v.is_object()) return bad(path.empty() ? "body" : path, "is not a JSON object");
  return {};
}

Result<json> parse_body(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("body", "is not valid JSON");
  return j;
}

// ---- Log fields shared by the providers that send eth_getLogs-like objects. ----

// topic0, and `from` = topic2 of TransferSingle/TransferBatch. A topic2 whose 12 padding
// bytes are not zero is no ABI address: `from` stays unknown and the chain decides.
void apply_topics(const std::vector<Hash32>& topics, WebhookHint* h) {
  if (topics.empty()) return;
  h->topic0 = topics[0];
  const bool transfer =
      topics[0] == eth::transfer_single_topic() || topics[0] == eth::transfer_batch_topic();
  if (!transfer || topics.size() < 3) return;
  auto from = Address::from_word(topics[2].bytes());
  if (from) h->from = *from;
}

Status opt_topics(const json& obj, std::string_view key, const std::string& path, WebhookHint* h) {
  auto arr = opt_array(obj, key, path);
  if (!arr) return arr.status();
  if (*arr == nullptr) return {};
  std::vector<Hash32> topics;
  for (std::size_t i = 0; i < (*arr)->size(); ++i) {
    auto t = to_hash((**arr)[i], index_of(join(path, key), i));
    if (!t) return t.status();
    topics.push_back(*t);
  }
  apply_topics(topics, h);
  return {};
}

struct LogKeys {
  std::string_view tx, log_index, block_number, block_hash, address, topics, removed;
};
constexpr LogKeys kSnakeLog{
    "transaction_hash", "log_index", "block_number", "block_hash", "address", "topics", ""};
constexpr LogKeys kRpcLog{"transactionHash", "logIndex", "blockNumber", "blockHash",
                          "address",         "topics",   "removed"};

// One log object into *h. Fields the object lacks leave *h as it was (a receipt or an
// Alchemy activity may have set them); the tx hash is required when `tx_required`.
Status read_log(const json& obj, const LogKeys& k, const std::string& path, bool tx_required,
                WebhookHint* h) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(obj, path));
  if (tx_required || find(obj, k.tx) != nullptr) {
    CLAIMSYNC_RETURN_IF_ERROR(req_hash(obj, k.tx, path, &h->tx));
  }
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(obj, k.log_index, path, &h->log_index));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(obj, k.block_number, path, &h->block_number));
  CLAIMSYNC_RETURN_IF_ERROR(opt_hash(obj, k.block_hash, path, &h->block_hash));
  CLAIMSYNC_RETURN_IF_ERROR(opt_address(obj, k.address, path, &h->contract));
  CLAIMSYNC_RETURN_IF_ERROR(opt_topics(obj, k.topics, path, h));
  if (!k.removed.empty()) {
    bool removed = false;
    CLAIMSYNC_RETURN_IF_ERROR(opt_bool(obj, k.removed, path, &removed));
    h->removed = h->removed || removed;
  }
  return {};
}

WebhookPayload setup_payload(std::string note) {
  WebhookPayload p;
  p.kind = WebhookPayload::Kind::kSetup;
  p.setup_note = std::move(note);
  return p;
}

// ---- thirdweb ----

// thirdweb does not document the body of its verification POST, only that it carries a
// one-time code: any of these members (at the top level or in `data`) marks it.
std::optional<std::string> thirdweb_verification_code(const json& body) {
  static constexpr std::array<std::string_view, 4> kTopKeys = {"otp", "code", "verification_code",
                                                               "verificationCode"};
  // In `data` a "code" could be an error code of another topic: only the unambiguous names.
  static constexpr std::array<std::string_view, 3> kDataKeys = {"otp", "verification_code",
                                                                "verificationCode"};
  auto code_in = [](const json& obj,
                    std::span<const std::string_view> keys) -> std::optional<std::string> {
    for (std::string_view key : keys) {
      const json* v = find(obj, key);
      if (v != nullptr && v->is_string()) return v->get<std::string>();
      if (v != nullptr && v->is_number()) return v->dump();
    }
    return std::nullopt;
  };
  if (auto code = code_in(body, kTopKeys)) return code;
  const json* data = find(body, "data");
  if (data != nullptr && data->is_object()) return code_in(*data, kDataKeys);
  return std::nullopt;
}

Status read_thirdweb_event(const json& ev, const std::string& path, WebhookHint* h) {
  CLAIMSYNC_RETURN_IF_ERROR(read_log(ev, kSnakeLog, path, /*tx_required=*/true, h));
  return opt_u64(ev, "chain_id", path, &h->chain_id);
}

// A "v1.transactions" entry: the hash is `hash` (Insight's transaction object) or
// `transaction_hash`.
Status read_thirdweb_transaction(const json& tx, const std::string& path, WebhookHint* h) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(tx, path));
  const std::string_view key = find(tx, "hash") != nullptr ? "hash" : "transaction_hash";
  CLAIMSYNC_RETURN_IF_ERROR(req_hash(tx, key, path, &h->tx));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(tx, "chain_id", path, &h->chain_id));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(tx, "block_number", path, &h->block_number));
  return opt_hash(tx, "block_hash", path, &h->block_hash);
}

// One Insight entry {data, status, type, id}; `transactions` = the topic's default type.
Status read_thirdweb_entry(const json& entry, const std::string& path, bool transactions,
                           WebhookPayload* out, std::vector<std::string>* ids) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(entry, path));
  auto inner = req_member(entry, "data", path);
  if (!inner) return inner.status();
  if (const json* type = find(entry, "type")) {
    if (!type->is_string()) return bad(join(path, "type"), "is not a string");
    const std::string& t = type->get_ref<const std::string&>();
    if (t != "event" && t != "transaction") {
      return bad(join(path, "type"), "is '" + t.substr(0, 40) + "', not event or transaction");
    }
    transactions = t == "transaction";
  }
  WebhookHint h;
  if (const json* status = find(entry, "status")) {
    if (!status->is_string()) return bad(join(path, "status"), "is not a string");
    h.removed = status->get_ref<const std::string&>() == "reverted";
  }
  const std::string inner_path = join(path, "data");
  CLAIMSYNC_RETURN_IF_ERROR(transactions ? read_thirdweb_transaction(**inner, inner_path, &h)
                                         : read_thirdweb_event(**inner, inner_path, &h));
  if (const json* id = find(entry, "id")) {
    if (!id->is_string()) return bad(join(path, "id"), "is not a string");
    ids->push_back(id->get<std::string>());
  }
  out->hints.push_back(std::move(h));
  return {};
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (const std::string& id : ids) s += (s.empty() ? "" : ",") + id;
  return s;
}

// {topic, timestamp, data: [entry...]}; also the Insight-shaped relay of Standard senders.
Result<WebhookPayload> parse_insight_entries(const json& body) {
  WebhookPayload out;
  const std::string* topic = find_string(body, "topic");
  auto data = opt_array(body, "data", "");
  if (!data) return data.status();
  if (*data == nullptr) return bad("data", "is missing");
  std::vector<std::string> ids;
  const bool transactions = topic != nullptr && *topic == "v1.transactions";
  for (std::size_t i = 0; i < (*data)->size(); ++i) {
    CLAIMSYNC_RETURN_IF_ERROR(
        read_thirdweb_entry((**data)[i], index_of("data", i), transactions, &out, &ids));
  }
  out.delivery_id = join_ids(ids);
  return out;
}

// One element of the unified envelope's data: an Insight entry {data:{...}}, a bare event
// {transaction_hash, ...}, or an Engine-style object {transactionHash, chainId}. Objects
// carrying none of them are other topics' data (engine.transaction.queued, ...): no hint.
Status read_unified_item(const json& item, const std::string& path, WebhookPayload* out,
                         std::vector<std::string>* ids) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(item, path));
  const json* inner = find(item, "data");
  if (inner != nullptr && inner->is_object()) {
    return read_thirdweb_entry(item, path, /*transactions=*/false, out, ids);
  }
  WebhookHint h;
  if (find(item, "transaction_hash") != nullptr) {
    CLAIMSYNC_RETURN_IF_ERROR(read_thirdweb_event(item, path, &h));
  } else if (find(item, "transactionHash") != nullptr) {
    CLAIMSYNC_RETURN_IF_ERROR(req_hash(item, "transactionHash", path, &h.tx));
    CLAIMSYNC_RETURN_IF_ERROR(opt_u64(item, "chainId", path, &h.chain_id));
  } else {
    return {};
  }
  out->hints.push_back(std::move(h));
  return {};
}

Result<WebhookPayload> parse_thirdweb_unified(const json& body) {
  WebhookPayload out;
  if (const json* id = find(body, "id")) {
    if (!id->is_string()) return bad("id", "is not a string");
    out.delivery_id = id->get<std::string>();
  }
  auto data = req_member(body, "data", "");
  if (!data) return data.status();
  std::vector<std::string> ignored_ids;  // the envelope id is the delivery id
  if ((*data)->is_array()) {
    for (std::size_t i = 0; i < (*data)->size(); ++i) {
      CLAIMSYNC_RETURN_IF_ERROR(
          read_unified_item((**data)[i], index_of("data", i), &out, &ignored_ids));
    }
    return out;
  }
  CLAIMSYNC_RETURN_IF_ERROR(read_unified_item(**data, "data", &out, &ignored_ids));
  return out;
}

// ---- Alchemy ----

Result<WebhookPayload> parse_alchemy_graphql(const json& event, const std::string& network,
                                             WebhookPayload out) {
  auto data = req_member(event, "data", "event");
  if (!data) return data.status();
  auto block = req_member(**data, "block", "event.data");
  if (!block) return block.status();
  const std::string bpath = "event.data.block";
  CLAIMSYNC_RETURN_IF_ERROR(require_object(**block, bpath));
  WebhookHint base;
  base.network = network;
  CLAIMSYNC_RETURN_IF_ERROR(opt_hash(**block, "hash", bpath, &base.block_hash));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(**block, "number", bpath, &base.block_number));
  auto logs = opt_array(**block, "logs", bpath);
  if (!logs) return logs.status();
  if (*logs == nullptr) return out;
  for (std::size_t i = 0; i < (*logs)->size(); ++i) {
    const json& log = (**logs)[i];
    const std::string path = index_of(join(bpath, "logs"), i);
    CLAIMSYNC_RETURN_IF_ERROR(require_object(log, path));
    WebhookHint h = base;
    auto tx = req_member(log, "transaction", path);
    if (!tx) return tx.status();
    CLAIMSYNC_RETURN_IF_ERROR(req_hash(**tx, "hash", join(path, "transaction"), &h.tx));
    CLAIMSYNC_RETURN_IF_ERROR(opt_u64(log, "index", path, &h.log_index));
    CLAIMSYNC_RETURN_IF_ERROR(opt_topics(log, "topics", path, &h));
    if (const json* account = find(log, "account")) {
      CLAIMSYNC_RETURN_IF_ERROR(
          opt_address(*account, "address", join(path, "account"), &h.contract));
    }
    out.hints.push_back(std::move(h));
  }
  return out;
}

// NFT_ACTIVITY and ADDRESS_ACTIVITY entries. `log` (when present) gives the raw log; the
// entry's own fields win where both speak. fromAddress is the token sender for NFT
// activity only (for address activity it may be an ETH sender).
Status read_alchemy_activity(const json& act, const std::string& path, bool nft, WebhookHint* h) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(act, path));
  bool tx_from_log = false;
  if (const json* log = find(act, "log")) {
    CLAIMSYNC_RETURN_IF_ERROR(read_log(*log, kRpcLog, join(path, "log"), false, h));
    tx_from_log = find(*log, "transactionHash") != nullptr;
  }
  if (find(act, "hash") != nullptr || !tx_from_log) {
    CLAIMSYNC_RETURN_IF_ERROR(req_hash(act, "hash", path, &h->tx));
  }
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(act, "blockNum", path, &h->block_number));
  CLAIMSYNC_RETURN_IF_ERROR(opt_address(act, "contractAddress", path, &h->contract));
  if (nft) CLAIMSYNC_RETURN_IF_ERROR(opt_address(act, "fromAddress", path, &h->from));
  return {};
}

Result<WebhookPayload> parse_alchemy_activity(const json& event, const std::string& network,
                                              bool nft, WebhookPayload out) {
  auto activity = opt_array(event, "activity", "event");
  if (!activity) return activity.status();
  if (*activity == nullptr) return bad("event.activity", "is missing");
  for (std::size_t i = 0; i < (*activity)->size(); ++i) {
    WebhookHint h;
    h.network = network;
    CLAIMSYNC_RETURN_IF_ERROR(
        read_alchemy_activity((**activity)[i], index_of("event.activity", i), nft, &h));
    out.hints.push_back(std::move(h));
  }
  return out;
}

// ---- QuickNode ----

struct QuickNodeBatch {
  std::string network;
  std::set<std::uint64_t> reorged;  // metadata.blocks_reorged
};

void add_quicknode_hint(const QuickNodeBatch& batch, WebhookHint h, WebhookPayload* out) {
  h.network = batch.network;
  if (h.block_number && batch.reorged.count(*h.block_number) != 0) h.removed = true;
  out->hints.push_back(std::move(h));
}

// A receipt {transactionHash, blockHash, blockNumber, logs[]}: one hint per log, the
// receipt's fields as defaults. REQUIRES: r is an object whose `logs` is an array.
Status read_quicknode_receipt(const json& r, const std::string& path, const QuickNodeBatch& batch,
                              WebhookPayload* out) {
  WebhookHint base;
  CLAIMSYNC_RETURN_IF_ERROR(req_hash(r, "transactionHash", path, &base.tx));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(r, "blockNumber", path, &base.block_number));
  CLAIMSYNC_RETURN_IF_ERROR(opt_hash(r, "blockHash", path, &base.block_hash));
  const json& logs = *find(r, "logs");
  for (std::size_t i = 0; i < logs.size(); ++i) {
    WebhookHint h = base;
    CLAIMSYNC_RETURN_IF_ERROR(
        read_log(logs[i], kRpcLog, index_of(join(path, "logs"), i), false, &h));
    add_quicknode_hint(batch, std::move(h), out);
  }
  return {};
}

// An element of `data`: a log, a receipt, a block_with_receipts object {block, receipts},
// or (depth 0 only) a per-block array of those.
Status read_quicknode_item(const json& item, const std::string& path, const QuickNodeBatch& batch,
                           int depth, WebhookPayload* out) {
  if (item.is_array() && depth == 0) {
    for (std::size_t i = 0; i < item.size(); ++i) {
      CLAIMSYNC_RETURN_IF_ERROR(read_quicknode_item(item[i], index_of(path, i), batch, 1, out));
    }
    return {};
  }
  CLAIMSYNC_RETURN_IF_ERROR(require_object(item, path));
  auto receipts = opt_array(item, "receipts", path);
  if (!receipts) return receipts.status();
  if (*receipts != nullptr) {
    for (std::size_t i = 0; i < (*receipts)->size(); ++i) {
      const std::string rpath = index_of(join(path, "receipts"), i);
      CLAIMSYNC_RETURN_IF_ERROR(require_object((**receipts)[i], rpath));
      auto logs = opt_array((**receipts)[i], "logs", rpath);
      if (!logs) return logs.status();
      if (*logs == nullptr) return bad(join(rpath, "logs"), "is missing");
      CLAIMSYNC_RETURN_IF_ERROR(read_quicknode_receipt((**receipts)[i], rpath, batch, out));
    }
    return {};
  }
  auto logs = opt_array(item, "logs", path);
  if (!logs) return logs.status();
  if (*logs != nullptr) return read_quicknode_receipt(item, path, batch, out);
  WebhookHint h;
  CLAIMSYNC_RETURN_IF_ERROR(read_log(item, kRpcLog, path, /*tx_required=*/true, &h));
  add_quicknode_hint(batch, std::move(h), out);
  return {};
}

// `data`: an array of items (read_quicknode_item).
Status read_quicknode_data(const json& data, const QuickNodeBatch& batch, WebhookPayload* out) {
  if (!data.is_array()) return bad("data", "is not an array");
  for (std::size_t i = 0; i < data.size(); ++i) {
    CLAIMSYNC_RETURN_IF_ERROR(read_quicknode_item(data[i], index_of("data", i), batch, 0, out));
  }
  return {};
}

Result<QuickNodeBatch> read_quicknode_metadata(const json& body) {
  QuickNodeBatch batch;
  const json* meta = find(body, "metadata");
  if (meta == nullptr) return batch;
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*meta, "metadata"));
  if (const json* network = find(*meta, "network")) {
    if (!network->is_string()) return bad("metadata.network", "is not a string");
    batch.network = network->get<std::string>();
  }
  auto reorged = opt_array(*meta, "blocks_reorged", "metadata");
  if (!reorged) return reorged.status();
  if (*reorged != nullptr) {
    for (std::size_t i = 0; i < (*reorged)->size(); ++i) {
      auto n = to_u64((**reorged)[i], index_of("metadata.blocks_reorged", i));
      if (!n) return n.status();
      batch.reorged.insert(*n);
    }
  }
  return batch;
}

// ---- Standard ----

Status read_claim_hint(const json& obj, const std::string& path, WebhookHint* h) {
  CLAIMSYNC_RETURN_IF_ERROR(require_object(obj, path));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(obj, "chain_id", path, &h->chain_id));
  if (!h->chain_id) return bad(join(path, "chain_id"), "is missing");
  CLAIMSYNC_RETURN_IF_ERROR(req_hash(obj, "tx_hash", path, &h->tx));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(obj, "log_index", path, &h->log_index));
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(obj, "block_number", path, &h->block_number));
  CLAIMSYNC_RETURN_IF_ERROR(opt_hash(obj, "block_hash", path, &h->block_hash));
  CLAIMSYNC_RETURN_IF_ERROR(opt_address(obj, "contract", path, &h->contract));
  return opt_bool(obj, "removed", path, &h->removed);
}

// ---- Moralis ----

// topic0..topic3 as separate members; the list ends at the first absent/null one.
Status read_moralis_topics(const json& log, const std::string& path, WebhookHint* h) {
  static constexpr std::array<std::string_view, 4> kKeys = {"topic0", "topic1", "topic2", "topic3"};
  std::vector<Hash32> topics;
  for (std::string_view key : kKeys) {
    std::optional<Hash32> t;
    CLAIMSYNC_RETURN_IF_ERROR(opt_hash(log, key, path, &t));
    if (!t) break;
    topics.push_back(*t);
  }
  apply_topics(topics, h);
  return {};
}

bool moralis_is_test(const json& body) {
  auto empty_array = [&](std::string_view key) {
    const json* v = find(body, key);
    return v == nullptr || (v->is_array() && v->empty());
  };
  const json* block = find(body, "block");
  const json* number = block != nullptr ? find(*block, "number") : nullptr;
  const bool no_block =
      number == nullptr || (number->is_string() && number->get_ref<const std::string&>().empty());
  return body.empty() || (empty_array("logs") && empty_array("txs") && no_block);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c == '_') c = '-';
  }
  return out;
}

}  // namespace

Result<WebhookPayload> parse_thirdweb_webhook(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.status();
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*j, ""));
  if (auto code = thirdweb_verification_code(*j)) {
    return setup_payload("thirdweb verification code " + code->substr(0, 64) +
                         ": confirm within 15 min with POST /v1/webhooks/{id}/verify");
  }
  if (const json* topic = find(*j, "topic")) {
    if (!topic->is_string()) return bad("topic", "is not a string");
    const std::string& t = topic->get_ref<const std::string&>();
    if (t.rfind("test", 0) == 0) return setup_payload("thirdweb test delivery (topic " + t + ")");
    return parse_insight_entries(*j);
  }
  if (find(*j, "type") != nullptr && find(*j, "data") != nullptr) return parse_thirdweb_unified(*j);
  return bad("topic", "is missing (neither an Insight delivery nor a thirdweb Webhooks envelope)");
}

Result<WebhookPayload> parse_alchemy_webhook(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.status();
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*j, ""));
  WebhookPayload out;
  if (const json* id = find(*j, "id")) {
    if (!id->is_string()) return bad("id", "is not a string");
    out.delivery_id = id->get<std::string>();
  }
  const std::string* type = find_string(*j, "type");
  if (type == nullptr) return bad("type", "is missing or not a string");
  auto event = req_member(*j, "event", "");
  if (!event) return event.status();
  CLAIMSYNC_RETURN_IF_ERROR(require_object(**event, "event"));
  if (const json* err = find(**event, "error")) {
    // A provider-side notice (e.g. capacity): no chain data, nothing to reject.
    out.setup_note = "alchemy event.error: " +
                     (err->is_string() ? err->get<std::string>() : err->dump()).substr(0, 200);
    return out;
  }
  std::string network;
  if (const json* n = find(**event, "network")) {
    if (!n->is_string()) return bad("event.network", "is not a string");
    network = n->get<std::string>();
  }
  if (*type == "GRAPHQL") return parse_alchemy_graphql(**event, network, std::move(out));
  if (*type == "NFT_ACTIVITY")
    return parse_alchemy_activity(**event, network, true, std::move(out));
  if (*type == "ADDRESS_ACTIVITY") {
    return parse_alchemy_activity(**event, network, false, std::move(out));
  }
  return bad("type",
             "is '" + type->substr(0, 40) + "', not GRAPHQL, NFT_ACTIVITY or ADDRESS_ACTIVITY");
}

Result<WebhookPayload> parse_quicknode_webhook(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.status();
  WebhookPayload out;
  if (j->is_array()) {  // include_stream_metadata "header"/"none": the body is the data
    CLAIMSYNC_RETURN_IF_ERROR(read_quicknode_data(*j, QuickNodeBatch{}, &out));
    return out;
  }
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*j, ""));
  auto batch = read_quicknode_metadata(*j);
  if (!batch) return batch.status();
  auto data = opt_array(*j, "data", "");
  if (!data) return data.status();
  if (*data == nullptr) {
    if (j->contains("data")) return out;  // null: the filter matched nothing in the batch
    return bad("data", "is missing");
  }
  CLAIMSYNC_RETURN_IF_ERROR(read_quicknode_data(**data, *batch, &out));
  return out;
}

Result<WebhookPayload> parse_standard_webhook(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.status();
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*j, ""));
  const json* type = find(*j, "type");
  if (type != nullptr && !type->is_string()) return bad("type", "is not a string");
  const std::string t = type != nullptr ? type->get<std::string>() : "";
  if (t == "webhook.test" || t == "ping") return setup_payload("standard webhook " + t);
  if (t != "claim.hint") {
    const json* data = find(*j, "data");
    if (data != nullptr && data->is_array()) return parse_insight_entries(*j);
    return bad("type", t.empty() ? "is missing" : "is '" + t.substr(0, 40) + "', not claim.hint");
  }
  WebhookPayload out;
  if (const std::string* id = find_string(*j, "id")) out.delivery_id = *id;
  auto data = req_member(*j, "data", "");
  if (!data) return data.status();
  if (!(*data)->is_array()) {
    WebhookHint h;
    CLAIMSYNC_RETURN_IF_ERROR(read_claim_hint(**data, "data", &h));
    out.hints.push_back(std::move(h));
    return out;
  }
  for (std::size_t i = 0; i < (*data)->size(); ++i) {
    WebhookHint h;
    CLAIMSYNC_RETURN_IF_ERROR(read_claim_hint((**data)[i], index_of("data", i), &h));
    out.hints.push_back(std::move(h));
  }
  return out;
}

Result<WebhookPayload> parse_moralis_webhook(std::string_view body) {
  auto j = parse_body(body);
  if (!j) return j.status();
  CLAIMSYNC_RETURN_IF_ERROR(require_object(*j, ""));
  if (moralis_is_test(*j)) return setup_payload("moralis stream test webhook");
  WebhookPayload out;
  WebhookHint base;
  CLAIMSYNC_RETURN_IF_ERROR(opt_u64(*j, "chainId", "", &base.chain_id));
  if (const json* block = find(*j, "block")) {
    CLAIMSYNC_RETURN_IF_ERROR(require_object(*block, "block"));
    CLAIMSYNC_RETURN_IF_ERROR(opt_u64(*block, "number", "block", &base.block_number));
    CLAIMSYNC_RETURN_IF_ERROR(opt_hash(*block, "hash", "block", &base.block_hash));
  }
  auto logs = opt_array(*j, "logs", "");
  if (!logs) return logs.status();
  std::set<Hash32> logged;
  for (std::size_t i = 0; *logs != nullptr && i < (*logs)->size(); ++i) {
    const json& log = (**logs)[i];
    const std::string path = index_of("logs", i);
    WebhookHint h = base;
    CLAIMSYNC_RETURN_IF_ERROR(require_object(log, path));
    CLAIMSYNC_RETURN_IF_ERROR(req_hash(log, "transactionHash", path, &h.tx));
    CLAIMSYNC_RETURN_IF_ERROR(opt_u64(log, "logIndex", path, &h.log_index));
    CLAIMSYNC_RETURN_IF_ERROR(opt_address(log, "address", path, &h.contract));
    CLAIMSYNC_RETURN_IF_ERROR(read_moralis_topics(log, path, &h));
    logged.insert(h.tx);
    out.hints.push_back(std::move(h));
  }
  // Native transactions without a log in this body (a wallet stream): tx-only hints.
  auto txs = opt_array(*j, "txs", "");
  if (!txs) return txs.status();
  for (std::size_t i = 0; *txs != nullptr && i < (*txs)->size(); ++i) {
    WebhookHint h = base;
    CLAIMSYNC_RETURN_IF_ERROR(require_object((**txs)[i], index_of("txs", i)));
    CLAIMSYNC_RETURN_IF_ERROR(req_hash((**txs)[i], "hash", index_of("txs", i), &h.tx));
    if (logged.insert(h.tx).second) out.hints.push_back(std::move(h));
  }
  return out;
}

Result<WebhookPayload> parse_webhook_payload(std::string_view provider, std::string_view body) {
  if (provider == "thirdweb") return parse_thirdweb_webhook(body);
  if (provider == "alchemy") return parse_alchemy_webhook(body);
  if (provider == "quicknode") return parse_quicknode_webhook(body);
  if (provider == "standard") return parse_standard_webhook(body);
  if (provider == "moralis") return parse_moralis_webhook(body);
  return error(ErrorCode::kNotFound,
               "webhook payload: unknown provider '" + std::string(provider.substr(0, 40)) + "'");
}

std::optional<std::uint64_t> chain_id_of_network(std::string_view network) {
  // Alchemy names (ETH_MAINNET) are compared as lower-case with '-' for '_' (eth-mainnet);
  // QuickNode names (ethereum-mainnet) are already that shape. Sources: Alchemy Notify
  // network enum, QuickNode Streams REST create-stream `network` enum.
  struct Entry {
    std::string_view name;
    std::uint64_t chain_id;
  };
  static constexpr std::array<Entry, 44> kTable = {{
      {"eth-mainnet", 1},
      {"ethereum-mainnet", 1},
      {"eth-sepolia", 11155111},
      {"ethereum-sepolia", 11155111},
      {"eth-holesky", 17000},
      {"ethereum-holesky", 17000},
      {"arb-mainnet", 42161},
      {"arbitrum-mainnet", 42161},
      {"arb-sepolia", 421614},
      {"arbitrum-sepolia", 421614},
      {"arbnova-mainnet", 42170},
      {"arbitrum-nova", 42170},
      {"nova-mainnet", 42170},
      {"opt-mainnet", 10},
      {"optimism-mainnet", 10},
      {"opt-sepolia", 11155420},
      {"optimism-sepolia", 11155420},
      {"matic-mainnet", 137},
      {"polygon-mainnet", 137},
      {"matic-amoy", 80002},
      {"polygon-amoy", 80002},
      {"base-mainnet", 8453},
      {"base-sepolia", 84532},
      {"bnb-mainnet", 56},
      {"bnbchain-mainnet", 56},
      {"bnb-testnet", 97},
      {"bnbchain-testnet", 97},
      {"zksync-mainnet", 324},
      {"zksync-sepolia", 300},
      {"avax-mainnet", 43114},
      {"avalanche-mainnet", 43114},
      {"avax-fuji", 43113},
      {"avalanche-fuji", 43113},
      {"linea-mainnet", 59144},
      {"scroll-mainnet", 534352},
      {"blast-mainnet", 81457},
      {"blast-sepolia", 168587773},
      {"zora-mainnet", 7777777},
      {"gnosis-mainnet", 100},
      {"celo-mainnet", 42220},
      {"mantle-mainnet", 5000},
      {"fantom-mainnet", 250},
      {"mode-mainnet", 34443},
      {"fraxtal-mainnet", 252},
  }};
  const std::string key = lower_ascii(network);
  for (const Entry& e : kTable) {
    if (e.name == key) return e.chain_id;
  }
  return std::nullopt;
}

HintVerdict filter_webhook_hint(const HintFilter& filter, const WebhookHint& hint) {
  if (hint.chain_id) {
    if (*hint.chain_id != filter.chain_id) return HintVerdict::kOtherChain;
  } else if (!hint.network.empty()) {
    const std::string key = lower_ascii(hint.network);
    const bool configured =
        std::any_of(filter.networks.begin(), filter.networks.end(),
                    [&](const std::string& n) { return lower_ascii(n) == key; });
    const std::optional<std::uint64_t> id = chain_id_of_network(hint.network);
    if (!configured && (!id || *id != filter.chain_id)) return HintVerdict::kOtherChain;
  }
  if (hint.contract && *hint.contract != filter.contract) return HintVerdict::kOtherContract;
  if (hint.topic0 && *hint.topic0 != eth::transfer_single_topic() &&
      *hint.topic0 != eth::transfer_batch_topic()) {
    return HintVerdict::kNotAMint;
  }
  if (hint.from && !hint.from->is_zero()) return HintVerdict::kNotAMint;
  return HintVerdict::kUse;
}

}  // namespace claimsync::node
