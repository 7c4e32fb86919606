#include "tests/support/logs_response_bodies.hpp"

#include "rpc/bytes.hpp"
#include "rpc/json_decode.hpp"

namespace claimsync::testing {

using nlohmann::json;

json log_json(const eth::LogEntry& log) {
  json topics = json::array();
  for (const eth::Hash32& t : log.topics) topics.push_back(t.hex());
  return {{"address", log.address.lower_hex()},
          {"topics", topics},
          {"data", eth::to_hex(log.data)},
          {"blockNumber", eth::to_quantity(log.block_number)},
          {"blockHash", log.block_hash.hex()},
          {"transactionHash", log.tx_hash.hex()},
          {"transactionIndex", eth::to_quantity(log.tx_index)},
          {"logIndex", eth::to_quantity(log.log_index)},
          {"removed", log.removed}};
}

std::string logs_response_body(const json& result, std::uint64_t id) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
}

std::string logs_response_body(const std::vector<eth::LogEntry>& logs, std::uint64_t id) {
  json result = json::array();
  for (const eth::LogEntry& l : logs) result.push_back(log_json(l));
  return logs_response_body(result, id);
}

bool same_logs(const eth::LogEntry& a, const eth::LogEntry& b) {
  return a.address == b.address && a.topics == b.topics && a.data == b.data &&
         a.block_number == b.block_number && a.block_hash == b.block_hash &&
         a.tx_hash == b.tx_hash && a.tx_index == b.tx_index && a.log_index == b.log_index &&
         a.removed == b.removed;
}

bool same_logs(const std::vector<eth::LogEntry>& a, const std::vector<eth::LogEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_logs(a[i], b[i])) return false;
  return true;
}

}  // namespace claimsync::testing
