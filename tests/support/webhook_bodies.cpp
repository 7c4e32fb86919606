#include "tests/support/webhook_bodies.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "rpc/bytes.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/json_decode.hpp"

namespace claimsync::testing {
namespace {

using nlohmann::json;

json topics_json(const FixtureLog& log) {
  json topics = json::array();
  for (const eth::Hash32& t : log.topics) topics.push_back(t.hex());
  return topics;
}

bool is_transfer(const FixtureLog& log) {
  return !log.topics.empty() && (log.topics[0] == eth::transfer_single_topic() ||
                                 log.topics[0] == eth::transfer_batch_topic());
}

// The address in topic `i`, when the log is an ERC-1155 transfer that has it.
std::optional<eth::Address> topic_address(const FixtureLog& log, std::size_t i) {
  if (!is_transfer(log) || log.topics.size() <= i) return std::nullopt;
  auto a = eth::Address::from_word(log.topics[i].bytes());
  if (!a) return std::nullopt;
  return *a;
}

// A 64-hex-digit id unique per (tx, log index), like Insight's entry ids.
std::string entry_id(const FixtureLog& log) {
  char suffix[17];
  std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(log.log_index));
  return log.tx.hex().substr(2, 48) + suffix;
}

json insight_entry(const FixtureLog& log) {
  json event = {{"chain_id", std::to_string(log.chain_id)},
                {"block_number", log.block_number},
                {"block_hash", log.block_hash.hex()},
                {"block_timestamp", 1743104207},
                {"transaction_hash", log.tx.hex()},
                {"transaction_index", log.tx_index},
                {"log_index", log.log_index},
                {"address", log.address.lower_hex()},
                {"data", log.data_hex},
                {"topics", topics_json(log)}};
  return {{"data", event},
          {"status", log.removed ? "reverted" : "new"},
          {"type", "event"},
          {"id", entry_id(log)}};
}

json insight_entries(const std::vector<FixtureLog>& logs) {
  json data = json::array();
  for (const FixtureLog& log : logs) data.push_back(insight_entry(log));
  return data;
}

// eth_getLogs object (QuickNode data, Alchemy activity.log).
json rpc_log(const FixtureLog& log) {
  return {{"address", log.address.lower_hex()},
          {"blockHash", log.block_hash.hex()},
          {"blockNumber", eth::to_quantity(log.block_number)},
          {"data", log.data_hex},
          {"logIndex", eth::to_quantity(log.log_index)},
          {"removed", log.removed},
          {"topics", topics_json(log)},
          {"transactionHash", log.tx.hex()},
          {"transactionIndex", eth::to_quantity(log.tx_index)}};
}

json erc1155_metadata(const FixtureLog& log) {
  json out = json::array();
  eth::LogEntry entry;
  entry.address = log.address;
  entry.topics = log.topics;
  auto data = eth::from_hex(log.data_hex);
  if (!data) return out;
  entry.data = *data;
  auto transfers = eth::decode_transfer_log(entry);
  if (!transfers) return out;
  for (const eth::TokenTransfer& t : *transfers) {
    out.push_back({{"tokenId", t.id.to_quantity()}, {"value", t.value.to_quantity()}});
  }
  return out;
}

json address_or_null(const std::optional<eth::Address>& a) {
  return a ? json(a->lower_hex()) : json(nullptr);
}

}  // namespace

std::string thirdweb_insight_body(const std::vector<FixtureLog>& logs) {
  return json{{"topic", "v1.events"}, {"timestamp", 1743164112}, {"data", insight_entries(logs)}}
      .dump();
}

std::string thirdweb_unified_body(const std::string& id, const std::vector<FixtureLog>& logs) {
  return json{{"id", id},
              {"type", "insight.v1.events"},
              {"triggered_at", "2025-09-01T12:00:00.000Z"},
              {"object", "event"},
              {"data", insight_entries(logs)}}
      .dump();
}

