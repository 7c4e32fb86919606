#include "storage/rocks_node_store.hpp"

#include <rocksdb/snapshot.h>

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "rpc/logging.hpp"
#include "storage/byte_codec.hpp"
#include "storage/claim_indexes.hpp"
#include "storage/claim_transitions.hpp"

namespace claimsync::store {

using layout::Cf;

// ---- ScanFloor -------------------------------------------------------------------------

ScanFloor::Snapshot ScanFloor::snapshot() const {
  std::lock_guard lock(mu_);
  return {floor_, generation_};
}

void ScanFloor::lower_to(const std::string& key) {
  std::lock_guard lock(mu_);
  ++generation_;
  if (key < floor_) floor_ = key;
}

void ScanFloor::raise_to(const Snapshot& seen, const std::string& key) {
  std::lock_guard lock(mu_);
  if (generation_ == seen.generation && key > floor_) floor_ = key;
}

// ---- Mutation: one batch and the mirror updates that follow it -------------------------

class Mutation {
 public:
  explicit Mutation(RocksDb& db) : db_(db) {}

  void put(Cf cf, std::string_view key, std::string_view value) { add(cf, key, value, false); }
  void del(Cf cf, std::string_view key) { add(cf, key, {}, true); }

  // Records the change of one claim from `before` (nullopt: a new claim) to `after`:
  // the record, every index entry that moves, and the counter deltas.
  void record(const std::optional<Claim>& before, const Claim& after) {
    const std::string key = after.key.encode();
    put(Cf::kClaims, key, after.encode_value());
    written_.push_back(key);
    ++delta_[static_cast<int>(after.state)];
    if (before) --delta_[static_cast<int>(before->state)];
    for (const auto& index : claim_indexes()) {
      old_entry_.clear();
      new_entry_.clear();
      bool had = before && index.append_entry(*before, key, old_entry_);
      bool has = index.append_entry(after, key, new_entry_);
      if (had == has && (!had || old_entry_ == new_entry_)) continue;
      if (had) del(index.cf, old_entry_);
      if (has) {
        put(index.cf, new_entry_, {});
        note_lowest(index.cf, new_entry_);
      }
    }
  }

  // The batch, each family's operations in key order: RocksDB's memtable skiplist keeps
  // the last insert position, so sorted inserts are much cheaper than random ones. The
  // sort is stable: a delete and a put of the same key keep their order.
  rocksdb::WriteBatch build() const {
    std::vector<std::uint32_t> order(ops_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const Op& x = ops_[a];
      const Op& y = ops_[b];
      return x.cf != y.cf ? x.cf < y.cf : key(x) < key(y);
    });
    rocksdb::WriteBatch batch(arena_.size() + 24 * ops_.size());
    for (std::uint32_t i : order) {
      const Op& op = ops_[i];
      auto* handle = db_.cf(static_cast<Cf>(op.cf));
      std::string_view k = key(op);
      rocksdb::Slice ks(k.data(), k.size());
      if (op.del) {
        batch.Delete(handle, ks);
      } else {
        batch.Put(handle, ks, rocksdb::Slice(arena_.data() + op.value_at, op.value_size));
      }
    }
    return batch;
  }

  std::int64_t delta(int state) const { return delta_[state]; }
  const std::vector<std::string>& written_claims() const { return written_; }
  const std::optional<std::string>& lowest_due() const { return lowest_due_; }
  const std::optional<std::string>& lowest_age() const { return lowest_age_; }

  // The range set after this mutation, if it changes ranges (the ops hold the edits).
  std::optional<RangeSet> next_ranges;

 private:
  // Keys and values live in one arena: a batch of a thousand claims is thousands of
  // small strings, and one allocation beats thousands.
  struct Op {
    std::uint8_t cf;
    bool del;
    std::uint32_t key_size;
    std::uint32_t value_size;
    std::size_t key_at;
    std::size_t value_at;
  };

  void add(Cf cf, std::string_view k, std::string_view v, bool del) {
    Op op{static_cast<std::uint8_t>(cf),        del,           static_cast<std::uint32_t>(k.size()),
          static_cast<std::uint32_t>(v.size()), arena_.size(), arena_.size() + k.size()};
    arena_.append(k);
    arena_.append(v);
    ops_.push_back(op);
  }
  std::string_view key(const Op& op) const {
    return std::string_view(arena_).substr(op.key_at, op.key_size);
  }

  void note_lowest(Cf cf, const std::string& entry) {
    auto* lowest = cf == Cf::kDue ? &lowest_due_ : cf == Cf::kByAge ? &lowest_age_ : nullptr;
    if (lowest != nullptr && (!*lowest || entry < **lowest)) *lowest = entry;
  }

  RocksDb& db_;
  std::string arena_;
  std::vector<Op> ops_;
  std::string old_entry_, new_entry_;  // scratch, reused across claims
  std::vector<std::string> written_;   // encoded keys of the claims recorded
  std::array<std::int64_t, kClaimStateCount> delta_{};
  std::optional<std::string> lowest_due_;
  std::optional<std::string> lowest_age_;
};

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

Status failed_precondition(const ClaimKey& key, ClaimState state, const char* op) {
  return error(ErrorCode::kFailedPrecondition,
               std::string(op) + ": claim " + key.to_string() + " is " + claim_state_name(state));
}

Status not_found(const ClaimKey& key) {
  return error(ErrorCode::kNotFound, "claim " + key.to_string() + " is unknown");
}

// Moves `c` to `to`, stamping the time. REQUIRES: transition_allowed (checked by callers).
void move(Claim& c, ClaimState to, std::int64_t now_ms) {
  c.state = to;
  c.updated_at_ms = now_ms;
}

// Makes `c` a fresh unit of work, due now (entering pending or revoking anew).
void restart_work(Claim& c, ClaimState to, std::int64_t now_ms) {
  move(c, to, now_ms);
  c.attempts = 0;
  c.last_error.clear();
  c.next_attempt_at_ms = now_ms;
}

