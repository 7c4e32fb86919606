// LogEntry: one EVM event log as returned by eth_getLogs / receipts.
#pragma once

#include <cstdint>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"

namespace claimsync::eth {

struct LogEntry {
  Address address;             // emitting contract
  std::vector<Hash32> topics;  // topics[0] is the event signature hash
  Bytes data;
  std::uint64_t block_number = 0;
  Hash32 block_hash;
  Hash32 tx_hash;
  std::uint32_t tx_index = 0;
  std::uint32_t log_index = 0;  // position in the block
  bool removed = false;         // true when a node reports the log was reorged out
};

}  // namespace claimsync::eth
