#include "storage/pg_connection.hpp"

namespace claimsync::store {
namespace {

void discard_notice(void*, const char*) {}

std::string field(const PGresult* r, int code) {
  const char* v = r ? PQresultErrorField(r, code) : nullptr;
  return v ? v : "";
}

// "SQLSTATE 23505: duplicate key value ... (Key (x)=(y) already exists.)"
std::string describe(PGconn* conn, const PGresult* r, const std::string& sqlstate) {
  std::string primary = field(r, PG_DIAG_MESSAGE_PRIMARY);
  if (primary.empty()) primary = conn ? PQerrorMessage(conn) : "no connection";
  while (!primary.empty() && (primary.back() == '\n' || primary.back() == ' ')) primary.pop_back();
  std::string msg = sqlstate.empty() ? primary : "SQLSTATE " + sqlstate + ": " + primary;
  const std::string detail = field(r, PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) msg += " (" + detail + ")";
  return msg;
}

}  // namespace

ErrorCode classify_sqlstate(std::string_view s) {
  if (s.size() != 5) return ErrorCode::kUnavailable;  // connection-level: no server answer
  const std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || s == "57P01" || s == "57P02" || s == "57P03" || s == "40001" ||
      s == "40P01") {
    return ErrorCode::kUnavailable;
  }
  if (s == "57014" || s == "55P03") return ErrorCode::kTimeout;
  if (cls == "42" || cls == "0A" || cls == "3F" || cls == "25")
    return ErrorCode::kFailedPrecondition;
  return ErrorCode::kInvalidArgument;
}

Result<PgConnection> PgConnection::connect(const std::string& url) {
  // dbname comes last: with expand_dbname the URL's own settings override these defaults.
  const char* keys[] = {"connect_timeout",     "keepalives",       "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "application_name",    "dbname",           nullptr};
  const char* values[] = {"10", "1", "10", "5", "3", "30000", "claimsync", url.c_str(), nullptr};
  PgConnection c(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!c.conn_) return error(ErrorCode::kUnavailable, "postgres: out of memory");
  if (PQstatus(c.conn_.get()) != CONNECTION_OK) {
    return error(ErrorCode::kUnavailable,
                 "postgres: cannot connect: " + describe(c.conn_.get(), nullptr, ""));
  }
  PQsetNoticeProcessor(c.conn_.get(), discard_notice, nullptr);
  return c;
}

bool PgConnection::healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

Status PgConnection::reset() {
  if (!conn_) return error(ErrorCode::kUnavailable, "postgres: no connection");
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return error(ErrorCode::kUnavailable,
                 "postgres: cannot reconnect: " + describe(conn_.get(), nullptr, ""));
  }
  return {};
}

Result<PgResult> PgConnection::check(PGresult* raw) {
  PgResult result(raw);
  const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return result;
  const std::string sqlstate = field(raw, PG_DIAG_SQLSTATE);
  ErrorCode code = classify_sqlstate(sqlstate);
  if (!healthy()) code = ErrorCode::kUnavailable;  // lost mid-call: nothing to blame on data
  return error(code, "postgres: " + describe(conn_.get(), raw, sqlstate));
}

namespace {

std::vector<const char*> pointers(const std::vector<PgParam>& params) {
  std::vector<const char*> out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back(p ? p->c_str() : nullptr);
  return out;
}

}  // namespace

Result<PgResult> PgConnection::exec(const std::string& sql) {
  if (!healthy()) return error(ErrorCode::kUnavailable, "postgres: connection lost");
  return check(PQexec(conn_.get(), sql.c_str()));
}

Result<PgResult> PgConnection::exec_params(const std::string& sql,
                                           const std::vector<PgParam>& params) {
  if (!healthy()) return error(ErrorCode::kUnavailable, "postgres: connection lost");
  const auto values = pointers(params);
  return check(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
}

Status PgConnection::prepare(const std::string& name, const std::string& sql) {
  if (!healthy()) return error(ErrorCode::kUnavailable, "postgres: connection lost");
  return check(PQprepare(conn_.get(), name.c_str(), sql.c_str(), 0, nullptr)).status();
}

Result<PgResult> PgConnection::exec_prepared(const std::string& name,
                                             const std::vector<PgParam>& params) {
  if (!healthy()) return error(ErrorCode::kUnavailable, "postgres: connection lost");
  const auto values = pointers(params);
  return check(PQexecPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0));
}

void PgArrayBuilder::add(std::string_view element) {
  if (text_.size() > 1) text_ += ',';
  text_ += '"';
  for (char c : element) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void PgArrayBuilder::add_null() {
  if (text_.size() > 1) text_ += ',';
  text_ += "NULL";
}

}  // namespace claimsync::store