// `c` after the sink committed what its state asked for: pending/retrying -> done;
// revoking -> revoked, or -> pending (due now) when it is to be applied again.
Claim settled(const Claim& c, std::int64_t now_ms) {
  Claim after = c;
  if (c.state == ClaimState::kRevoking && c.reapply_after_revoke) {
    restart_work(after, ClaimState::kPending, now_ms);
    after.reapply_after_revoke = false;
    return after;
  }
  move(after, c.state == ClaimState::kRevoking ? ClaimState::kRevoked : ClaimState::kDone, now_ms);
  after.last_error.clear();
  return after;
}

void take_block(Claim& c, const Claim& seen) {
  c.block_number = seen.block_number;
  c.block_hash = seen.block_hash;
  c.block_time = seen.block_time;
}

struct Sighting {
  bool created = false;
  bool revived = false;
  bool changed = false;
};

// One sighting of `seen` applied to `current` (nullopt: an unknown key). DESIGN §2: the
// only way a claim enters or re-enters the outbox.
Sighting apply_sighting(std::optional<Claim>& current, const Claim& seen, std::int64_t now_ms) {
  Sighting s;
  if (!current) {
    Claim c = seen;
    restart_work(c, ClaimState::kPending, now_ms);
    c.created_at_ms = now_ms;
    current = std::move(c);
    s.created = s.changed = true;
    return s;
  }
  Claim& c = *current;
  if ((c.sources | seen.sources) != c.sources) {
    c.sources |= seen.sources;
    s.changed = true;
  }
  if (!c.referrer && seen.referrer) {
    c.referrer = seen.referrer;
    s.changed = true;
  }
  switch (c.state) {
    case ClaimState::kOrphaned:
    case ClaimState::kRevoked:  // canonical again: replicate again
      take_block(c, seen);
      restart_work(c, ClaimState::kPending, now_ms);
      c.reapply_after_revoke = false;
      s.revived = s.changed = true;
      break;
    case ClaimState::kRevoking:
      // The revoke may or may not have reached the sink (a lost reply looks like an
      // outage), so the claim cannot simply become done again: it is applied again,
      // which is idempotent. When it came back in another block, the sink may hold rows
      // of the old one: the revoke runs first, then the apply (reapply_after_revoke).
      if (c.reapply_after_revoke || seen.block_hash != c.block_hash) {
        if (!c.reapply_after_revoke || seen.block_hash != c.block_hash) s.changed = true;
        take_block(c, seen);
        c.reapply_after_revoke = true;
        s.revived = s.changed;
      } else {
        restart_work(c, ClaimState::kPending, now_ms);
        s.revived = s.changed = true;
      }
      break;
    default: break;
  }
  if (s.changed) c.updated_at_ms = now_ms;
  return s;
}

// A claim in a state the chain still backs (as far as the store knows).
bool on_chain(ClaimState s) {
  return s == ClaimState::kPending || s == ClaimState::kRetrying || s == ClaimState::kDead ||
         s == ClaimState::kDone;
}

// The sink may hold the claim's rows: it committed them (done), or the claim was handed to
// it with an outcome unknown (sent_to_sink).
bool sink_may_hold(const Claim& c) {
  return c.state == ClaimState::kDone ||
         (c.sent_to_sink && transition_allowed(c.state, ClaimState::kRevoking) &&
          c.state != ClaimState::kRevoking);
}

enum class OffChain { kUnchanged, kOrphaned, kRevoking };

// `c` after its block left the chain (rollback_to), or after the scan of its block did not
// find it (a hint's claim from a fork): revoking when the sink may hold its rows (an
// idempotent revoke makes sure), else orphaned. Claims already off the chain stay so.
OffChain take_off_chain(Claim& c, std::int64_t now_ms) {
  if (sink_may_hold(c)) {
    restart_work(c, ClaimState::kRevoking, now_ms);
    c.reapply_after_revoke = false;
    return OffChain::kRevoking;
  }
  if (c.state == ClaimState::kRevoking && c.reapply_after_revoke) {
    c.reapply_after_revoke = false;  // its new block left the chain too
    move(c, ClaimState::kRevoking, now_ms);
    return OffChain::kRevoking;
  }
  if (transition_allowed(c.state, ClaimState::kOrphaned)) {
    move(c, ClaimState::kOrphaned, now_ms);
    return OffChain::kOrphaned;
  }
  return OffChain::kUnchanged;  // orphaned, revoking, revoked: already off the chain
}

// A claim the scan found in another block than the one a hint recorded (same key: the
// block was replaced and the tx landed at the same position). The claim takes the
// scanned block; when the sink may hold rows of the old one, they are revoked first and
// the claim applied again.
void move_to_scanned_block(Claim& c, const Claim& seen, std::int64_t now_ms) {
  const bool held = sink_may_hold(c);
  take_block(c, seen);
  if (held) {
    restart_work(c, ClaimState::kRevoking, now_ms);
    c.reapply_after_revoke = true;
  } else {
    c.updated_at_ms = now_ms;
  }
}

std::string time_bound(std::int64_t now_ms) {
  std::string k;
  put_i64_ordered(k, now_ms);
  return k;
}

}  // namespace

// ---- open ------------------------------------------------------------------------------

Result<std::unique_ptr<RocksNodeStore>> RocksNodeStore::open(const std::string& path,
                                                             const StoreIdentity* expected,
                                                             rocksdb::Env* env) {
  auto mode = expected ? RocksDb::Mode::kOpenOrCreate : RocksDb::Mode::kOpenExisting;
  auto db = RocksDb::open(path, mode, env);
  if (!db) return db.status();
  std::unique_ptr<RocksNodeStore> store(new RocksNodeStore(std::move(*db)));
  CLAIMSYNC_RETURN_IF_ERROR(store->bind_identity(expected));
  CLAIMSYNC_RETURN_IF_ERROR(store->load_mirrors());
  return store;
}

RocksNodeStore::~RocksNodeStore() = default;

