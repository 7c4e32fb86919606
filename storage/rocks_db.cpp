#include "storage/rocks_db.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_buffer_manager.h>

#include <filesystem>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "rpc/logging.hpp"

namespace claimsync::store {
namespace {

using layout::Cf;

// Memory bounds (the store must stay well under 150 MB RSS whatever the outbox size).
constexpr std::size_t kBlockCacheBytes = 32u << 20;
constexpr std::size_t kWriteBufferBudget = 64u << 20;  // all memtables together
constexpr std::size_t kClaimsWriteBuffer = 16u << 20;
constexpr std::size_t kIndexWriteBuffer = 8u << 20;
constexpr std::uint64_t kMaxTotalWalBytes = 128u << 20;
constexpr std::size_t kMemtableBuckets = 65536;
constexpr std::size_t kClaimsPrefix = 8 + 4;  // chain id + the first bytes of the tx hash
constexpr std::size_t kWalletPrefix = 20;     // the wallet

std::shared_ptr<rocksdb::Cache> make_block_cache() {
  rocksdb::LRUCacheOptions o;
  o.capacity = kBlockCacheBytes;
  o.high_pri_pool_ratio = 0.5;  // index and filter partitions outlive data blocks
  return rocksdb::NewLRUCache(o);
}

struct Shared {
  std::shared_ptr<rocksdb::Cache> cache = make_block_cache();
  std::shared_ptr<rocksdb::WriteBufferManager> buffers =
      // allow_stall: a writer waits for flushes rather than letting memtables outgrow the
      // budget when compaction lags (the 2-core machine is shared). RocksDB 7.8 can hang
      // here when the budget, not a family's own buffer, triggers the flush (it flushes
      // the family with the oldest memtable, which may free nothing): seen with a 40 MB
      // budget charged to the cache (bench/RESULTS.md, session 7); the families' own
      // limits make that rare at 64 MB.
      std::make_shared<rocksdb::WriteBufferManager>(kWriteBufferBudget, nullptr,
                                                    /*allow_stall=*/true);
};

// RocksDB frees memtables after each flush and compaction buffers after each compaction,
// in blocks of megabytes, amid the block cache's small blocks. glibc keeps such freed
// holes inside its heap, so RSS would creep up with the volume written rather than with
// what is in use. Handing free pages back after those events keeps RSS bounded; the call
// costs well under a millisecond per flush (one flush per tens of thousands of claims).
class ReleaseFreedMemory : public rocksdb::EventListener {
 public:
  explicit ReleaseFreedMemory(std::shared_ptr<rocksdb::Cache> cache) : cache_(std::move(cache)) {}
  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo&) override {
    release();
    log_memory(*db);
  }
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override {
    release();
  }

 private:
  static void release() {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  }

  // Where the store's memory is, once per flush (debug): memtables (active + immutable
  // not yet flushed), the block cache (of it pinned), table readers outside the cache,
  // and the process heap as glibc sees it after the trim.
  void log_memory(rocksdb::DB& db) const {
    auto prop_kb = [&db](const char* name) {
      std::uint64_t v = 0;
      db.GetAggregatedIntProperty(name, &v);
      return v >> 10;
    };
    std::uint64_t heap_kb = 0, in_use_kb = 0, free_kb = 0;
#ifdef __GLIBC__
    const struct mallinfo2 mi = mallinfo2();
    heap_kb = (mi.arena + mi.hblkhd) >> 10;
    in_use_kb = (mi.uordblks + mi.hblkhd) >> 10;
    free_kb = mi.fordblks >> 10;
#endif
    log_event(
        LogLevel::kDebug, "store_memory",
        {{"memtables_kb", prop_kb("rocksdb.size-all-mem-tables")},
         {"active_memtables_kb", prop_kb("rocksdb.cur-size-active-mem-table")},
         {"table_readers_kb", prop_kb("rocksdb.estimate-table-readers-mem")},
         {"block_cache_kb", static_cast<std::uint64_t>(cache_->GetUsage() >> 10)},
         {"block_cache_pinned_kb", static_cast<std::uint64_t>(cache_->GetPinnedUsage() >> 10)},
         {"heap_kb", heap_kb},
         {"heap_in_use_kb", in_use_kb},
         {"heap_free_kb", free_kb}});
  }