std::string alchemy_graphql_body(const std::string& id, const std::string& network,
                                 const std::vector<FixtureLog>& logs) {
  json gql_logs = json::array();
  for (const FixtureLog& log : logs) {
    gql_logs.push_back({{"data", log.data_hex},
                        {"topics", topics_json(log)},
                        {"index", log.log_index},
                        {"account", {{"address", log.address.lower_hex()}}},
                        {"transaction",
                         {{"hash", log.tx.hex()},
                          {"nonce", 0},
                          {"index", log.tx_index},
                          {"from", {{"address", "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"}}},
                          {"to", {{"address", log.address.lower_hex()}}},
                          {"value", "0x0"},
                          {"gasPrice", "0x3b9aca00"},
                          {"status", 1},
                          {"gasUsed", 52000}}}});
  }
  const FixtureLog first = logs.empty() ? FixtureLog{} : logs.front();
  json block = {{"hash", first.block_hash.hex()},
                {"number", first.block_number},
                {"timestamp", 1706000000},
                {"logs", gql_logs}};
  return json{{"webhookId", "wh_claimsync0000001"},
              {"id", id},
              {"createdAt", "2024-01-23T07:51:07.945953790Z"},
              {"type", "GRAPHQL"},
              {"event",
               {{"data", {{"block", block}}},
                {"sequenceNumber", "10000000000578619000"},
                {"network", network}}}}
      .dump();
}

std::string alchemy_nft_activity_body(const std::string& id, const std::string& network,
                                      const std::vector<FixtureLog>& logs) {
  json activity = json::array();
  for (const FixtureLog& log : logs) {
    activity.push_back({{"fromAddress", address_or_null(topic_address(log, 2))},
                        {"toAddress", address_or_null(topic_address(log, 3))},
                        {"contractAddress", log.address.lower_hex()},
                        {"blockNum", eth::to_quantity(log.block_number)},
                        {"hash", log.tx.hex()},
                        {"erc1155Metadata", erc1155_metadata(log)},
                        {"category", "erc1155"},
                        {"log", rpc_log(log)}});
  }
  return json{{"webhookId", "wh_claimsync0000002"},
              {"id", id},
              {"createdAt", "2024-05-31T21:38:13.912Z"},
              {"type", "NFT_ACTIVITY"},
              {"event", {{"network", network}, {"activity", activity}}}}
      .dump();
}

std::string quicknode_logs_body(const std::string& network, const std::vector<FixtureLog>& logs) {
  json data = json::array();
  std::uint64_t first = 0, last = 0;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    if (i == 0 || logs[i].block_number != logs[i - 1].block_number) data.push_back(json::array());
    data.back().push_back(rpc_log(logs[i]));
    first = i == 0 ? logs[i].block_number : std::min(first, logs[i].block_number);
    last = std::max(last, logs[i].block_number);
  }
  json metadata = {
      {"batch_start_range", first},  {"batch_end_range", last},
      {"blocks_reorged", nullptr},   {"reorgs", nullptr},
      {"dataset", "logs"},           {"end_range", -1},
      {"keep_distance_from_tip", 0}, {"network", network},
      {"start_range", first},        {"stream_id", "f6ad6459-b5ad-4183-b370-1c1388e47e83"},
      {"stream_name", "claimsync"},  {"stream_region", "usa_east"}};
  return json{{"metadata", metadata}, {"data", data}}.dump();
}

std::string standard_claim_hint_body(const std::vector<FixtureLog>& logs) {
  json data = json::array();
  for (const FixtureLog& log : logs) {
    data.push_back({{"chain_id", log.chain_id},
                    {"tx_hash", log.tx.hex()},
                    {"log_index", log.log_index},
                    {"block_number", log.block_number},
                    {"block_hash", log.block_hash.hex()},
                    {"contract", log.address.lower_hex()},
                    {"removed", log.removed}});
  }
  return json{{"type", "claim.hint"}, {"timestamp", "2025-09-01T12:00:00Z"}, {"data", data}}.dump();
}

