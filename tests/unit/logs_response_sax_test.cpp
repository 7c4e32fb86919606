// The eth_getLogs fast path (rpc/logs_response_sax.hpp) against the DOM path it stands in
// for: on every body it accepts, the DOM path must accept too and decode the same logs;
// on the bodies a real node sends it must accept (or it is no fast path at all).
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rpc/json_decode.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/logs_response_sax.hpp"
#include "tests/support/logs_response_bodies.hpp"

namespace {

using namespace claimsync;
using namespace claimsync::eth;
using nlohmann::json;

constexpr std::uint64_t kId = 77;

std::string hex_of(std::mt19937_64& rng, std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  for (std::size_t i = 0; i < 2 * bytes; ++i) s += kDigits[rng() % 16];
  return s;
}

// A log object as nodes send it, with the optional extras some nodes add.
json random_log(std::mt19937_64& rng) {
  json topics = json::array();
  const std::size_t n_topics = rng() % 5;
  for (std::size_t t = 0; t < n_topics; ++t) topics.push_back(hex_of(rng, 32));
  json log = {{"address", rng() % 2 ? "0x5FbDB2315678afecb367f032d93F642f64180aa3"
                                    : "0x5fbdb2315678afecb367f032d93f642f64180aa3"},
              {"topics", topics},
              {"data", hex_of(rng, 32 * (rng() % 3))},
              {"blockNumber", to_quantity(rng() % 100'000)},
              {"blockHash", hex_of(rng, 32)},
              {"transactionHash", hex_of(rng, 32)},
              {"transactionIndex", to_quantity(rng() % 50)},
              {"logIndex", rng() % 2 ? to_quantity(rng() % 500) : "0X1F"}};
  switch (rng() % 4) {
    case 0: log["removed"] = false; break;
    case 1: log["removed"] = nullptr; break;
    case 2: break;
    default: log["removed"] = true; break;
  }
  if (rng() % 2) log["blockTimestamp"] = to_quantity(1'700'000'000 + rng() % 1000);
  if (rng() % 4 == 0) log["extra"] = {{"nested", {1, -2, 3.5, nullptr, {{"k", "v"}}}}, {"b", true}};
  return log;
}

std::string random_body(std::mt19937_64& rng, std::size_t logs) {
  json result = json::array();
  for (std::size_t i = 0; i < logs; ++i) result.push_back(random_log(rng));
  return testing::logs_response_body(result, kId);
}

// What the DOM path makes of `body`: the decoded logs, or nullopt where it refuses.
std::optional<std::vector<LogEntry>> dom_decode(const std::string& body) {
  auto replies = parse_rpc_response(body, kId, 1, false);
  if (!replies.ok() || (*replies)[0].error || !(*replies)[0].result.is_array()) return std::nullopt;
  std::vector<LogEntry> out;
  for (const json& item : (*replies)[0].result) {
    auto log = decode_log(item);
    if (!log.ok()) return std::nullopt;
    out.push_back(std::move(*log));
  }
  return out;
}

// The contract: whatever the fast path accepts, the DOM path accepts with equal values.
// Returns whether the fast path accepted.
bool check_subset(const std::string& body) {
  const auto fast = decode_logs_response_fast(body, kId);
  if (!fast) return false;
  const auto dom = dom_decode(body);
  INFO(body.substr(0, 400));
  REQUIRE(dom.has_value());
  REQUIRE(dom->size() == fast->size());
  for (std::size_t i = 0; i < dom->size(); ++i) REQUIRE(testing::same_logs((*dom)[i], (*fast)[i]));
  return true;
}

}  // namespace

TEST_CASE("fast path: node-shaped answers decode exactly as the DOM path", "[rpc][logs]") {
  std::mt19937_64 rng(1);
  for (std::size_t logs : {0, 1, 2, 10, 200}) {
    for (int rep = 0; rep < 20; ++rep) CHECK(check_subset(random_body(rng, logs)));
  }
}

TEST_CASE("fast path: other shapes fall back to the DOM path", "[rpc][logs]") {
  std::mt19937_64 rng(2);
  const json log = random_log(rng);
  auto body = [&](const json& envelope) { return envelope.dump(); };
  // The standard envelope around a result array holding `items`.
  auto logs_body = [&](auto... items) {
    return testing::logs_response_body(json::array({items...}), kId);
  };
  const json ok = {{"jsonrpc", "2.0"}, {"id", kId}, {"result", {log}}};
  REQUIRE(decode_logs_response_fast(body(ok), kId).has_value());
  REQUIRE(logs_body(log) == body(ok));

  std::vector<std::pair<std::string, std::string>> refused = {
      {"error reply",
       body({{"jsonrpc", "2.0"}, {"id", kId}, {"error", {{"code", -32005}, {"message", "x"}}}})},
      {"result and error",
       body({{"jsonrpc", "2.0"}, {"id", kId}, {"result", {log}}, {"error", {{"code", 1}}}})},
      {"another id", body({{"jsonrpc", "2.0"}, {"id", kId + 1}, {"result", {log}}})},
      {"string id", body({{"jsonrpc", "2.0"}, {"id", "77"}, {"result", {log}}})},
      {"null id", body({{"jsonrpc", "2.0"}, {"id", nullptr}, {"result", {log}}})},
      {"no id", body({{"jsonrpc", "2.0"}, {"result", {log}}})},
      {"no result", body({{"jsonrpc", "2.0"}, {"id", kId}})},
      {"null result", body({{"jsonrpc", "2.0"}, {"id", kId}, {"result", nullptr}})},
      {"object result", body({{"jsonrpc", "2.0"}, {"id", kId}, {"result", log}})},
      {"batch", json::array({ok}).dump()},
      {"unknown envelope key",
       body({{"jsonrpc", "2.0"}, {"id", kId}, {"x", 1}, {"result", {log}}})},
      {"duplicate id", R"({"id":77,"id":77,"result":[]})"},
      {"duplicate result", R"({"id":77,"result":[],"result":[]})"},
      {"trailing garbage", body(ok) + "x"},
      {"truncated", body(ok).substr(0, body(ok).size() - 1)},
      {"not JSON", "<html>502</html>"},
  };
  const std::vector<std::string> required = {"address",          "topics",    "data",
                                             "blockNumber",      "blockHash", "transactionHash",
                                             "transactionIndex", "logIndex"};
  for (const std::string& field : required) {
    json missing = log;
    missing.erase(field);
    refused.emplace_back("missing " + field, logs_body(missing));
    for (const json& value : {json(nullptr), json(5), json(true), json::object(), json("0xzz")}) {
      json wrong = log;
      wrong[field] = value;
      refused.emplace_back(field + " = " + value.dump(), logs_body(wrong));
    }
  }
  json five_topics = log;
  five_topics["topics"] = json::array();
  for (int i = 0; i < 5; ++i) five_topics["topics"].push_back(hex_of(rng, 32));
  refused.emplace_back("5 topics", logs_body(five_topics));
  json big_index = log;
  big_index["logIndex"] = "0x100000000";
  refused.emplace_back("logIndex > 2^32", logs_body(big_index));
  json string_removed = log;
  string_removed["removed"] = "false";
  refused.emplace_back("removed as a string", logs_body(string_removed));
  refused.emplace_back("a log that is not an object", logs_body(log, 5));
  std::string dup = body(ok);
  dup.insert(dup.find("\"logIndex\""), R"("logIndex":"0x1",)");
  refused.emplace_back("duplicate logIndex", dup);

  for (const auto& [name, text] : refused) {
    INFO(name << ": " << text.substr(0, 300));
    CHECK_FALSE(decode_logs_response_fast(text, kId).has_value());
  }
}

TEST_CASE("fast path: random corruptions never decode what the DOM path would not", "[rpc][logs]") {
  std::mt19937_64 rng(3);
  static constexpr char kNoise[] = "{}[]\",:0x1aAfF\\ -.en";
  int accepted = 0;
  for (int i = 0; i < 20'000; ++i) {
    std::string body = random_body(rng, 1 + rng() % 3);
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[at] = kNoise[rng() % (sizeof(kNoise) - 1)]; break;
        case 1: body.erase(at, 1 + rng() % 8); break;
        default: body.insert(at, body.substr(rng() % body.size(), 1 + rng() % 12)); break;
      }
    }
    accepted += check_subset(body) ? 1 : 0;
  }
  // Some corruptions leave a valid answer (a changed hex digit): those must decode too.
  CHECK(accepted > 100);
}