  std::shared_ptr<rocksdb::Cache> cache_;
};

rocksdb::DBOptions db_options(const Shared& shared) {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;  // a 2-core machine shared with the node's other work
  o.max_open_files = 256;
  o.keep_log_file_num = 3;
  o.max_log_file_size = 8u << 20;
  o.max_total_wal_size = kMaxTotalWalBytes;  // flushes idle families so old WALs go away
  o.write_buffer_manager = shared.buffers;
  o.bytes_per_sync = 1u << 20;
  // Overwriting a recycled WAL file makes each commit's fdatasync cheaper (no file-size
  // metadata to journal); compatible with the default point-in-time WAL recovery.
  o.recycle_log_file_num = 2;
  o.allow_concurrent_memtable_write = false;  // hashed memtables need it; we have one writer
  o.listeners.push_back(std::make_shared<ReleaseFreedMemory>(shared.cache));
  return o;
}

bool is_deletion_heavy(Cf cf) { return cf == Cf::kDue || cf == Cf::kByAge; }

rocksdb::ColumnFamilyOptions cf_options(Cf cf, const Shared& shared) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = cf == Cf::kClaims ? kClaimsWriteBuffer : kIndexWriteBuffer;
  o.max_write_buffer_number = 2;
  o.compression = rocksdb::kLZ4Compression;
  o.level_compaction_dynamic_level_bytes = true;

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = shared.cache;
  // Index and filter blocks are charged to the bounded cache (memory stays independent of
  // the outbox size), partitioned so that a random lookup loads one small partition, not
  // a file's whole index, and stored uncompressed so a cache miss costs no decompression.
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  t.pin_top_level_index_and_filter = true;
  t.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  t.metadata_block_size = 4u << 10;
  t.enable_index_compression = false;
  // Claims are read by random key (due work, lookups): small blocks mean less to read,
  // checksum and decompress per claim. The index families are scanned in order.
  t.block_size = cf == Cf::kClaims ? 4u << 10 : 16u << 10;
  t.format_version = 5;
  if (cf == Cf::kClaims) {
    // Every ingest asks "is this key known?"; most answers are "no".
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    t.partition_filters = true;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));

  if (cf == Cf::kClaims || cf == Cf::kByWallet) {
    // Random keys (tx hashes, wallets): a hashed memtable puts each insert into a small
    // bucket instead of walking one big skiplist, the largest CPU cost of a range commit.
    // Lookups by tx / by wallet are prefix seeks; ordered scans of the whole family set
    // ReadOptions::total_order_seek (rare: listing pending/done, invariant checks).
    o.prefix_extractor.reset(
        rocksdb::NewFixedPrefixTransform(cf == Cf::kClaims ? kClaimsPrefix : kWalletPrefix));
    o.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(kMemtableBuckets));
  }
  if (cf == Cf::kClaims) {
    o.memtable_whole_key_filtering = true;  // "unknown key" answered without a bucket walk
    o.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (cf == Cf::kDue || cf == Cf::kByBlock || cf == Cf::kByAge) {
    // Keys of one batch share their 8-byte time / block prefix: insert next to the last one.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));
  }
  if (is_deletion_heavy(cf)) {
    // Queue-like families: the head fills with tombstones as work drains; compact files
    // dense with deletions so scans from the head stay cheap.
    o.table_properties_collector_factories.push_back(
        rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/16384,
                                                      /*deletion_trigger=*/8192));
  }
  return o;
}

}  // namespace

Status from_rocks(const rocksdb::Status& s, const std::string& context) {
  if (s.ok()) return {};
  std::string msg = context + ": " + s.ToString();
  if (s.IsCorruption()) return error(ErrorCode::kCorruption, msg);
  if (s.IsNotFound()) return error(ErrorCode::kNotFound, msg);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return error(ErrorCode::kFailedPrecondition,
                 msg + " (is another claimsync process using this data dir? stop it first)");
  }
  if (s.IsInvalidArgument()) return error(ErrorCode::kInvalidArgument, msg);
  return error(ErrorCode::kIOError, msg);
}

bool RocksDb::exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(path) / "CURRENT", ec);
}

Result<std::unique_ptr<RocksDb>> RocksDb::open(const std::string& path, Mode mode,
                                               rocksdb::Env* env) {
  bool existed = exists(path);
  if (!existed && mode == Mode::kOpenExisting) {
    return error(ErrorCode::kNotFound, "no claimsync data dir at '" + path + "'");
  }
  if (!existed) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
      return error(ErrorCode::kIOError, "cannot create data dir '" + path + "': " + ec.message());
  }

  Shared shared;
  rocksdb::DBOptions options = db_options(shared);
  if (env != nullptr) options.env = env;

  // Our families first, in enum order, then any the dir has that we do not know.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < layout::kCfCount; ++i) {
    auto cf = static_cast<Cf>(i);
    descriptors.emplace_back(layout::cf_name(cf), cf_options(cf, shared));
  }
  if (existed) {
    std::vector<std::string> names;
    auto s = rocksdb::DB::ListColumnFamilies(options, path, &names);
    if (!s.ok()) return from_rocks(s, "list column families of '" + path + "'");
    for (const auto& name : names) {
      bool known = false;
      for (const auto& d : descriptors) known = known || d.name == name;
      if (!known) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
  }

  std::unique_ptr<RocksDb> out(new RocksDb());
  out->path_ = path;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, path, descriptors, &out->all_handles_, &raw);
  if (!s.ok()) return from_rocks(s, "open data dir '" + path + "'");
  out->db_.reset(raw);
  for (int i = 0; i < layout::kCfCount; ++i) out->handles_[i] = out->all_handles_[i];
  return out;
}

RocksDb::~RocksDb() {
  if (!db_) return;
  for (auto* h : all_handles_) db_->DestroyColumnFamilyHandle(h);
  auto s = db_->Close();
  if (!s.ok()) log_warn("store_close_failed", {{"error", s.ToString()}});
}

Status RocksDb::write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return from_rocks(db_->Write(wo, &batch), "write batch");
}

Result<std::optional<std::string>> RocksDb::get(layout::Cf which, std::string_view key,
                                                const rocksdb::ReadOptions& options) const {
  std::string value;
  auto s = db_->Get(options, cf(which), rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return from_rocks(s, std::string("read ") + layout::cf_name(which));
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<rocksdb::Iterator> RocksDb::iterate(layout::Cf which,
                                                    const rocksdb::ReadOptions& options) const {
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, cf(which)));
}

}  // namespace claimsync::store
