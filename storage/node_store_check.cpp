#include "storage/node_store_check.hpp"

#include <vector>

#include "storage/claim_indexes.hpp"
#include "storage/range_set.hpp"
#include "storage/rocks_node_store.hpp"

namespace claimsync::store {
namespace {

using layout::Cf;

constexpr std::size_t kMaxProblems = 10;

class Problems {
 public:
  void add(std::string p) {
    ++count_;
    if (list_.size() < kMaxProblems) list_.push_back(std::move(p));
  }
  Status status() const {
    if (count_ == 0) return {};
    std::string msg = std::to_string(count_) + " problem(s) in the node store:";
    for (const auto& p : list_) msg += " [" + p + "]";
    return error(ErrorCode::kCorruption, msg);
  }

 private:
  std::vector<std::string> list_;
  std::size_t count_ = 0;
};

class Checker {
 public:
  // Reads one consistent snapshot, so a check of an open store may run beside writers.
  Checker(RocksDb& db, const StoreIdentity& identity)
      : db_(db), identity_(identity), snapshot_(db.db().GetSnapshot()) {
    read_.snapshot = snapshot_;
    read_.total_order_seek = true;
  }
  ~Checker() { db_.db().ReleaseSnapshot(snapshot_); }
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  Status run() {
    const auto& specs = claim_indexes();
    std::vector<std::uint64_t> expected_entries(specs.size(), 0);
    std::array<std::uint64_t, kClaimStateCount> recount{};
    auto it = db_.iterate(Cf::kClaims, read_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto key = ClaimKey::decode(it->key().ToStringView());
      auto claim =
          key ? Claim::decode(*key, it->value().ToStringView()) : Result<Claim>(key.status());
      if (!claim) {
        problems_.add(claim.status().message());
        continue;
      }
      ++recount[static_cast<int>(claim->state)];
      for (std::size_t i = 0; i < specs.size(); ++i)
        expected_entries[i] += index_entry(specs[i], *claim) ? 1 : 0;
    }
    if (!it->status().ok()) problems_.add("reading claims: " + it->status().ToString());

    check_counters(recount);
    for (std::size_t i = 0; i < specs.size(); ++i) check_index(specs[i], expected_entries[i]);
    check_ranges();
    return problems_.status();
  }

 private:
  void check_counters(const std::array<std::uint64_t, kClaimStateCount>& recount) {
    for (int s = 0; s < kClaimStateCount; ++s) {
      auto raw = db_.get(Cf::kCounters, layout::counter_key(static_cast<ClaimState>(s)), read_);
      std::uint64_t stored = 0;
      if (raw && *raw) {
        auto v = layout::decode_u64(**raw, "counter");
        if (v) stored = *v;
        if (!v) problems_.add(v.status().message());
      }
      if (stored != recount[s]) {
        problems_.add(std::string("counter ") + claim_state_name(static_cast<ClaimState>(s)) +
                      " is " + std::to_string(stored) + ", recount " + std::to_string(recount[s]));
      }
    }
  }

  // Every entry names a claim that maps to exactly this entry, and there are as many
  // entries as claims that need one: together, a bijection.
  void check_index(const ClaimIndex& spec, std::uint64_t expected) {
    const char* name = layout::cf_name(spec.cf);
    std::uint64_t entries = 0;
    auto it = db_.iterate(spec.cf, read_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++entries;
      auto entry = it->key().ToString();
      auto key = layout::claim_key_suffix(entry);
      if (!key) {
        problems_.add(std::string(name) + ": " + key.status().message());
        continue;
      }
      auto raw = db_.get(Cf::kClaims, key->encode(), read_);
      if (!raw || !*raw) {
        problems_.add(std::string(name) + " names missing claim " + key->to_string());
        continue;
      }
      auto claim = Claim::decode(*key, **raw);
      if (!claim) continue;  // reported by the claims scan
      auto want = index_entry(spec, *claim);
      if (!want || *want != entry) {
        problems_.add(std::string(name) + " entry for " + key->to_string() +
                      " does not match the claim (state " + claim_state_name(claim->state) + ")");
      }
    }
    if (!it->status().ok())
      problems_.add(std::string("reading ") + name + ": " + it->status().ToString());
    if (entries != expected) {
      problems_.add(std::string(name) + " has " + std::to_string(entries) +
                    " entries, claims need " + std::to_string(expected));
    }
  }

  void check_ranges() {
    RangeSet set;
    auto it = db_.iterate(Cf::kRanges, read_);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      auto r = layout::decode_range(it->key().ToStringView(), it->value().ToStringView());
      if (!r) {
        problems_.add(r.status().message());
        continue;
      }
      set.insert_raw(*r);
    }
    if (!set.is_merged()) problems_.add("range marks overlap or touch (not merged)");

    auto derived = set.end_of_interval_containing(identity_.start_block);
    std::optional<std::uint64_t> stored;
    auto raw = db_.get(Cf::kMeta, layout::meta::kCheckpoint, read_);
    if (raw && *raw) {
      auto v = layout::decode_u64(**raw, "checkpoint");
      if (v) stored = *v;
    }
    auto show = [](std::optional<std::uint64_t> v) {
      return v ? std::to_string(*v) : std::string("none");
    };
    if (stored != derived) {
      problems_.add("checkpoint is " + show(stored) + ", ranges say " + show(derived));
    }
    if (stored &&
        (*stored < identity_.start_block || !set.holes(identity_.start_block, *stored).empty())) {
      problems_.add("checkpoint " + show(stored) + " lies beyond a hole");
    }
  }

  RocksDb& db_;
  StoreIdentity identity_;
  const rocksdb::Snapshot* snapshot_;
  rocksdb::ReadOptions read_;
  Problems problems_;
};

}  // namespace

Status verify_store_invariants(NodeStore& store) {
  auto* rocks = dynamic_cast<RocksNodeStore*>(&store);
  if (rocks == nullptr)
    return error(ErrorCode::kInvalidArgument, "verify_store_invariants: not a RocksDB store");
  return Checker(rocks->rocks(), store.identity()).run();
}

Status verify_store_invariants(const std::string& path) {
  // The raw DB, not a NodeStore: opening a store refuses some of what we want to report.
  auto db = RocksDb::open(path, RocksDb::Mode::kOpenExisting);
  if (!db) return db.status();
  auto identity = RocksNodeStore::read_identity(**db);
  if (!identity) return identity.status();
  if (!*identity) return error(ErrorCode::kNotFound, "no claimsync store in '" + path + "'");
  return Checker(**db, **identity).run();
}

}  // namespace claimsync::store
