// ChainTruth: what the membership database must hold, recomputed by the guarantee test
// straight from the chain, without any of the node's code.
//
// How: the test's own eth_getLogs sweep of the contract (both ERC-1155 transfer events,
// every sender) over [from_block, to_block] of the canonical chain, decoded by hand here.
// Every log's blockHash is checked against the canonical header of its block (which also
// gives the block time). A mint (from == 0x0) of a configured level is one claim per
// (tx, log index, batch index). The sweep then validates itself: for every (holder, id)
// that moved, minted - burned +- transferred must equal balanceOfBatch at to_block.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "tests/support/guarantee_rpc.hpp"

namespace claimsync::testing {

struct ExpectedClaim {
  std::string key;  // "<chain>:<0xtx>:<log>:<batch>" (store::ClaimKey::to_string)
  std::string tx_hash;
  std::uint32_t log_index = 0;
  std::uint32_t batch_index = 0;
  std::string wallet;  // lower-case
  std::uint64_t level = 0;
  std::uint64_t amount = 0;
  std::uint64_t block_number = 0;
  std::string block_hash;
  std::uint64_t block_time = 0;  // unix seconds
};

struct TruthCounts {
  std::size_t logs = 0;             // every TransferSingle/TransferBatch of the contract
  std::size_t mint_logs = 0;        // from == 0
  std::size_t transfer_logs = 0;    // from != 0, to != 0 (not mints)
  std::size_t burn_logs = 0;        // to == 0 (not mints)
  std::size_t non_level_mints = 0;  // minted ids that are not levels (not claims)
  std::size_t blocks_with_logs = 0;
  std::size_t balances_checked = 0;  // (holder, id) pairs validated with balanceOfBatch
};

struct ChainTruth {
  std::map<std::string, ExpectedClaim> claims;                 // by claim key
  std::set<std::pair<std::string, std::uint64_t>> membership;  // (wallet, level)
  std::map<std::string, std::uint64_t> member_level;           // wallet -> max level
  std::map<std::string, std::uint64_t> member_activated;       // wallet -> earliest block time
  TruthCounts counts;
  // Empty when the sweep is self-consistent; otherwise the first disagreement (a log in a
  // non-canonical block, a balance that the logs do not explain, an undecodable log).
  std::string inconsistency;
};

struct TruthQuery {
  std::string contract;  // lower-case 0x address
  std::uint64_t chain_id = 31337;
  std::uint64_t from_block = 0;
  std::uint64_t to_block = 0;
  std::uint64_t max_level = 19;  // levels are 1..max_level
  std::uint64_t span = 500;      // blocks per eth_getLogs
};

// Throws std::runtime_error only on transport failures (a broken environment).
ChainTruth recompute_chain_truth(RawRpc& rpc, const TruthQuery& query);

}  // namespace claimsync::testing