Result<std::optional<StoreIdentity>> RocksNodeStore::read_identity(const RocksDb& db) {
  const std::string& path = db.path();
  auto version = db.get(Cf::kMeta, layout::meta::kSchemaVersion);
  if (!version) return version.status();
  if (!*version) return std::optional<StoreIdentity>();
  if ((*version)->size() != 4)
    return error(ErrorCode::kCorruption, "meta schema_version is malformed");
  std::uint32_t schema = ByteReader(**version).u32();
  if (schema > kSchemaVersion) {
    return error(ErrorCode::kFailedPrecondition,
                 "data dir '" + path + "' was written by a newer claimsync (schema " +
                     std::to_string(schema) + ", this binary knows up to " +
                     std::to_string(kSchemaVersion) + "); upgrade the binary");
  }
  if (schema < 1) return error(ErrorCode::kCorruption, "meta schema_version is 0");

  auto read_u64 = [&](std::string_view name) -> Result<std::uint64_t> {
    auto raw = db.get(Cf::kMeta, name);
    if (!raw) return raw.status();
    if (!*raw) return error(ErrorCode::kCorruption, "meta lacks " + std::string(name));
    return layout::decode_u64(**raw, name);
  };
  auto chain_id = read_u64(layout::meta::kChainId);
  if (!chain_id) return chain_id.status();
  auto start_block = read_u64(layout::meta::kStartBlock);
  if (!start_block) return start_block.status();
  auto contract_raw = db.get(Cf::kMeta, layout::meta::kContract);
  if (!contract_raw) return contract_raw.status();
  if (!*contract_raw || (*contract_raw)->size() != eth::Address::kSize) {
    return error(ErrorCode::kCorruption, "meta contract is missing or malformed");
  }
  StoreIdentity id;
  id.chain_id = *chain_id;
  id.start_block = *start_block;
  id.contract = eth::Address(ByteReader(**contract_raw).bytes<eth::Address::kSize>());
  return std::optional<StoreIdentity>(id);
}

Status RocksNodeStore::bind_identity(const StoreIdentity* expected) {
  const std::string& path = db_->path();
  auto stored = read_identity(*db_);
  if (!stored) return stored.status();
  if (!*stored) {
    if (!expected) return error(ErrorCode::kNotFound, "no claimsync store in '" + path + "'");
    // A new dir: bind it, durably, before anything else is written.
    Mutation m(*db_);
    std::string v;
    put_u32(v, kSchemaVersion);
    m.put(Cf::kMeta, layout::meta::kSchemaVersion, v);
    m.put(Cf::kMeta, layout::meta::kChainId, encode_u64(expected->chain_id));
    std::string contract;
    put_bytes(contract, expected->contract.bytes());
    m.put(Cf::kMeta, layout::meta::kContract, contract);
    m.put(Cf::kMeta, layout::meta::kStartBlock, encode_u64(expected->start_block));
    auto batch = m.build();
    CLAIMSYNC_RETURN_IF_ERROR(db_->write(batch, /*sync=*/true));
    identity_ = *expected;
    log_info("store_created", {{"path", path},
                               {"chain_id", expected->chain_id},
                               {"contract", expected->contract.lower_hex()},
                               {"start_block", expected->start_block}});
    return {};
  }
  identity_ = **stored;
  if (!expected) return {};

  auto mismatch = [&](const char* field, const std::string& stored_value,
                      const std::string& wanted) {
    return error(ErrorCode::kFailedPrecondition,
                 "data dir '" + path + "' is bound to " + field + " " + stored_value +
                     " but the config says " + wanted +
                     "; point data_dir at another directory or fix the config");
  };
  if (identity_.chain_id != expected->chain_id) {
    return mismatch("chain_id", std::to_string(identity_.chain_id),
                    std::to_string(expected->chain_id));
  }
  if (identity_.contract != expected->contract) {
    return mismatch("contract", identity_.contract.lower_hex(), expected->contract.lower_hex());
  }
  if (identity_.start_block != expected->start_block) {
    return mismatch("start_block", std::to_string(identity_.start_block),
                    std::to_string(expected->start_block));
  }
  return {};
}

Status RocksNodeStore::load_mirrors() {
  for (int s = 0; s < kClaimStateCount; ++s) {
    auto raw = db_->get(Cf::kCounters, layout::counter_key(static_cast<ClaimState>(s)));
    if (!raw) return raw.status();
    if (!*raw) continue;
    auto v = layout::decode_u64(**raw, "counter");
    if (!v) return v.status();
    counters_.by_state[s] = *v;
  }
  auto it = db_->iterate(Cf::kRanges);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto r = layout::decode_range(it->key().ToStringView(), it->value().ToStringView());
    if (!r) return r.status();
    ranges_.insert_raw(*r);
  }
  CLAIMSYNC_RETURN_IF_ERROR(from_rocks(it->status(), "read ranges"));
  if (!ranges_.is_merged()) return error(ErrorCode::kCorruption, "stored range marks overlap");
  return {};
}

// ---- writing ---------------------------------------------------------------------------

Status RocksNodeStore::check_writable(const char* op) const {
  if (!poisoned_.load()) return {};
  return error(ErrorCode::kFailedPrecondition,
               std::string(op) +
                   ": the store refuses writes after a failed write or read; restart the node");
}

bool RocksNodeStore::read_ok(const rocksdb::Status& st, const char* op) const {
  if (st.ok()) return true;
  poisoned_.store(true);
  log_error("store_read_failed",
            {{"op", op},
             {"error", st.ToString()},
             {"path", db_->path()},
             {"next",
              "the data dir cannot be read reliably: check the disk (dmesg), then restart the "
              "node; it refuses writes until then"}});
  return false;
}

std::optional<std::uint64_t> RocksNodeStore::checkpoint_locked() const {
  return ranges_.end_of_interval_containing(identity_.start_block);
}

