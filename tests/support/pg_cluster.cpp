#include "tests/support/pg_cluster.hpp"

#include <libpq-fe.h>
#include <signal.h>

#include <cctype>
#include <memory>
#include <stdexcept>

namespace claimsync::testing {
namespace {

const char* const kPgBin = "/usr/lib/postgresql/15/bin/";
const char* const kOsUser = "postgres";

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string conninfo(unsigned short port, const std::string& db) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=" + db +
         " connect_timeout=5";
}

ConnPtr connect_or_throw(unsigned short port, const std::string& db) {
  ConnPtr conn(PQconnectdb(conninfo(port, db).c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("PgCluster: cannot connect to " + db + ": " +
                             PQerrorMessage(conn.get()));
  }
  return conn;
}

ResultPtr run(PGconn* conn, const std::string& sql, const std::vector<std::string>& params) {
  ResultPtr res;
  if (params.empty()) {
    res.reset(PQexec(conn, sql.c_str()));
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.c_str());
    res.reset(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0));
  }
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    throw std::runtime_error("PgCluster: query failed: " + std::string(PQerrorMessage(conn)) +
                             " [" + sql + "]");
  }
  return res;
}

}  // namespace

PgCluster::PgCluster(PgClusterOptions options)
    : options_(std::move(options)), dir_("claimsync-pg") {
  data_dir_ = dir_.file("data");
  socket_dir_ = dir_.path();
  log_file_ = dir_.file("postgres.log");
  SpawnOptions as_postgres;
  as_postgres.run_as_user = kOsUser;
  as_postgres.working_dir = dir_.path();
  const RunResult init =
      run_command({std::string(kPgBin) + "initdb", "-D", data_dir_, "-U", "postgres",
                   "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"},
                  std::chrono::milliseconds(120'000), as_postgres);
  if (init.exit_code != 0) {
    throw std::runtime_error("PgCluster: initdb failed (" + std::to_string(init.exit_code) +
                             "): " + init.output);
  }
  port_ = free_loopback_port();
  launch();
  create_database(options_.database);
}

PgCluster::~PgCluster() {
  try {
    stop();
  } catch (...) {
    // The ChildProcess destructor SIGKILLs the process group as a last resort.
  }
}

std::string PgCluster::url(const std::string& db) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" +
         (db.empty() ? options_.database : db);
}

void PgCluster::launch() {
  std::vector<std::string> argv = {std::string(kPgBin) + "postgres",
                                   "-D",
                                   data_dir_,
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + socket_dir_,
                                   "-c",
                                   "fsync=off",
                                   "-c",
                                   "synchronous_commit=off",
                                   "-c",
                                   "full_page_writes=off",
                                   "-c",
                                   "max_connections=50",
                                   "-c",
                                   "dynamic_shared_memory_type=mmap"};
  for (const auto& s : options_.settings) {
    argv.push_back("-c");
    argv.push_back(s);
  }
  SpawnOptions opts;
  opts.run_as_user = kOsUser;
  opts.output_file = log_file_;
  opts.working_dir = dir_.path();
  server_ = ChildProcess::spawn(argv, opts);
  const std::string info = conninfo(port_, "postgres");
  const bool up =
      wait_until([&] { return !server_.running() || PQping(info.c_str()) == PQPING_OK; },
                 options_.start_timeout, std::chrono::milliseconds(50));
  if (!up || !server_.running()) {
    throw std::runtime_error("PgCluster: server did not start on port " + std::to_string(port_) +
                             ": " + log_tail());
  }
}

void PgCluster::stop() {
  if (!server_.running()) return;
  server_.signal(SIGINT);  // fast shutdown: terminate sessions, checkpoint, exit
  if (!server_.wait(std::chrono::milliseconds(30'000)))
    server_.stop(std::chrono::milliseconds(1000));
}

void PgCluster::kill() {
  if (!server_.running()) return;
  ::kill(-server_.pid(), SIGKILL);  // the postmaster leads its backends' process group
  server_.wait(std::chrono::milliseconds(10'000));
  // Orphaned backends notice the dead postmaster and exit; wait until the port is free.
  const std::string info = conninfo(port_, "postgres");
  wait_until([&] { return PQping(info.c_str()) == PQPING_NO_RESPONSE; },
             std::chrono::milliseconds(10'000));
}

void PgCluster::start() {
  if (server_.running()) return;
  launch();
}

bool PgCluster::running() { return server_.running(); }

void PgCluster::create_database(const std::string& name) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      throw std::runtime_error("PgCluster: bad database name " + name);
    }
  }
  exec("CREATE DATABASE " + name, {}, "postgres");
}

std::vector<PgRow> PgCluster::query(const std::string& sql, const std::vector<std::string>& params,
                                    const std::string& db) const {
  ConnPtr conn = connect_or_throw(port_, db.empty() ? options_.database : db);
  ResultPtr res = run(conn.get(), sql, params);
  std::vector<PgRow> rows;
  const int n = PQntuples(res.get());
  const int m = PQnfields(res.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    PgRow row;
    row.reserve(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) {
      if (PQgetisnull(res.get(), i, j)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res.get(), i, j),
                                     static_cast<std::size_t>(PQgetlength(res.get(), i, j))));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void PgCluster::exec(const std::string& sql, const std::vector<std::string>& params,
                     const std::string& db) const {
  ConnPtr conn = connect_or_throw(port_, db.empty() ? options_.database : db);
  run(conn.get(), sql, params);
}

std::string PgCluster::scalar(const std::string& sql, const std::vector<std::string>& params,
                              const std::string& db) const {
  const auto rows = query(sql, params, db);
  if (rows.size() != 1 || rows[0].size() != 1) {
    throw std::runtime_error("PgCluster: scalar query returned " + std::to_string(rows.size()) +
                             " rows [" + sql + "]");
  }
  return rows[0][0].value_or("");
}

std::string PgCluster::dump_table(const std::string& table, const std::string& order_by,
                                  const std::string& columns) const {
  std::string out;
  for (const auto& row : query("SELECT " + columns + " FROM " + table + " ORDER BY " + order_by)) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (j) out += '|';
      out += row[j].value_or("\\N");
    }
    out += '\n';
  }
  return out;
}

std::string PgCluster::log_tail() const {
  const std::string log = read_file(log_file_);
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

}  // namespace claimsync::testing
