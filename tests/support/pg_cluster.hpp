// PgCluster: a throwaway PostgreSQL 15 cluster owned by one test (or bench).
//
//   testing::PgCluster pg;                       // initdb + start + CREATE DATABASE claimsync
//   auto sink = store::open_sink(pg.url(), true);
//   auto rows = pg.query("SELECT wallet_address, current_level FROM members ORDER BY 1");
//   CHECK(rows.at(0).at(1) == "3");
//   pg.stop();   // outage: connections are refused (port and data dir are kept)
//   pg.start();  // back, same port, same data
//
// How: `initdb` (trust auth, UTF8, C locale) into a TempDir and the `postgres` server run
// directly as a ChildProcess as OS user `postgres` (we run as root; postgres refuses
// root), listening on 127.0.0.1:<free port> only, its unix socket inside the temp dir,
// fsync off (tests do not survive power loss anyway). The destructor stops the server
// and removes the directory (unless CLAIMSYNC_KEEP_TEST_DIRS is set).
//
// Errors in the harness itself (initdb fails, server does not come up, a query fails)
// throw std::runtime_error with the server log tail: a broken environment, not a result.
// Not thread-safe; query() opens a short-lived libpq connection per call, so it may be
// used while the code under test holds its own connections.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace claimsync::testing {

struct PgClusterOptions {
  std::string database = "claimsync";  // created at construction; url() points at it
  std::vector<std::string> settings;   // extra server settings, "key=value" (-c key=value)
  std::chrono::milliseconds start_timeout{30'000};
};

// One result row: each column as text, std::nullopt for SQL NULL.
using PgRow = std::vector<std::optional<std::string>>;

class PgCluster {
 public:
  explicit PgCluster(PgClusterOptions options = {});
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  unsigned short port() const { return port_; }
  const std::string& database() const { return options_.database; }
  // postgres://postgres@127.0.0.1:PORT/DB (DB defaults to database()).
  std::string url(const std::string& db = "") const;
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_file() const { return log_file_; }

  // Fast shutdown (SIGINT: clients are disconnected, the server exits cleanly). After it,
  // connections to url() are refused. No-op if already stopped.
  void stop();
  // Abrupt crash of the whole server (SIGKILL to the postmaster's process group).
  void kill();
  // Starts the server again on the same port and data dir; returns once it accepts
  // connections. No-op if running.
  void start();
  bool running();

  // CREATE DATABASE name (name must be a plain identifier).
  void create_database(const std::string& name);

  // Runs one statement (or several, without params) and returns its rows as text. Params
  // are bound as text ($1, $2, ...). Throws std::runtime_error on any error.
  std::vector<PgRow> query(const std::string& sql, const std::vector<std::string>& params = {},
                           const std::string& db = "") const;
  // Runs SQL that returns no rows (may contain several statements when params is empty).
  void exec(const std::string& sql, const std::vector<std::string>& params = {},
            const std::string& db = "") const;
  // The single value of a one-row, one-column query ("" for NULL).
  std::string scalar(const std::string& sql, const std::vector<std::string>& params = {},
                     const std::string& db = "") const;
  // Whole-table dump as one string, rows sorted by `order_by` (e.g. "1,2"), columns
  // separated by '|', NULL printed as "\N". For comparing table contents in tests.
  std::string dump_table(const std::string& table, const std::string& order_by = "1",
                         const std::string& columns = "*") const;

 private:
  void launch();
  std::string log_tail() const;

  PgClusterOptions options_;
  TempDir dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_file_;
  unsigned short port_ = 0;
  ChildProcess server_;
};

}  // namespace claimsync::testing