Status RocksNodeStore::commit(Mutation& m, const char* op) {
  StateCounters next = counters_;  // only writers change counters_; we hold write_mu_
  for (int s = 0; s < kClaimStateCount; ++s) {
    if (m.delta(s) == 0) continue;
    auto value = static_cast<std::int64_t>(next.by_state[s]) + m.delta(s);
    if (value < 0) {
      log_error("store_counter_underflow",
                {{"op", op}, {"state", claim_state_name(static_cast<ClaimState>(s))}});
      return error(ErrorCode::kInternal, std::string(op) + ": counter underflow (a bug)");
    }
    next.by_state[s] = static_cast<std::uint64_t>(value);
    m.put(Cf::kCounters, layout::counter_key(static_cast<ClaimState>(s)),
          encode_u64(next.by_state[s]));
  }
  if (m.next_ranges) {
    auto before = checkpoint_locked();
    auto after = m.next_ranges->end_of_interval_containing(identity_.start_block);
    if (after != before) {
      if (after) {
        m.put(Cf::kMeta, layout::meta::kCheckpoint, encode_u64(*after));
      } else {
        m.del(Cf::kMeta, layout::meta::kCheckpoint);
      }
    }
  }

  auto batch = m.build();
  Status st = db_->write(batch, /*sync=*/true);
  if (!st.ok()) {
    poisoned_.store(true);
    log_error(
        "store_write_failed",
        {{"op", op},
         {"error", st.message()},
         {"path", db_->path()},
         {"next", "check free space and permissions of the data dir, then restart the node"}});
    return st;
  }

  recent_.forget(m.written_claims());
  {
    std::unique_lock lock(mirror_mu_);
    counters_ = next;
    if (m.next_ranges) ranges_ = std::move(*m.next_ranges);
  }
  if (m.lowest_due()) due_floor_.lower_to(*m.lowest_due());
  if (m.lowest_age()) age_floor_.lower_to(*m.lowest_age());
  return {};
}

// ---- reading claims ----------------------------------------------------------------------

Result<std::optional<Claim>> RocksNodeStore::read_claim(const ClaimKey& key) const {
  auto raw = db_->get(Cf::kClaims, key.encode());
  if (!raw) return raw.status();
  if (!*raw) return std::optional<Claim>();
  auto c = Claim::decode(key, **raw);
  if (!c) return c.status();
  return std::optional<Claim>(std::move(*c));
}

Result<std::vector<std::optional<Claim>>> RocksNodeStore::read_claims(
    const std::vector<ClaimKey>& keys, bool use_recent, const rocksdb::ReadOptions& read) const {
  std::vector<std::optional<Claim>> out(keys.size());
  std::vector<std::string> encoded;
  std::vector<std::size_t> missing;  // positions in `keys` still to read
  encoded.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string k = keys[i].encode();
    if (use_recent) out[i] = recent_.find(k);
    if (out[i]) continue;
    encoded.push_back(std::move(k));
    missing.push_back(i);
  }
  if (missing.empty()) return out;
  std::vector<rocksdb::Slice> slices(encoded.begin(), encoded.end());
  std::vector<rocksdb::PinnableSlice> values(missing.size());
  std::vector<rocksdb::Status> statuses(missing.size());
  db_->db().MultiGet(read, db_->cf(Cf::kClaims), missing.size(), slices.data(), values.data(),
                     statuses.data());
  for (std::size_t j = 0; j < missing.size(); ++j) {
    if (statuses[j].IsNotFound()) continue;
    CLAIMSYNC_RETURN_IF_ERROR(from_rocks(statuses[j], "read claims"));
    auto c = Claim::decode(keys[missing[j]], values[j].ToStringView());
    if (!c) return c.status();
    out[missing[j]] = std::move(*c);
  }
  return out;
}

std::vector<Claim> RocksNodeStore::claims_from_index(Cf cf, const std::string& prefix,
                                                     const std::string& start,
                                                     std::size_t limit) const {
  std::vector<ClaimKey> keys;
  rocksdb::ManagedSnapshot snapshot(&db_->db());
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  auto it = db_->iterate(cf, ro);
  for (it->Seek(start); it->Valid() && keys.size() < limit; it->Next()) {
    auto k = it->key().ToStringView();
    if (!k.starts_with(prefix)) break;
    if (k == start && start != prefix) continue;  // pagination: strictly after `start`
    auto key = layout::claim_key_suffix(k);
    if (!key) {
      log_error("store_index_corrupt",
                {{"index", layout::cf_name(cf)}, {"error", key.status().message()}});
      continue;
    }
    keys.push_back(*key);
  }
  std::vector<Claim> out;
  if (!read_ok(it->status(), "claims_from_index")) return out;
  auto claims = read_claims(keys, /*use_recent=*/false, ro);
  if (!claims) {
    log_error("store_read_failed",
              {{"index", layout::cf_name(cf)}, {"error", claims.status().message()}});
    return out;
  }
  for (auto& c : *claims) {
    if (c) out.push_back(std::move(*c));
  }
  return out;
}

// ---- follower ----------------------------------------------------------------------------

std::optional<std::uint64_t> RocksNodeStore::checkpoint() const {
  std::shared_lock lock(mirror_mu_);
  return checkpoint_locked();
}