std::string moralis_body(bool confirmed, const std::vector<FixtureLog>& logs) {
  const bool test = logs.empty();
  const FixtureLog first = test ? FixtureLog{} : logs.front();
  json out_logs = json::array();
  for (const FixtureLog& log : logs) {
    json l = {{"logIndex", std::to_string(log.log_index)},
              {"transactionHash", log.tx.hex()},
              {"address", log.address.lower_hex()},
              {"data", log.data_hex},
              {"triggered_by", json::array({log.address.lower_hex()})}};
    for (std::size_t i = 0; i < 4; ++i) {
      l["topic" + std::to_string(i)] = i < log.topics.size() ? json(log.topics[i].hex()) : json();
    }
    out_logs.push_back(l);
  }
  json block = {{"number", test ? "" : std::to_string(first.block_number)},
                {"hash", test ? "" : first.block_hash.hex()},
                {"timestamp", test ? "" : "1706000000"}};
  return json{{"confirmed", confirmed},
              {"chainId", test ? "" : eth::to_quantity(first.chain_id)},
              {"abi", json::array()},
              {"streamId", test ? "" : "c28d9e2e-ae9d-4fe6-9ddd-5e1b5a8f1a11"},
              {"tag", test ? "" : "claimsync"},
              {"retries", 0},
              {"block", block},
              {"logs", out_logs},
              {"txs", json::array()},
              {"txsInternal", json::array()},
              {"erc20Transfers", json::array()},
              {"erc20Approvals", json::array()},
              {"nftTokenApprovals", json::array()},
              {"nftApprovals", {{"ERC721", json::array()}, {"ERC1155", json::array()}}},
              {"nftTransfers", json::array()},
              {"nativeBalances", json::array()}}
      .dump();
}

node::WebhookHint expected_hint(const std::string& builder, const std::string& network,
                                const FixtureLog& log) {
  node::WebhookHint h;
  h.tx = log.tx;
  h.log_index = log.log_index;
  h.block_number = log.block_number;
  h.block_hash = log.block_hash;
  h.contract = log.address;
  h.removed = log.removed;
  if (builder != "standard_claim_hint_body") {
    if (!log.topics.empty()) h.topic0 = log.topics[0];
    h.from = topic_address(log, 2);
  }
  if (builder.rfind("alchemy", 0) == 0 || builder == "quicknode_logs_body") {
    h.network = network;
  } else {
    h.chain_id = log.chain_id;
  }
  if (builder == "alchemy_graphql_body" || builder == "moralis_body") h.removed = false;
  return h;
}

std::string describe_hint(const node::WebhookHint& h) {
  auto num = [](const std::optional<std::uint64_t>& v) {
    return v ? std::to_string(*v) : std::string("-");
  };
  std::string s =
      "tx=" + h.tx.hex() + " log_index=" + num(h.log_index) + " block=" + num(h.block_number) +
      " block_hash=" + (h.block_hash ? h.block_hash->hex() : "-") + " chain_id=" + num(h.chain_id) +
      " network=" + h.network + " contract=" + (h.contract ? h.contract->lower_hex() : "-") +
      " topic0=" + (h.topic0 ? h.topic0->hex() : "-") +
      " from=" + (h.from ? h.from->lower_hex() : "-") + " removed=" + (h.removed ? "1" : "0");
  return s;
}

std::vector<FixtureLog> fixture_logs_of_receipt(std::uint64_t chain_id,
                                                const nlohmann::json& receipt) {
  auto decoded = eth::decode_receipt(receipt);
  if (!decoded.ok()) throw std::runtime_error("receipt: " + decoded.status().to_string());
  std::vector<FixtureLog> out;
  for (const eth::LogEntry& l : decoded->logs) {
    FixtureLog f;
    f.chain_id = chain_id;
    f.block_number = l.block_number;
    f.block_hash = l.block_hash;
    f.tx = l.tx_hash;
    f.tx_index = l.tx_index;
    f.log_index = l.log_index;
    f.address = l.address;
    f.topics = l.topics;
    f.data_hex = eth::to_hex(l.data);
    f.removed = l.removed;
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace claimsync::testing
