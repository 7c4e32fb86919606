#include "rpc/erc1155.hpp"

#include <limits>
#include <string>

#include "rpc/abi.hpp"
#include "rpc/keccak.hpp"

namespace claimsync::eth {
namespace {

constexpr std::size_t kTopicCount = 4;  // signature, operator, from, to
constexpr std::size_t kWord = abi::kWordSize;

Status corrupt(std::string message) { return error(ErrorCode::kCorruption, std::move(message)); }

// The three indexed addresses, with their padding checked.
Status decode_parties(const LogEntry& log, TokenTransfer& t) {
  Address* parties[] = {&t.op, &t.from, &t.to};
  static constexpr const char* kNames[] = {"operator", "from", "to"};
  for (std::size_t i = 0; i < 3; ++i) {
    Result<Address> a = Address::from_word(log.topics[i + 1].bytes());
    if (!a.ok()) return corrupt(std::string(kNames[i]) + " topic: " + a.status().message());
    *parties[i] = *a;
  }
  return {};
}

Result<std::vector<TokenTransfer>> decode_single(const LogEntry& log,
                                                 const TokenTransfer& parties) {
  if (log.data.size() != 2 * kWord) {
    return corrupt("TransferSingle data must be 64 bytes (id, value), got " +
                   std::to_string(log.data.size()));
  }
  TokenTransfer t = parties;
  t.id = *abi::decode_uint256(log.data, 0);
  t.value = *abi::decode_uint256(log.data, 1);
  return std::vector<TokenTransfer>{t};
}

Result<std::vector<TokenTransfer>> decode_batch(const LogEntry& log, const TokenTransfer& parties) {
  const Bytes& data = log.data;
  // Two offsets plus two length words is the smallest well-formed batch (two empty arrays).
  if (data.size() < 4 * kWord || data.size() % kWord != 0) {
    return corrupt("TransferBatch data must be a multiple of 32 bytes and at least 128, got " +
                   std::to_string(data.size()));
  }
  constexpr std::size_t kMaxItems = std::numeric_limits<std::uint32_t>::max();  // batch_index
  Result<std::vector<U256>> ids = abi::decode_uint256_array_at(data, 0, kMaxItems);
  if (!ids.ok()) return ids.status().with_context("TransferBatch ids");
  Result<std::vector<U256>> values = abi::decode_uint256_array_at(data, 1, kMaxItems);
  if (!values.ok()) return values.status().with_context("TransferBatch values");
  if (ids->size() != values->size()) {
    return corrupt("TransferBatch has " + std::to_string(ids->size()) + " ids but " +
                   std::to_string(values->size()) + " values");
  }
  std::vector<TokenTransfer> out;
  out.reserve(ids->size());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    TokenTransfer t = parties;
    t.id = (*ids)[i];
    t.value = (*values)[i];
    t.batch_index = static_cast<std::uint32_t>(i);
    out.push_back(t);
  }
  return out;
}

}  // namespace

const Hash32& transfer_single_topic() {
  static const Hash32 topic =
      keccak256(std::string_view("TransferSingle(address,address,address,uint256,uint256)"));
  return topic;
}

const Hash32& transfer_batch_topic() {
  static const Hash32 topic =
      keccak256(std::string_view("TransferBatch(address,address,address,uint256[],uint256[])"));
  return topic;
}

Result<std::vector<TokenTransfer>> decode_transfer_log(const LogEntry& log) {
  if (log.topics.size() != kTopicCount) {
    return corrupt("ERC-1155 transfer log must have 4 topics, got " +
                   std::to_string(log.topics.size()));
  }
  const Hash32& sig = log.topics[0];
  if (sig != transfer_single_topic() && sig != transfer_batch_topic()) {
    return corrupt("topic 0 " + sig.hex() + " is neither TransferSingle nor TransferBatch");
  }
  TokenTransfer parties;
  CLAIMSYNC_RETURN_IF_ERROR(decode_parties(log, parties));
  return sig == transfer_single_topic() ? decode_single(log, parties) : decode_batch(log, parties);
}

}  // namespace claimsync::eth