Result<CommitOutcome> RocksNodeStore::commit_range(const BlockRange& range,
                                                   const std::vector<BlockRecord>& blocks,
                                                   const std::vector<Claim>& claims,
                                                   std::int64_t now_ms) {
  if (range.from > range.to) {
    return error(ErrorCode::kInvalidArgument, "commit_range: from " + std::to_string(range.from) +
                                                  " > to " + std::to_string(range.to));
  }
  for (const auto& c : claims) {
    if (c.block_number < range.from || c.block_number > range.to) {
      return error(ErrorCode::kInvalidArgument,
                   "commit_range: claim " + c.key.to_string() + " is in block " +
                       std::to_string(c.block_number) + ", outside the range");
    }
    if (c.key.chain_id != identity_.chain_id) {
      return error(ErrorCode::kInvalidArgument,
                   "commit_range: claim " + c.key.to_string() + " is for another chain");
    }
  }

  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("commit_range"));

  // Unique keys in first-seen order; a key seen twice in one call is merged in order.
  std::vector<ClaimKey> keys;
  std::vector<std::size_t> slot_of(claims.size());
  {
    std::unordered_map<std::string, std::size_t> slot;
    slot.reserve(claims.size());
    for (std::size_t i = 0; i < claims.size(); ++i) {
      auto [it, fresh] = slot.try_emplace(claims[i].key.encode(), keys.size());
      if (fresh) keys.push_back(claims[i].key);
      slot_of[i] = it->second;
    }
  }
  auto stored = read_claims(keys);
  if (!stored) return stored.status();
  std::vector<std::optional<Claim>> current = *stored;
  std::vector<Sighting> effect(keys.size());
  CommitOutcome out;
  for (std::size_t i = 0; i < claims.size(); ++i) {
    std::optional<Claim>& cur = current[slot_of[i]];
    Sighting& e = effect[slot_of[i]];
    if (cur && on_chain(cur->state) && cur->block_hash != claims[i].block_hash) {
      move_to_scanned_block(*cur, claims[i], now_ms);
      e.changed = true;
      ++out.claims_moved;
    }
    Sighting s = apply_sighting(cur, claims[i], now_ms);
    e.created |= s.created;
    e.revived |= s.revived;
    e.changed |= s.changed;
  }

  // Claims that hints put in this range ahead of the scan, which the scan did not find.
  std::vector<ClaimKey> unseen;
  {
    std::unordered_set<std::string> scanned_keys;
    scanned_keys.reserve(keys.size());
    for (const auto& k : keys) scanned_keys.insert(k.encode());
    auto index = db_->iterate(Cf::kByBlock);
    const std::string end = range.to == kMaxU64 ? std::string() : encode_u64(range.to + 1);
    for (index->Seek(encode_u64(range.from));
         index->Valid() && (end.empty() || index->key().compare(end) < 0); index->Next()) {
      auto key = layout::claim_key_suffix(index->key().ToStringView());
      if (!key) return key.status();
      if (!scanned_keys.count(key->encode())) unseen.push_back(*key);
    }
    CLAIMSYNC_RETURN_IF_ERROR(from_rocks(index->status(), "commit_range: read block index"));
  }
  auto unseen_claims = read_claims(unseen);
  if (!unseen_claims) return unseen_claims.status();

  Mutation m(*db_);
  for (std::size_t i = 0; i < unseen.size(); ++i) {
    if (!(*unseen_claims)[i]) {
      return error(ErrorCode::kCorruption,
                   "block index names unknown claim " + unseen[i].to_string());
    }
    const Claim& before = *(*unseen_claims)[i];
    // A claim some scan has seen is left to rollback_to: the follower rolls back before
    // it rescans a replaced block, and a rescan with other levels must not revoke.
    if ((before.sources & (kSourceScan | kSourceRescan)) != 0) continue;
    Claim after = before;
    if (take_off_chain(after, now_ms) == OffChain::kUnchanged) continue;
    ++out.claims_unfound;
    log_warn("hint_claim_not_found_by_scan",
             {{"claim", before.key.to_string()},
              {"block", before.block_number},
              {"now", claim_state_name(after.state)},
              {"next",
               "none: a hint's receipt came from a block the chain replaced; the scan is "
               "the truth"}});
    m.record(before, after);
  }
  for (std::size_t k = 0; k < keys.size(); ++k) {
    if (effect[k].created) {
      ++out.claims_new;
    } else {
      ++out.claims_known;
    }
    if (effect[k].revived) ++out.claims_revived;
    if (effect[k].changed) m.record((*stored)[k], *current[k]);
  }
  for (const auto& b : blocks) m.put(Cf::kBlocks, encode_u64(b.number), layout::encode_block(b));

  RangeSet::Merge merge = ranges_.plan_add(range);
  for (const auto& r : merge.absorbed) m.del(Cf::kRanges, encode_u64(r.from));
  m.put(Cf::kRanges, encode_u64(merge.merged.from), encode_u64(merge.merged.to));
  m.next_ranges = ranges_;
  m.next_ranges->add(range);

  CLAIMSYNC_RETURN_IF_ERROR(commit(m, "commit_range"));
  return out;
}

std::optional<BlockRecord> RocksNodeStore::block(std::uint64_t number) const {
  auto key = encode_u64(number);
  auto raw = db_->get(Cf::kBlocks, key);
  if (!raw) {
    (void)read_ok(rocksdb::Status::IOError(raw.status().message()), "block");
    return std::nullopt;
  }
  if (!*raw) return std::nullopt;
  auto b = layout::decode_block(key, **raw);
  if (!b) return std::nullopt;
  return *b;
}

std::vector<BlockRecord> RocksNodeStore::blocks_descending(std::uint64_t at_or_below,
                                                           std::size_t limit) const {
  std::vector<BlockRecord> out;
  auto it = db_->iterate(Cf::kBlocks);
  for (it->SeekForPrev(encode_u64(at_or_below)); it->Valid() && out.size() < limit; it->Prev()) {
    auto b = layout::decode_block(it->key().ToStringView(), it->value().ToStringView());
    if (!b) {
      log_error("store_block_corrupt", {{"error", b.status().message()}});
      continue;
    }
    out.push_back(*b);
  }
  if (!read_ok(it->status(), "blocks_descending")) out.clear();
  return out;
}

Result<RollbackOutcome> RocksNodeStore::rollback_to(std::uint64_t fork_point, std::int64_t now_ms) {
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("rollback_to"));
  RollbackOutcome out;
  if (fork_point == kMaxU64) return out;  // nothing can be above it
  const std::string first_dropped = encode_u64(fork_point + 1);
  Mutation m(*db_);

  auto blocks = db_->iterate(Cf::kBlocks);
  for (blocks->Seek(first_dropped); blocks->Valid(); blocks->Next()) {
    m.del(Cf::kBlocks, blocks->key().ToStringView());
    ++out.blocks_dropped;
  }
  CLAIMSYNC_RETURN_IF_ERROR(from_rocks(blocks->status(), "rollback_to: read blocks"));

  RangeSet::Truncation cut = ranges_.plan_truncate_above(fork_point);
  for (const auto& r : cut.removed) m.del(Cf::kRanges, encode_u64(r.from));
  if (cut.kept) m.put(Cf::kRanges, encode_u64(cut.kept->from), encode_u64(cut.kept->to));
  m.next_ranges = ranges_;
  m.next_ranges->truncate_above(fork_point);

  std::vector<ClaimKey> keys;
  auto index = db_->iterate(Cf::kByBlock);
  for (index->Seek(first_dropped); index->Valid(); index->Next()) {
    auto key = layout::claim_key_suffix(index->key().ToStringView());
    if (!key) return key.status();
    keys.push_back(*key);
  }
  CLAIMSYNC_RETURN_IF_ERROR(from_rocks(index->status(), "rollback_to: read block index"));
  auto claims = read_claims(keys);
  if (!claims) return claims.status();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!(*claims)[i])
      return error(ErrorCode::kCorruption,
                   "block index names unknown claim " + keys[i].to_string());
    const Claim& before = *(*claims)[i];
    Claim after = before;
    switch (take_off_chain(after, now_ms)) {
      case OffChain::kRevoking: ++out.revoking; break;
      case OffChain::kOrphaned: ++out.orphaned; break;
      case OffChain::kUnchanged: continue;
    }
    m.record(before, after);
  }

  CLAIMSYNC_RETURN_IF_ERROR(commit(m, "rollback_to"));
  log_info("store_rolled_back", {{"fork_point", fork_point},
                                 {"blocks_dropped", out.blocks_dropped},
                                 {"orphaned", out.orphaned},
                                 {"revoking", out.revoking}});
  return out;
}

