// Claim: one mint of one token id, the unit the outbox tracks and the sink replicates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"
#include "rpc/uint256.hpp"

namespace claimsync::store {

// (chain_id, tx_hash, log_index, batch_index): unique per mint on a chain. Encoded
// big-endian so RocksDB orders keys by chain, then tx, then log, then batch position.
struct ClaimKey {
  std::uint64_t chain_id = 0;
  eth::Hash32 tx_hash;
  std::uint32_t log_index = 0;
  std::uint32_t batch_index = 0;

  static constexpr std::size_t kEncodedSize = 8 + 32 + 4 + 4;
  std::string encode() const;                            // kEncodedSize bytes
  static Result<ClaimKey> decode(std::string_view raw);  // kCorruption on wrong size
  // Human form used by the CLI, logs and the ledger: "<chain>:<0xtx>:<log>:<batch>".
  std::string to_string() const;
  static Result<ClaimKey> parse(std::string_view text);  // inverse of to_string

  auto operator<=>(const ClaimKey&) const = default;
};

// DESIGN §5. kRevoking = was done, its block left the chain: the sink must remove what it
// created (compensation pending). kRevoked = compensation committed.
enum class ClaimState : std::uint8_t {
  kPending = 0,
  kRetrying = 1,
  kDone = 2,
  kDead = 3,
  kOrphaned = 4,
  kRevoking = 5,
  kRevoked = 6,
};
constexpr int kClaimStateCount = 7;
const char* claim_state_name(ClaimState s);
Result<ClaimState> parse_claim_state(std::string_view name);

// Where a claim was seen. A bit set: ingest merges sources of repeated sightings.
enum ClaimSource : std::uint32_t {
  kSourceScan = 1u << 0,       // the follower's eth_getLogs sweep
  kSourceIntake = 1u << 1,     // POST /v1/claims hint, verified on chain
  kSourceWebhook = 1u << 2,    // provider webhook, verified on chain
  kSourceReconcile = 1u << 3,  // reconciler repair
  kSourceRescan = 1u << 4,     // operator's `claimsync rescan`
  kSourceTakeover = 1u << 5,   // adopted from the sink's ledger when taking over ([ha])
};
std::string claim_sources_string(std::uint32_t sources);  // "scan,intake"

struct Claim {
  ClaimKey key;
  eth::Address wallet;      // the `to` of the mint
  std::uint32_t level = 0;  // the token id (configured levels only)
  eth::U256 amount;
  std::uint64_t block_number = 0;
  eth::Hash32 block_hash;
  std::uint64_t block_time = 0;  // unix seconds of the block (activated_at in the sink)
  std::uint32_t sources = 0;     // ClaimSource bits
  ClaimState state = ClaimState::kPending;
  std::uint32_t attempts = 0;  // claim-specific failures so far
  std::int64_t next_attempt_at_ms =
      0;  // when the replicator may take it (pending/retrying/revoking)
  std::string last_error;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<eth::Address> referrer;  // from a wallet-signed attestation; first wins
  // True once the replicator has handed the claim to the sink at least once: from then on
  // the sink may hold its rows even while the claim is pending (a call whose outcome is
  // unknown, e.g. a COMMIT whose reply was lost). A claim that leaves the chain is then
  // revoked (idempotently) rather than merely orphaned. Records written before this flag
  // existed read as true: the safe side.
  bool sent_to_sink = false;
  // revoking only: the claim is canonical again, in another block (block_* hold the new
  // one). The revoke of what the sink may hold runs first; when it commits the claim goes
  // to pending and is applied with the new block, instead of becoming revoked.
  bool reapply_after_revoke = false;

  std::string encode_value() const;  // everything but the key, versioned binary
  static Result<Claim> decode(const ClaimKey& key, std::string_view value);
};

}  // namespace claimsync::store
