// RocksDb: owns one open rocksdb::DB and its column family handles (RAII, non-copyable).
//
// Opening creates any missing column family of store_layout.hpp and also opens column
// families this binary does not know (a newer schema may add some; RocksDB refuses to
// open a DB without all of them). Memory is bounded independently of the data size:
// one shared block cache and one write-buffer budget for all column families, and memory
// freed after flushes and compactions is handed back to the OS (see rocks_db.cpp), so RSS
// does not creep with the volume written.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/status.hpp"
#include "storage/store_layout.hpp"

namespace claimsync::store {

class RocksDb {
 public:
  enum class Mode { kOpenOrCreate, kOpenExisting };

  // kNotFound (kOpenExisting only) if `path` holds no RocksDB; kFailedPrecondition if
  // another process holds the dir's lock; kIOError / kCorruption from RocksDB otherwise.
  // `env` (tests only) replaces RocksDB's default environment, e.g. to inject I/O faults.
  static Result<std::unique_ptr<RocksDb>> open(const std::string& path, Mode mode,
                                               rocksdb::Env* env = nullptr);
  // True if `path` looks like a RocksDB dir (has a CURRENT file).
  static bool exists(const std::string& path);

  ~RocksDb();
  RocksDb(const RocksDb&) = delete;
  RocksDb& operator=(const RocksDb&) = delete;

  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* cf(layout::Cf which) const {
    return handles_[static_cast<int>(which)];
  }
  const std::string& path() const { return path_; }

  // Writes the batch atomically; sync=true means durable on return (fsync of the WAL).
  Status write(rocksdb::WriteBatch& batch, bool sync);
  // nullopt if absent.
  Result<std::optional<std::string>> get(layout::Cf which, std::string_view key,
                                         const rocksdb::ReadOptions& options = {}) const;
  std::unique_ptr<rocksdb::Iterator> iterate(layout::Cf which,
                                             const rocksdb::ReadOptions& options = {}) const;

 private:
  RocksDb() = default;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, layout::kCfCount> handles_{};
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles_;  // ours + unknown ones, owned
};

// Maps a RocksDB status to ours, prefixed with `context`.
Status from_rocks(const rocksdb::Status& s, const std::string& context);

}  // namespace claimsync::store