Status RocksNodeStore::prune_blocks_below(std::uint64_t number) {
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("prune_blocks_below"));
  Mutation m(*db_);
  const std::string bound = encode_u64(number);
  auto it = db_->iterate(Cf::kBlocks);
  bool any = false;
  for (it->SeekToFirst(); it->Valid() && it->key().compare(bound) < 0; it->Next()) {
    m.del(Cf::kBlocks, it->key().ToStringView());
    any = true;
  }
  CLAIMSYNC_RETURN_IF_ERROR(from_rocks(it->status(), "prune_blocks_below: read blocks"));
  if (!any) return {};
  return commit(m, "prune_blocks_below");
}

std::vector<BlockRange> RocksNodeStore::ranges() const {
  std::shared_lock lock(mirror_mu_);
  return ranges_.ranges();
}

std::vector<BlockRange> RocksNodeStore::holes(std::uint64_t from, std::uint64_t to) const {
  std::shared_lock lock(mirror_mu_);
  return ranges_.holes(from, to);
}

// ---- intake ------------------------------------------------------------------------------

Result<IngestOutcome> RocksNodeStore::ingest(const Claim& claim, std::int64_t now_ms) {
  if (claim.key.chain_id != identity_.chain_id) {
    return error(ErrorCode::kInvalidArgument,
                 "ingest: claim " + claim.key.to_string() + " is for chain " +
                     std::to_string(claim.key.chain_id) + ", this store is chain " +
                     std::to_string(identity_.chain_id));
  }
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("ingest"));
  auto stored = read_claim(claim.key);
  if (!stored) return stored.status();
  std::optional<Claim> current = *stored;
  Sighting s = apply_sighting(current, claim, now_ms);
  if (s.changed) {
    Mutation m(*db_);
    m.record(*stored, *current);
    CLAIMSYNC_RETURN_IF_ERROR(commit(m, "ingest"));
  }
  return IngestOutcome{s.created, s.revived, current->sources, current->state, current->referrer};
}

Result<IngestOutcome> RocksNodeStore::ingest_hint(const Claim& claim,
                                                  const std::optional<eth::Hash32>& referral_nonce,
                                                  std::int64_t now_ms) {
  if (claim.key.chain_id != identity_.chain_id) {
    return error(ErrorCode::kInvalidArgument,
                 "ingest_hint: claim " + claim.key.to_string() + " is for chain " +
                     std::to_string(claim.key.chain_id) + ", this store is chain " +
                     std::to_string(identity_.chain_id));
  }
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("ingest_hint"));
  auto stored = read_claim(claim.key);
  if (!stored) return stored.status();
  if (ranges_.end_of_interval_containing(claim.block_number)) {
    if (!*stored || !on_chain((*stored)->state)) {
      return error(ErrorCode::kFailedPrecondition,
                   "claim " + claim.key.to_string() + " in block " +
                       std::to_string(claim.block_number) +
                       " is not on the scanned chain: that block was scanned and this "
                       "claim " +
                       (*stored ? std::string("was taken off the chain") : "was not found"));
    }
  }
  Claim seen = claim;
  IngestOutcome out;
  Mutation m(*db_);
  bool nonce_new = false;
  std::string nonce_key;
  if (referral_nonce && seen.referrer) {
    nonce_key = layout::referral_nonce_key(seen.wallet, *referral_nonce);
    auto raw = db_->get(Cf::kMeta, nonce_key);
    if (!raw)
      return error(ErrorCode::kUnavailable, "ingest_hint: read nonce: " + raw.status().message());
    if (!*raw) {
      nonce_new = true;
    } else if (**raw != seen.key.encode()) {
      seen.referrer.reset();
      out.referral_replayed = true;
    }
  }
  std::optional<Claim> current = *stored;
  Sighting s = apply_sighting(current, seen, now_ms);
  if (s.changed) m.record(*stored, *current);
  if (nonce_new) m.put(Cf::kMeta, nonce_key, seen.key.encode());
  if (s.changed || nonce_new) CLAIMSYNC_RETURN_IF_ERROR(commit(m, "ingest_hint"));
  out.created = s.created;
  out.revived = s.revived;
  out.sources = current->sources;
  out.state = current->state;
  out.referrer = current->referrer;
  return out;
}

// ---- replicator --------------------------------------------------------------------------

Result<std::vector<Claim>> RocksNodeStore::due(std::int64_t now_ms, std::size_t limit) const {
  std::vector<Claim> out;
  if (limit == 0) return out;
  const std::uint64_t generation = recent_.generation();
  ScanFloor::Snapshot floor = due_floor_.snapshot();
  // Index and claims at one snapshot: a claim replicated meanwhile is neither returned
  // nor mistaken for an index entry without its claim.
  rocksdb::ManagedSnapshot snapshot(&db_->db());
  std::string upper;
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot.snapshot();
  rocksdb::Slice upper_slice;
  if (now_ms != std::numeric_limits<std::int64_t>::max()) {
    upper = time_bound(now_ms + 1);
    upper_slice = rocksdb::Slice(upper);
    ro.iterate_upper_bound = &upper_slice;
  }
  std::vector<ClaimKey> keys;
  std::string first_live;
  auto it = db_->iterate(Cf::kDue, ro);
  for (it->Seek(floor.floor); it->Valid() && keys.size() < limit; it->Next()) {
    auto key = layout::claim_key_suffix(it->key().ToStringView());
    if (!key) return key.status();
    if (keys.empty()) first_live = it->key().ToString();
    keys.push_back(*key);
  }
  CLAIMSYNC_RETURN_IF_ERROR(from_rocks(it->status(), "due: read due index"));
  // Nothing live below the first entry found (or below `upper` if none was found).
  if (!keys.empty()) {
    due_floor_.raise_to(floor, first_live);
  } else if (!upper.empty()) {
    due_floor_.raise_to(floor, upper);
  }

  auto claims = read_claims(keys, /*use_recent=*/false, ro);
  if (!claims) return claims.status();
  out.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto& c = (*claims)[i];
    if (!c || !is_due_state(c->state)) {
      return error(ErrorCode::kCorruption,
                   "due index names claim " + keys[i].to_string() + " which is not awaiting work");
    }
    out.push_back(std::move(*c));
  }
  recent_.remember(generation, out);
  return out;
}

