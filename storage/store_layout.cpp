#include "storage/store_layout.hpp"

#include "storage/byte_codec.hpp"

namespace claimsync::store::layout {
namespace {

std::string with_key(std::string prefix, const ClaimKey& key) {
  prefix += key.encode();
  return prefix;
}

}  // namespace

const char* cf_name(Cf cf) {
  switch (cf) {
    case Cf::kMeta: return "default";  // RocksDB requires "default"; meta lives there
    case Cf::kBlocks: return "blocks";
    case Cf::kRanges: return "ranges";
    case Cf::kClaims: return "claims";
    case Cf::kDue: return "due";
    case Cf::kCounters: return "counters";
    case Cf::kByState: return "by_state";
    case Cf::kByWallet: return "by_wallet";
    case Cf::kByBlock: return "by_block";
    case Cf::kByAge: return "by_age";
  }
  return "unknown";
}

std::string due_key(std::int64_t next_attempt_at_ms, const ClaimKey& key) {
  std::string k;
  put_i64_ordered(k, next_attempt_at_ms);
  return with_key(std::move(k), key);
}

std::string state_key(ClaimState state, const ClaimKey& key) {
  return with_key(state_prefix(state), key);
}

std::string wallet_key(const eth::Address& wallet, const ClaimKey& key) {
  return with_key(wallet_prefix(wallet), key);
}

std::string block_key(std::uint64_t block_number, const ClaimKey& key) {
  return with_key(encode_u64(block_number), key);
}

std::string age_key(std::int64_t created_at_ms, const ClaimKey& key) {
  std::string k;
  put_i64_ordered(k, created_at_ms);
  return with_key(std::move(k), key);
}

std::string state_prefix(ClaimState state) {
  std::string k;
  put_u8(k, static_cast<std::uint8_t>(state));
  return k;
}

std::string wallet_prefix(const eth::Address& wallet) {
  std::string k;
  put_bytes(k, wallet.bytes());
  return k;
}

std::string tx_prefix(std::uint64_t chain_id, const eth::Hash32& tx) {
  std::string k;
  put_u64(k, chain_id);
  put_bytes(k, tx.bytes());
  return k;
}

std::string counter_key(ClaimState state) { return state_prefix(state); }

std::string referral_nonce_key(const eth::Address& minter, const eth::Hash32& nonce) {
  std::string k(meta::kNoncePrefix);
  put_bytes(k, minter.bytes());
  put_bytes(k, nonce.bytes());
  return k;
}

Result<ClaimKey> claim_key_suffix(std::string_view index_key) {
  if (index_key.size() < ClaimKey::kEncodedSize) {
    return error(ErrorCode::kCorruption, "index key too short for a claim key");
  }
  return ClaimKey::decode(index_key.substr(index_key.size() - ClaimKey::kEncodedSize));
}

std::int64_t leading_time(std::string_view index_key) {
  return ByteReader(index_key).i64_ordered();
}

std::string encode_block(const BlockRecord& b) {
  std::string v;
  v.reserve(64);
  put_bytes(v, b.hash.bytes());
  put_bytes(v, b.parent_hash.bytes());
  return v;
}

Result<BlockRecord> decode_block(std::string_view key, std::string_view value) {
  if (key.size() != 8 || value.size() != 64) {
    return error(ErrorCode::kCorruption, "block record has a bad size");
  }
  BlockRecord b;
  b.number = ByteReader(key).u64();
  ByteReader r(value);
  b.hash = eth::Hash32(r.bytes<32>());
  b.parent_hash = eth::Hash32(r.bytes<32>());
  return b;
}

Result<BlockRange> decode_range(std::string_view key, std::string_view value) {
  if (key.size() != 8 || value.size() != 8) {
    return error(ErrorCode::kCorruption, "range mark has a bad size");
  }
  BlockRange r{ByteReader(key).u64(), ByteReader(value).u64()};
  if (r.from > r.to) {
    return error(ErrorCode::kCorruption, "range mark [" + std::to_string(r.from) + ", " +
                                             std::to_string(r.to) + "] is inverted");
  }
  return r;
}

Result<std::uint64_t> decode_u64(std::string_view value, std::string_view what) {
  if (value.size() != 8) {
    return error(ErrorCode::kCorruption,
                 std::string(what) + " has " + std::to_string(value.size()) + " bytes, want 8");
  }
  return ByteReader(value).u64();
}

}  // namespace claimsync::store::layout
