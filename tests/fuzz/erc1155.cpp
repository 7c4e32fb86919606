// Fuzz target: ERC-1155 TransferSingle / TransferBatch log decoding (rpc/erc1155).
// Input: byte 0 = topic count (mod 6); byte 1 bit 0 = use the real event topic for
// topic 0 (bit 1: TransferBatch); then 32 bytes per topic; the rest is the log's data.
// Contract: a value or kCorruption with a message; a decoded log re-encodes (ABI) to a
// log that decodes to the same transfers; each transfer's fields come from the topics.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rpc/abi.hpp"
#include "rpc/erc1155.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

bool same(const TokenTransfer& a, const TokenTransfer& b) {
  return a.op == b.op && a.from == b.from && a.to == b.to && a.id == b.id && a.value == b.value &&
         a.batch_index == b.batch_index;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t n_topics = data[0] % 6;
  const std::uint8_t mode = data[1];
  std::size_t pos = 2;
  LogEntry log;
  for (std::size_t t = 0; t < n_topics; ++t) {
    std::array<std::uint8_t, 32> word{};
    for (std::size_t i = 0; i < 32 && pos < size; ++i) word[i] = data[pos++];
    log.topics.emplace_back(word);
  }
  if (!log.topics.empty() && (mode & 1))
    log.topics[0] = (mode & 2) ? transfer_batch_topic() : transfer_single_topic();
  log.data.assign(data + pos, data + size);

  auto decoded = decode_transfer_log(log);
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == ErrorCode::kCorruption, "error code is kCorruption");
    FUZZ_CHECK(!decoded.status().message().empty(), "error says what is wrong");
    return 0;
  }
  const std::vector<TokenTransfer>& transfers = *decoded;
  FUZZ_CHECK(log.topics.size() == 4, "only 4-topic logs decode");
  const bool batch = log.topics[0] == transfer_batch_topic();
  FUZZ_CHECK(batch || log.topics[0] == transfer_single_topic(), "topic 0 is a transfer event");
  FUZZ_CHECK(batch || transfers.size() == 1, "TransferSingle yields one transfer");
  FUZZ_CHECK(transfers.size() <= log.data.size() / 32, "no more transfers than data words");
  std::vector<U256> ids, values;
  for (std::size_t i = 0; i < transfers.size(); ++i) {
    const TokenTransfer& t = transfers[i];
    FUZZ_CHECK(t.batch_index == i, "batch_index is the array position");
    FUZZ_CHECK(abi::encode_word(t.op) == log.topics[1].bytes(), "operator is topic 1");
    FUZZ_CHECK(abi::encode_word(t.from) == log.topics[2].bytes(), "from is topic 2");
    FUZZ_CHECK(abi::encode_word(t.to) == log.topics[3].bytes(), "to is topic 3");
    ids.push_back(t.id);
    values.push_back(t.value);
  }
  // Round trip: the canonical ABI encoding of what was decoded decodes to the same.
  LogEntry again = log;
  if (batch) {
    std::vector<abi::Value> args{ids, values};
    again.data = abi::encode_args(args);
  } else {
    std::vector<abi::Value> args{ids[0], values[0]};
    again.data = abi::encode_args(args);
  }
  auto redecoded = decode_transfer_log(again);
  FUZZ_CHECK(redecoded.ok(), "canonical re-encoding decodes");
  FUZZ_CHECK(redecoded->size() == transfers.size(), "re-encoding keeps the transfer count");
  for (std::size_t i = 0; i < transfers.size(); ++i)
    FUZZ_CHECK(same((*redecoded)[i], transfers[i]), "re-encoding keeps every transfer");
  return 0;
}
