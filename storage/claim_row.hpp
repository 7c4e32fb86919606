// ClaimRow: a Claim as the text/integer columns of a claim_sync_queue / membership row,
// shared by the Postgres and SQLite sinks so both store exactly the same values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "storage/claim.hpp"

namespace claimsync::store {

struct ClaimRow {
  std::string claim_key;  // ClaimKey::to_string()
  std::uint64_t chain_id = 0;
  std::string tx_hash;  // 0x + 64 lower-case hex
  std::uint32_t log_index = 0;
  std::uint32_t batch_index = 0;
  std::string wallet;  // 0x + 40 lower-case hex
  std::uint32_t level = 0;
  std::string amount;  // decimal
  std::uint64_t block_number = 0;
  std::string block_hash;               // 0x + 64 lower-case hex
  std::uint64_t block_time = 0;         // unix seconds (membership.activated_at)
  std::optional<std::string> referrer;  // lower-case wallet
  std::string status;                   // claim_state_name(state): the ledger's status values
  std::uint32_t attempts = 0;
  std::optional<std::string> error;  // last_error, NULL when empty
  std::string source;                // claim_sources_string(sources)

  static ClaimRow from(const Claim& c);
};

}  // namespace claimsync::store
