// ChainSource: everything the node asks of the chain. The JSON-RPC client implements it
// for real endpoints; tests implement it with scripted fakes (reorgs, faults).
//
// Threading: implementations must be safe to call from several threads at once.
// Every call is bounded in time; transient failures come back as kUnavailable /
// kTimeout / kRateLimited after the implementation's own bounded retries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/log_entry.hpp"
#include "rpc/status.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::eth {

struct BlockHeader {
  std::uint64_t number = 0;
  Hash32 hash;
  Hash32 parent_hash;
  std::uint64_t timestamp = 0;  // unix seconds
};

enum class BlockTag { kLatest, kSafe, kFinalized };
// A block number or a tag.
using BlockRef = std::variant<std::uint64_t, BlockTag>;

// A block the caller has checked, by number and hash.
struct BlockPin {
  std::uint64_t number = 0;
  Hash32 hash;
};

struct LogFilter {
  Address address;
  // topics[i]: empty = any value at position i; else any of the listed hashes.
  std::vector<std::vector<Hash32>> topics;
  std::uint64_t from_block = 0;  // inclusive
  std::uint64_t to_block = 0;    // inclusive
  // Ties the logs to one chain (issue 10): when set, every eth_getLogs request asks the
  // same endpoint, in the same HTTP request, for the header of pin->number (the end of
  // the range the caller checked), and its hash must be pin->hash. Without it a chain
  // that flips A -> B -> A during a scan could hand over fork-B logs.
  std::optional<BlockPin> pin;
};

struct Receipt {
  Hash32 tx_hash;
  Hash32 block_hash;
  std::uint64_t block_number = 0;
  bool success = false;  // status == 1
  std::vector<LogEntry> logs;
};

// The outcome of an eth_call that the node executed: returned or reverted. Both are
// answers about the call itself; a failure to get an answer is a Status instead.
struct CallResult {
  bool reverted = false;
  Bytes data;  // the return data; when reverted, the revert data if the endpoint gave it
};

class ChainSource {
 public:
  virtual ~ChainSource() = default;

  virtual Result<std::uint64_t> chain_id() = 0;
  // kNotFound when the block does not exist (yet), or the endpoints that answered do not
  // serve it yet (they are behind): never evidence of a reorg by itself.
  virtual Result<BlockHeader> header(BlockRef block) = 0;
  // Headers of several blocks in one round trip where the transport allows.
  virtual Result<std::vector<BlockHeader>> headers(const std::vector<std::uint64_t>& numbers) = 0;
  // All logs matching the filter, validated: each belongs to filter.address, lies within
  // [from_block, to_block] and carries block hash, tx hash and log index. Splits the range
  // internally as providers require. Sorted by (block_number, log_index).
  // With filter.pin: kReorg when an endpoint's block pin->number has another hash (the
  // chain moved: the caller scans again); kNotFound when no endpoint serves that block
  // (every one is behind: the caller waits). Either way no log is returned, so a lagging
  // endpoint's short answer is never taken for "no logs there".
  virtual Result<std::vector<LogEntry>> logs(const LogFilter& filter) = 0;
  // std::nullopt when the node does not know the transaction (yet).
  virtual Result<std::optional<Receipt>> receipt(const Hash32& tx_hash) = 0;
  // ERC-1155 balanceOfBatch(owners, ids) on `contract` at `block`; owners.size() must
  // equal ids.size(). Returns one balance per pair.
  virtual Result<std::vector<U256>> balance_of_batch(const Address& contract,
                                                     const std::vector<Address>& owners,
                                                     const std::vector<U256>& ids,
                                                     BlockRef block) = 0;
  // eth_call of `data` to `to` at `block`; without `to`, `data` is creation code run
  // deployless (its constructor's returned bytes are the result, nothing is deployed).
  // A revert is a CallResult with reverted = true; transport failures, rate limits and
  // other JSON-RPC errors are a Status (the caller may retry). Default: kUnimplemented
  // (ChainSources that the code paths using it never reach need not implement it).
  virtual Result<CallResult> call(const std::optional<Address>& to, const Bytes& data,
                                  BlockRef block);
};

}  // namespace claimsync::eth