std::optional<std::int64_t> RocksNodeStore::head_time(Cf cf, ScanFloor& floor) const {
  ScanFloor::Snapshot seen = floor.snapshot();
  auto it = db_->iterate(cf);
  it->Seek(seen.floor);
  if (!it->Valid()) {
    (void)read_ok(it->status(), "head_time");
    return std::nullopt;
  }
  floor.raise_to(seen, it->key().ToString());
  return layout::leading_time(it->key().ToStringView());
}

std::optional<std::int64_t> RocksNodeStore::next_due_at() const {
  return head_time(Cf::kDue, due_floor_);
}

std::optional<std::int64_t> RocksNodeStore::oldest_pending_created_ms() const {
  return head_time(Cf::kByAge, age_floor_);
}

Status RocksNodeStore::mark_replicated(const std::vector<ClaimKey>& keys_in, std::int64_t now_ms) {
  std::vector<ClaimKey> keys = keys_in;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("mark_replicated"));
  auto claims = read_claims(keys, /*use_recent=*/true);
  if (!claims) return claims.status();
  Mutation m(*db_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& before = (*claims)[i];
    if (!before) return not_found(keys[i]);
    if (!is_due_state(before->state)) {
      return failed_precondition(keys[i], before->state, "mark_replicated");
    }
    m.record(before, settled(*before, now_ms));
  }
  if (keys.empty()) return {};
  return commit(m, "mark_replicated");
}

Result<std::vector<Claim>> RocksNodeStore::mark_sent(SinkOp op, const std::vector<Claim>& taken) {
  std::vector<ClaimKey> keys;
  keys.reserve(taken.size());
  std::set<ClaimKey> seen;
  for (const Claim& c : taken) {
    if (seen.insert(c.key).second) keys.push_back(c.key);
  }
  // The check and the mark under one write lock: a rollback either ran before (the claim
  // is left out) or runs after (it sees sent_to_sink and revokes).
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("mark_sent"));
  auto claims = read_claims(keys, /*use_recent=*/true);
  if (!claims) return claims.status();
  std::vector<Claim> out;
  out.reserve(keys.size());
  Mutation m(*db_);
  bool any = false;
  for (const auto& before : *claims) {
    if (!before) continue;
    const bool wanted = op == SinkOp::kApply ? is_awaiting_sink(before->state)
                                             : before->state == ClaimState::kRevoking;
    if (!wanted) continue;
    if (before->sent_to_sink) {
      out.push_back(*before);
      continue;
    }
    Claim after = *before;
    after.sent_to_sink = true;
    m.record(before, after);
    out.push_back(std::move(after));
    any = true;
  }
  if (any) CLAIMSYNC_RETURN_IF_ERROR(commit(m, "mark_sent"));
  return out;
}

Result<SettleOutcome> RocksNodeStore::settle(SinkOp op, const std::vector<Claim>& sent,
                                             std::int64_t now_ms) {
  std::vector<ClaimKey> keys;
  keys.reserve(sent.size());
  for (const Claim& c : sent) keys.push_back(c.key);
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("settle"));
  auto claims = read_claims(keys, /*use_recent=*/true);
  if (!claims) return claims.status();
  SettleOutcome out;
  Mutation m(*db_);
  std::set<ClaimKey> done_keys;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto& before = (*claims)[i];
    if (!done_keys.insert(sent[i].key).second) continue;
    const bool wanted =
        before && (op == SinkOp::kApply
                       ? is_awaiting_sink(before->state) && before->block_hash == sent[i].block_hash
                       : before->state == ClaimState::kRevoking);
    if (!wanted) {
      ++out.skipped;
      continue;
    }
    m.record(before, settled(*before, now_ms));
    ++out.settled;
  }
  if (out.settled > 0) CLAIMSYNC_RETURN_IF_ERROR(commit(m, "settle"));
  return out;
}

Result<ClaimState> RocksNodeStore::mark_failed(const ClaimKey& key, const std::string& error_text,
                                               std::int64_t retry_at_ms, std::uint32_t max_attempts,
                                               std::int64_t now_ms, std::optional<SinkOp> op) {
  if (max_attempts == 0)
    return error(ErrorCode::kInvalidArgument, "mark_failed: max_attempts must be >= 1");
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("mark_failed"));
  auto found = read_claims({key}, /*use_recent=*/true);
  if (!found) return found.status();
  const std::optional<Claim>& before = (*found)[0];
  if (!before) return not_found(key);
  if (!is_due_state(before->state)) return failed_precondition(key, before->state, "mark_failed");
  if (op && (*op == SinkOp::kRevoke) != (before->state == ClaimState::kRevoking)) {
    return failed_precondition(key, before->state, "mark_failed");  // a reorg moved it
  }

  Claim after = *before;
  after.attempts += 1;
  after.last_error = error_text;
  after.next_attempt_at_ms = retry_at_ms;
  ClaimState to = ClaimState::kRevoking;  // compensation is retried until it succeeds
  if (after.state != ClaimState::kRevoking) {
    to = after.attempts >= max_attempts ? ClaimState::kDead : ClaimState::kRetrying;
  }
  move(after, to, now_ms);
  Mutation m(*db_);
  m.record(before, after);
  CLAIMSYNC_RETURN_IF_ERROR(commit(m, "mark_failed"));
  return to;
}

Status RocksNodeStore::retry_dead(const ClaimKey& key, std::int64_t now_ms) {
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("retry_dead"));
  auto before = read_claim(key);
  if (!before) return before.status();
  if (!*before) return not_found(key);
  if ((*before)->state != ClaimState::kDead)
    return failed_precondition(key, (*before)->state, "retry_dead");
  Claim after = **before;
  restart_work(after, ClaimState::kPending, now_ms);
  Mutation m(*db_);
  m.record(*before, after);
  return commit(m, "retry_dead");
}

