#include "tests/support/guarantee_truth.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

namespace claimsync::testing {
namespace {

using nlohmann::json;

// keccak256 of the event signatures, written out (not computed by the node's keccak).
const std::string kTransferSingle =
    "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62";
const std::string kTransferBatch =
    "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb";
const std::string kZeroAddress = "0x0000000000000000000000000000000000000000";
const std::string kBalanceOfBatch = "4e1273f4";  // balanceOfBatch(address[],uint256[])
constexpr std::size_t kBatchCalls = 100;
constexpr std::size_t kBalancePairsPerCall = 200;

// A log the sweep cannot explain: recorded as the truth's inconsistency.
struct BadLog : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string hex_body(const json& v) {  // "0xABCD" -> "abcd"
  const std::string s = lower(v.get<std::string>());
  if (s.rfind("0x", 0) != 0) throw BadLog("not hex: " + s);
  return s.substr(2);
}

// 32-byte word `index` of hex data, as a 64-bit number (the test load never needs more).
std::uint64_t word_u64(const std::string& data, std::size_t index) {
  if (data.size() < (index + 1) * 64)
    throw BadLog("data too short for word " + std::to_string(index));
  const std::string word = data.substr(index * 64, 64);
  if (word.find_first_not_of('0') < 48) throw BadLog("word exceeds 64 bits: " + word);
  return std::stoull(word.substr(48), nullptr, 16);
}

std::string topic_address(const json& topic) {
  const std::string t = hex_body(topic);
  if (t.size() != 64 || t.substr(0, 24) != std::string(24, '0'))
    throw BadLog("bad address topic " + t);
  return "0x" + t.substr(24);
}

std::string pad_word(const std::string& hex_digits) {
  return std::string(64 - hex_digits.size(), '0') + hex_digits;
}

std::string word_of(std::uint64_t v) { return pad_word(u64_to_quantity(v).substr(2)); }

struct Movement {
  std::string from, to;
  std::uint64_t id = 0, amount = 0;
  std::uint32_t batch_index = 0;
};

// The movements of one TransferSingle / TransferBatch log.
std::vector<Movement> decode(const json& log) {
  const auto& topics = log.at("topics");
  if (topics.size() != 4) throw BadLog("expected 4 topics: " + log.dump());
  const std::string sig = lower(topics[0].get<std::string>());
  const std::string from = topic_address(topics[2]);
  const std::string to = topic_address(topics[3]);
  const std::string data = hex_body(log.at("data"));
  if (sig == kTransferSingle) {
    if (data.size() != 128) throw BadLog("TransferSingle data size: " + log.dump());
    return {Movement{from, to, word_u64(data, 0), word_u64(data, 1), 0}};
  }
  if (sig != kTransferBatch) throw BadLog("unexpected topic: " + log.dump());
  const std::uint64_t ids_at = word_u64(data, 0) / 32;
  const std::uint64_t values_at = word_u64(data, 1) / 32;
  const std::uint64_t n = word_u64(data, ids_at);
  if (word_u64(data, values_at) != n) throw BadLog("ids/values length differ: " + log.dump());
  std::vector<Movement> out;
  for (std::uint64_t i = 0; i < n; ++i) {
    out.push_back(Movement{from, to, word_u64(data, ids_at + 1 + i),
                           word_u64(data, values_at + 1 + i), static_cast<std::uint32_t>(i)});
  }
  return out;
}

std::vector<json> fetch_logs(RawRpc& rpc, const TruthQuery& q) {
  std::vector<json> logs;
  for (std::uint64_t from = q.from_block; from <= q.to_block; from += q.span) {
    const std::uint64_t to = std::min(q.to_block, from + q.span - 1);
    json filter = {{"address", q.contract},
                   {"fromBlock", u64_to_quantity(from)},
                   {"toBlock", u64_to_quantity(to)},
                   {"topics", json::array({json::array({kTransferSingle, kTransferBatch})})}};
    for (auto& log : rpc.call("eth_getLogs", json::array({filter}))) logs.push_back(std::move(log));
  }
  return logs;
}

// Canonical header (hash, timestamp) of every block number in `numbers`.
std::map<std::uint64_t, std::pair<std::string, std::uint64_t>> fetch_headers(
    RawRpc& rpc, const std::set<std::uint64_t>& numbers) {
  std::map<std::uint64_t, std::pair<std::string, std::uint64_t>> out;
  std::vector<std::uint64_t> all(numbers.begin(), numbers.end());
  for (std::size_t i = 0; i < all.size(); i += kBatchCalls) {
    std::vector<RawRpc::Call> calls;
    for (std::size_t j = i; j < std::min(all.size(), i + kBatchCalls); ++j) {
      calls.push_back({"eth_getBlockByNumber", json::array({u64_to_quantity(all[j]), false})});
    }
    auto blocks = rpc.batch(calls);
    for (std::size_t j = 0; j < blocks.size(); ++j) {
      if (blocks[j].is_null())
        throw std::runtime_error("truth: no block " + std::to_string(all[i + j]));
      out[all[i + j]] = {lower(blocks[j]["hash"].get<std::string>()),
                         quantity_to_u64(blocks[j]["timestamp"])};
    }
  }
  return out;
}

using Holding = std::pair<std::string, std::uint64_t>;  // (holder, id)

// balanceOfBatch for every pair, at `block`; the first pair whose balance differs from
// the sums the logs give, or "".
std::string check_balances(RawRpc& rpc, const TruthQuery& q,
                           const std::map<Holding, std::int64_t>& sums) {
  std::vector<std::pair<Holding, std::int64_t>> all(sums.begin(), sums.end());
  for (std::size_t i = 0; i < all.size(); i += kBalancePairsPerCall) {
    const std::size_t n = std::min(all.size(), i + kBalancePairsPerCall) - i;
    std::string data =
        "0x" + kBalanceOfBatch + word_of(64) + word_of(64 + 32 * (1 + n)) + word_of(n);
    for (std::size_t j = 0; j < n; ++j) data += pad_word(all[i + j].first.first.substr(2));
    data += word_of(n);
    for (std::size_t j = 0; j < n; ++j) data += word_of(all[i + j].first.second);
    const json call = {{"to", q.contract}, {"data", data}};
    const std::string ret =
        hex_body(rpc.call("eth_call", json::array({call, u64_to_quantity(q.to_block)})));
    if (word_u64(ret, 1) != n) return "balanceOfBatch returned a wrong length";
    for (std::size_t j = 0; j < n; ++j) {
      const auto& [holding, expected] = all[i + j];
      const auto actual = static_cast<std::int64_t>(word_u64(ret, 2 + j));
      if (actual != expected) {
        return "balanceOf(" + holding.first + ", " + std::to_string(holding.second) +
               ") = " + std::to_string(actual) + " on chain, but the swept logs give " +
               std::to_string(expected);
      }
    }
  }
  return "";
}

void add_claim(ChainTruth& truth, const TruthQuery& q, const json& log, const Movement& m,
               const std::pair<std::string, std::uint64_t>& header) {
  ExpectedClaim c;
  c.tx_hash = lower(log.at("transactionHash").get<std::string>());
  c.log_index = static_cast<std::uint32_t>(quantity_to_u64(log.at("logIndex")));
  c.batch_index = m.batch_index;
  c.key = std::to_string(q.chain_id) + ":" + c.tx_hash + ":" + std::to_string(c.log_index) + ":" +
          std::to_string(c.batch_index);
  c.wallet = m.to;
  c.level = m.id;
  c.amount = m.amount;
  c.block_number = quantity_to_u64(log.at("blockNumber"));
  c.block_hash = header.first;
  c.block_time = header.second;
  if (!truth.claims.emplace(c.key, c).second) {
    throw BadLog("the sweep saw claim " + c.key + " twice");
  }
  truth.membership.insert({c.wallet, c.level});
  auto& level = truth.member_level[c.wallet];
  level = std::max(level, c.level);
  auto [it, inserted] = truth.member_activated.emplace(c.wallet, c.block_time);
  if (!inserted) it->second = std::min(it->second, c.block_time);
}

}  // namespace

ChainTruth recompute_chain_truth(RawRpc& rpc, const TruthQuery& q) {
  ChainTruth truth;
  const std::vector<json> logs = fetch_logs(rpc, q);
  std::set<std::uint64_t> blocks;
  for (const auto& log : logs) blocks.insert(quantity_to_u64(log.at("blockNumber")));
  const auto headers = fetch_headers(rpc, blocks);
  truth.counts.logs = logs.size();
  truth.counts.blocks_with_logs = blocks.size();
  std::map<Holding, std::int64_t> sums;
  try {
    for (const auto& log : logs) {
      const auto& header = headers.at(quantity_to_u64(log.at("blockNumber")));
      if (lower(log.at("blockHash").get<std::string>()) != header.first ||
          log.value("removed", false)) {
        throw BadLog("log not on the canonical chain: " + log.dump());
      }
      const std::vector<Movement> moves = decode(log);
      const bool mint = moves.front().from == kZeroAddress;
      const bool burn = moves.front().to == kZeroAddress;
      ++(mint   ? truth.counts.mint_logs
         : burn ? truth.counts.burn_logs
                : truth.counts.transfer_logs);
      for (const auto& m : moves) {
        if (!mint) sums[{m.from, m.id}] -= static_cast<std::int64_t>(m.amount);
        if (!burn) sums[{m.to, m.id}] += static_cast<std::int64_t>(m.amount);
        if (!mint) continue;
        if (m.id >= 1 && m.id <= q.max_level) {
          add_claim(truth, q, log, m, header);
        } else {
          ++truth.counts.non_level_mints;
        }
      }
    }
    truth.counts.balances_checked = sums.size();
    truth.inconsistency = check_balances(rpc, q, sums);
  } catch (const BadLog& e) {
    truth.inconsistency = e.what();
  }
  return truth;
}

}  // namespace claimsync::testing
