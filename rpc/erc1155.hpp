// ERC-1155 event decoding: TransferSingle / TransferBatch logs -> transfer records.
//
// A pure function of its input: no I/O, no allocation beyond the result. Every read from
// `data` is bounds-checked; a malformed log yields an error value, never a crash.
#pragma once

#include <cstdint>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/hash32.hpp"
#include "rpc/log_entry.hpp"
#include "rpc/status.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::eth {

// keccak256("TransferSingle(address,address,address,uint256,uint256)"), computed once.
const Hash32& transfer_single_topic();
// keccak256("TransferBatch(address,address,address,uint256[],uint256[])"), computed once.
const Hash32& transfer_batch_topic();

// One token movement out of a TransferSingle (batch_index 0) or one element of a
// TransferBatch (batch_index = position in the ids array).
struct TokenTransfer {
  Address op;    // `operator` (msg.sender of the mint/transfer)
  Address from;  // zero address for a mint
  Address to;    // zero address for a burn
  U256 id;       // token id (= membership level)
  U256 value;    // amount
  std::uint32_t batch_index = 0;

  bool is_mint() const { return from.is_zero(); }
};

// Decodes a TransferSingle or TransferBatch log.
// Fails (kCorruption, message says what is wrong) when: topics are not exactly 4, topic 0
// is neither event, an indexed address topic has non-zero padding, data is short or not a
// multiple of 32 bytes where required, array offsets or lengths point outside `data`,
// the ids and values arrays differ in length, or lengths are absurd (> data size / 32).
Result<std::vector<TokenTransfer>> decode_transfer_log(const LogEntry& log);

}  // namespace claimsync::eth
