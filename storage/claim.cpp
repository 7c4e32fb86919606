#include "storage/claim.hpp"

#include <array>
#include <charconv>
#include <vector>

#include "storage/byte_codec.hpp"

namespace claimsync::store {
namespace {

constexpr std::uint8_t kClaimValueVersion = 1;
constexpr std::uint8_t kHasReferrer = 1;
// Set when the claim was never handed to the sink (inverted, so that records written
// before the flag existed read as "maybe in the sink").
constexpr std::uint8_t kNeverSent = 2;
constexpr std::uint8_t kReapplyAfterRevoke = 4;
constexpr std::uint8_t kKnownFlags = kHasReferrer | kNeverSent | kReapplyAfterRevoke;

constexpr std::array<const char*, kClaimStateCount> kStateNames = {
    "pending", "retrying", "done", "dead", "orphaned", "revoking", "revoked"};

struct SourceName {
  ClaimSource bit;
  const char* name;
};
constexpr std::array<SourceName, 6> kSourceNames = {{{kSourceScan, "scan"},
                                                     {kSourceIntake, "intake"},
                                                     {kSourceWebhook, "webhook"},
                                                     {kSourceReconcile, "reconcile"},
                                                     {kSourceRescan, "rescan"},
                                                     {kSourceTakeover, "takeover"}}};

template <typename T>
bool parse_decimal(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == sep) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

std::string ClaimKey::encode() const {
  std::string out;
  out.reserve(kEncodedSize);
  put_u64(out, chain_id);
  put_bytes(out, tx_hash.bytes());
  put_u32(out, log_index);
  put_u32(out, batch_index);
  return out;
}

Result<ClaimKey> ClaimKey::decode(std::string_view raw) {
  if (raw.size() != kEncodedSize) {
    return error(ErrorCode::kCorruption, "claim key has " + std::to_string(raw.size()) +
                                             " bytes, want " + std::to_string(kEncodedSize));
  }
  ByteReader r(raw);
  ClaimKey key;
  key.chain_id = r.u64();
  key.tx_hash = eth::Hash32(r.bytes<32>());
  key.log_index = r.u32();
  key.batch_index = r.u32();
  return key;
}

std::string ClaimKey::to_string() const {
  return std::to_string(chain_id) + ":" + tx_hash.hex() + ":" + std::to_string(log_index) + ":" +
         std::to_string(batch_index);
}

Result<ClaimKey> ClaimKey::parse(std::string_view text) {
  auto parts = split(text, ':');
  if (parts.size() != 4) {
    return error(ErrorCode::kInvalidArgument,
                 "claim key must be <chain>:<0xtx>:<log>:<batch>, got '" + std::string(text) + "'");
  }
  ClaimKey key;
  if (!parse_decimal(parts[0], key.chain_id)) {
    return error(ErrorCode::kInvalidArgument,
                 "claim key: bad chain id '" + std::string(parts[0]) + "'");
  }
  auto tx = eth::Hash32::parse(parts[1]);
  if (!tx) return tx.status().with_context("claim key: tx hash");
  key.tx_hash = *tx;
  if (!parse_decimal(parts[2], key.log_index)) {
    return error(ErrorCode::kInvalidArgument,
                 "claim key: bad log index '" + std::string(parts[2]) + "'");
  }
  if (!parse_decimal(parts[3], key.batch_index)) {
    return error(ErrorCode::kInvalidArgument,
                 "claim key: bad batch index '" + std::string(parts[3]) + "'");
  }
  return key;
}

const char* claim_state_name(ClaimState s) {
  auto i = static_cast<std::size_t>(s);
  return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

Result<ClaimState> parse_claim_state(std::string_view name) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (name == kStateNames[i]) return static_cast<ClaimState>(i);
  }
  return error(ErrorCode::kInvalidArgument,
               "unknown claim state '" + std::string(name) +
                   "' (pending, retrying, done, dead, orphaned, revoking, revoked)");
}

std::string claim_sources_string(std::uint32_t sources) {
  std::string out;
  for (const auto& s : kSourceNames) {
    if ((sources & s.bit) == 0) continue;
    if (!out.empty()) out += ",";
    out += s.name;
  }
  return out;
}

// Layout (version 1): version u8 | wallet 20 | level u32 | amount 32 | block_number u64 |
// block_hash 32 | block_time u64 | sources u32 | state u8 | attempts u32 |
// next_attempt_at i64 | created_at i64 | updated_at i64 | flags u8 (1 referrer, 2 never sent,
// 4 reapply after revoke) | [referrer 20] |
// last_error length u32 + bytes.
std::string Claim::encode_value() const {
  std::string out;
  out.reserve(200 + last_error.size());
  put_u8(out, kClaimValueVersion);
  put_bytes(out, wallet.bytes());
  put_u32(out, level);
  put_bytes(out, amount.to_word());
  put_u64(out, block_number);
  put_bytes(out, block_hash.bytes());
  put_u64(out, block_time);
  put_u32(out, sources);
  put_u8(out, static_cast<std::uint8_t>(state));
  put_u32(out, attempts);
  put_i64_ordered(out, next_attempt_at_ms);
  put_i64_ordered(out, created_at_ms);
  put_i64_ordered(out, updated_at_ms);
  put_u8(out,
         static_cast<std::uint8_t>((referrer ? kHasReferrer : 0) | (sent_to_sink ? 0 : kNeverSent) |
                                   (reapply_after_revoke ? kReapplyAfterRevoke : 0)));
  if (referrer) put_bytes(out, referrer->bytes());
  put_u32(out, static_cast<std::uint32_t>(last_error.size()));
  out += last_error;
  return out;
}

Result<Claim> Claim::decode(const ClaimKey& key, std::string_view value) {
  auto corrupt = [&](const std::string& why) {
    return error(ErrorCode::kCorruption, "claim " + key.to_string() + ": " + why);
  };
  ByteReader r(value);
  std::uint8_t version = r.u8();
  if (r.failed()) return corrupt("empty record");
  if (version != kClaimValueVersion) {
    return corrupt("record version " + std::to_string(version) + " unknown to this binary");
  }
  Claim c;
  c.key = key;
  c.wallet = eth::Address(r.bytes<20>());
  c.level = r.u32();
  auto amount = eth::U256::from_word(r.bytes<32>());
  c.block_number = r.u64();
  c.block_hash = eth::Hash32(r.bytes<32>());
  c.block_time = r.u64();
  c.sources = r.u32();
  std::uint8_t state = r.u8();
  c.attempts = r.u32();
  c.next_attempt_at_ms = r.i64_ordered();
  c.created_at_ms = r.i64_ordered();
  c.updated_at_ms = r.i64_ordered();
  std::uint8_t flags = r.u8();
  if (flags & kHasReferrer) c.referrer = eth::Address(r.bytes<20>());
  std::uint32_t error_len = r.u32();
  if (r.failed()) return corrupt("record truncated");
  if (r.remaining() != error_len) return corrupt("last_error length mismatch");
  c.last_error = std::string(r.take(error_len));
  if (!amount) return corrupt("amount: " + amount.status().message());
  c.amount = *amount;
  if (state >= kClaimStateCount) return corrupt("state " + std::to_string(state) + " out of range");
  if (flags & ~kKnownFlags) return corrupt("unknown flags");
  c.sent_to_sink = (flags & kNeverSent) == 0;
  c.reapply_after_revoke = (flags & kReapplyAfterRevoke) != 0;
  c.state = static_cast<ClaimState>(state);
  return c;
}

}  // namespace claimsync::store
