// The on-disk layout of the node store: column families and key/value formats.
//
//   meta      "schema_version" -> u32 | "chain_id" -> u64 | "contract" -> 20 bytes |
//             "start_block" -> u64 | "checkpoint" -> u64 (absent: nothing scanned) |
//             "note:<name>" -> text | "nonce:" wallet 20 | nonce 32 -> claim key (the
//             claim a referral attestation's nonce was first used for)   (earlier builds also wrote
//             "in_flight": ignored; claims now carry Claim::sent_to_sink)
//   blocks    number u64 -> hash 32 | parent_hash 32
//   ranges    from u64 -> to u64            (merged: disjoint, never adjacent)
//   claims    ClaimKey::encode() -> Claim::encode_value()
//   due       next_attempt_at i64(ordered) | claim key -> ""   (pending/retrying/revoking)
//   counters  state u8 -> u64
//   by_state  state u8 | claim key -> ""                      (see claim_indexes.hpp)
//   by_wallet wallet 20 | claim key -> ""                     (every claim)
//   by_block  block_number u64 | claim key -> ""              (every claim)
//   by_age    created_at i64(ordered) | claim key -> ""       (pending/retrying)
//
// All integers big-endian, so RocksDB's bytewise order is numeric order. Every index
// entry ends with the 48-byte claim key, which claim_key_suffix() recovers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/status.hpp"
#include "storage/claim.hpp"
#include "storage/node_store.hpp"

namespace claimsync::store::layout {

enum class Cf : int {
  kMeta = 0,
  kBlocks,
  kRanges,
  kClaims,
  kDue,
  kCounters,
  kByState,
  kByWallet,
  kByBlock,
  kByAge,
};
constexpr int kCfCount = 10;
const char* cf_name(Cf cf);

namespace meta {
inline constexpr std::string_view kSchemaVersion = "schema_version";
inline constexpr std::string_view kChainId = "chain_id";
inline constexpr std::string_view kContract = "contract";
inline constexpr std::string_view kStartBlock = "start_block";
inline constexpr std::string_view kCheckpoint = "checkpoint";
inline constexpr std::string_view kNotePrefix = "note:";
inline constexpr std::string_view kNoncePrefix = "nonce:";
}  // namespace meta

std::string due_key(std::int64_t next_attempt_at_ms, const ClaimKey& key);
std::string state_key(ClaimState state, const ClaimKey& key);
std::string wallet_key(const eth::Address& wallet, const ClaimKey& key);
std::string block_key(std::uint64_t block_number, const ClaimKey& key);
std::string age_key(std::int64_t created_at_ms, const ClaimKey& key);
std::string state_prefix(ClaimState state);
std::string wallet_prefix(const eth::Address& wallet);
std::string tx_prefix(std::uint64_t chain_id, const eth::Hash32& tx);
std::string counter_key(ClaimState state);
// meta key recording that `minter` used referral nonce `nonce`.
std::string referral_nonce_key(const eth::Address& minter, const eth::Hash32& nonce);

// The claim key at the end of an index key; kCorruption if too short.
Result<ClaimKey> claim_key_suffix(std::string_view index_key);
// The leading i64 of a due / age key.
std::int64_t leading_time(std::string_view index_key);

std::string encode_block(const BlockRecord& b);  // value only; key is encode_u64(number)
Result<BlockRecord> decode_block(std::string_view key, std::string_view value);
Result<BlockRange> decode_range(std::string_view key, std::string_view value);
Result<std::uint64_t> decode_u64(std::string_view value, std::string_view what);

}  // namespace claimsync::store::layout