// ---- queries -----------------------------------------------------------------------------

std::optional<Claim> RocksNodeStore::get(const ClaimKey& key) const {
  auto c = read_claim(key);
  if (!c) {
    log_error("store_read_failed", {{"claim", key.to_string()}, {"error", c.status().message()}});
    return std::nullopt;
  }
  return *c;
}

std::vector<Claim> RocksNodeStore::list_by_state(ClaimState state, std::size_t limit,
                                                 const std::optional<ClaimKey>& after) const {
  if (is_state_indexed(state)) {
    std::string prefix = layout::state_prefix(state);
    std::string start = after ? layout::state_key(state, *after) : prefix;
    return claims_from_index(Cf::kByState, prefix, start, limit);
  }
  // pending / done: most of the outbox, so a key-order scan finds them densely.
  std::vector<Claim> out;
  const std::string start = after ? after->encode() : std::string();
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  auto it = db_->iterate(Cf::kClaims, ro);
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    if (after && it->key().ToStringView() == start) continue;
    auto key = ClaimKey::decode(it->key().ToStringView());
    auto c = key ? Claim::decode(*key, it->value().ToStringView()) : Result<Claim>(key.status());
    if (!c) {
      log_error("store_claim_corrupt", {{"error", c.status().message()}});
      continue;
    }
    if (c->state == state) out.push_back(std::move(*c));
  }
  if (!read_ok(it->status(), "list_by_state")) out.clear();
  return out;
}

std::vector<Claim> RocksNodeStore::list_by_tx(std::uint64_t chain_id, const eth::Hash32& tx) const {
  std::vector<Claim> out;
  std::string prefix = layout::tx_prefix(chain_id, tx);
  auto it = db_->iterate(Cf::kClaims);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto key = ClaimKey::decode(it->key().ToStringView());
    auto c = key ? Claim::decode(*key, it->value().ToStringView()) : Result<Claim>(key.status());
    if (!c) {
      log_error("store_claim_corrupt", {{"tx", tx.hex()}, {"error", c.status().message()}});
      continue;
    }
    out.push_back(std::move(*c));
  }
  if (!read_ok(it->status(), "list_by_tx")) out.clear();
  return out;
}

std::vector<Claim> RocksNodeStore::list_by_wallet(const eth::Address& wallet,
                                                  std::size_t limit) const {
  std::string prefix = layout::wallet_prefix(wallet);
  return claims_from_index(Cf::kByWallet, prefix, prefix, limit);
}

StateCounters RocksNodeStore::counters() const {
  std::shared_lock lock(mirror_mu_);
  return counters_;
}

Status RocksNodeStore::put_meta_unsynced(const std::string& key, const std::string& value,
                                         const char* op) {
  CLAIMSYNC_RETURN_IF_ERROR(check_writable(op));
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(Cf::kMeta), key, value);
  Status st = db_->write(batch, /*sync=*/false);
  if (!st.ok()) {
    poisoned_.store(true);
    log_error(
        "store_write_failed",
        {{"op", op},
         {"error", st.message()},
         {"next", "check free space and permissions of the data dir, then restart the node"}});
  }
  return st;
}

Status RocksNodeStore::put_note(const std::string& name, const std::string& value) {
  std::lock_guard write_lock(write_mu_);
  // A note is advisory; not worth an fsync.
  return put_meta_unsynced(std::string(layout::meta::kNotePrefix) + name, value, "put_note");
}

std::optional<std::string> RocksNodeStore::note(const std::string& name) const {
  auto raw = db_->get(Cf::kMeta, std::string(layout::meta::kNotePrefix) + name);
  if (!raw) return std::nullopt;
  return *raw;
}

// ---- reconcile repair (issue 14) ---------------------------------------------------------

// Only legal moves of claim_transitions, at most two in one batch (X -> pending -> revoking),
// so the claim reaches the replicator the way a reorg would send it.
Result<RequeueOutcome> RocksNodeStore::requeue_for_repair(SinkOp op,
                                                          const std::vector<Claim>& claims,
                                                          std::int64_t now_ms) {
  std::lock_guard write_lock(write_mu_);
  CLAIMSYNC_RETURN_IF_ERROR(check_writable("requeue_for_repair"));
  RequeueOutcome out;
  Mutation m(*db_);
  std::set<std::string> seen;
  for (const Claim& wanted : claims) {
    if (wanted.key.chain_id != identity_.chain_id || !seen.insert(wanted.key.encode()).second) {
      ++out.skipped;
      out.skipped_keys.push_back(wanted.key);
      continue;
    }
    auto stored = read_claim(wanted.key);
    if (!stored) return stored.status();
    std::optional<Claim> after = *stored;
    bool moved = false;
    if (op == SinkOp::kApply) {
      if (after && after->state == ClaimState::kDone) {
        restart_work(*after, ClaimState::kRevoking, now_ms);
        after->reapply_after_revoke = true;
        moved = true;
      }
    } else if (!after) {
      Claim c = wanted;
      restart_work(c, ClaimState::kRevoking, now_ms);
      c.created_at_ms = now_ms;
      c.sent_to_sink = true;
      c.reapply_after_revoke = false;
      after = std::move(c);
      moved = true;
    } else if (after->state != ClaimState::kRevoking &&
               (transition_allowed(after->state, ClaimState::kRevoking) ||
                (transition_allowed(after->state, ClaimState::kPending) &&
                 transition_allowed(ClaimState::kPending, ClaimState::kRevoking)))) {
      restart_work(*after, ClaimState::kRevoking, now_ms);
      after->sources |= wanted.sources;
      after->sent_to_sink = true;
      after->reapply_after_revoke = false;
      moved = true;
    }
    if (!moved) {
      ++out.skipped;
      out.skipped_keys.push_back(wanted.key);
      continue;
    }
    m.record(*stored, *after);
    ++out.requeued;
  }
  if (out.requeued > 0) CLAIMSYNC_RETURN_IF_ERROR(commit(m, "requeue_for_repair"));
  return out;
}

}  // namespace claimsync::store
