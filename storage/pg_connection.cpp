#include "storage/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <chrono>

namespace claimsync::store {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::int64_t kSliceMs = 50;  // how often a wait looks at the StopFlag

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
  if (primary.empty()) primary = "connection lost";
  std::string msg = sqlstate.empty() ? primary : "SQLSTATE " + sqlstate + ": " + primary;
  const std::string detail = field(r, PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) msg += " (" + detail + ")";
  return msg;
}

bool in_class(std::string_view s, std::initializer_list<std::string_view> classes) {
  return std::any_of(classes.begin(), classes.end(),
                     [&](std::string_view c) { return s.substr(0, 2) == c; });
}

}  // namespace

// The deadline of one call and the stop that may cut it short.
class PgConnection::CallClock {
 public:
  explicit CallClock(const PgCallOptions& o)
      : options_(o),
        end_(SteadyClock::now() +
             std::chrono::milliseconds(std::max<std::int64_t>(1, o.call_timeout_ms))) {}

  // Waits until `fd` is ready for `events`, one slice at most; `*ready` says whether it
  // is. kOk when ready or the slice ended; kTimeout / kCancelled when the call must be
  // abandoned.
  Status wait(int fd, short events, bool* ready = nullptr) const {
    if (Status st = expired(); !st.ok()) return st;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(end_ - SteadyClock::now()).count();
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(left, 0, kSliceMs)));
    if (ready != nullptr) *ready = n > 0;
    return expired();
  }

  Status expired() const {
    if (options_.stop != nullptr && options_.stop->stop_requested()) {
      return error(ErrorCode::kCancelled,
                   "postgres: stop requested during the call; connection abandoned, outcome "
                   "unknown");
    }
    if (SteadyClock::now() >= end_) {
      return error(ErrorCode::kTimeout, "postgres: no answer within " +
                                            std::to_string(options_.call_timeout_ms) +
                                            " ms (sink.call_timeout_ms); connection "
                                            "abandoned, outcome unknown");
    }
    return {};
  }

 private:
  const PgCallOptions& options_;
  SteadyClock::time_point end_;
};

ErrorCode classify_sqlstate(std::string_view s) {
  if (s.size() != 5) return ErrorCode::kUnavailable;  // connection-level: no server answer
  if (s == "57014" || s == "55P03") return ErrorCode::kTimeout;
  // Depends on one claim's data: the same batch without it goes through.
  if (in_class(s, {"22", "23"}) || s == "P0001" || s == "P0004") return ErrorCode::kInvalidArgument;
  // The schema (or our SQL against it) is wrong: no claim is to blame, retrying won't help
  // until an operator acts.
  if (in_class(s, {"42", "0A", "3F"})) return ErrorCode::kFailedPrecondition;
  // Everything else is about the server, not the claim: pause and reconnect.
  return ErrorCode::kUnavailable;
}

bool is_conflict_rollback(const Status& st) {
  return !st.ok() && st.message().find("SQLSTATE 40") != std::string::npos;
}

Result<PgConnection::Handle> PgConnection::open(const std::string& url,
                                                const PgCallOptions& options) {
  // dbname comes last: with expand_dbname the URL's own settings override these defaults.
  // (connect_timeout is ignored by the asynchronous API; the call deadline bounds it.)
  const char* keys[] = {"keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        "application_name",
                        "dbname",
                        nullptr};
  const char* values[] = {"1", "10", "5", "3", "30000", "claimsync", url.c_str(), nullptr};
  Handle c(PQconnectStartParams(keys, values, /*expand_dbname=*/1));
  if (!c) return error(ErrorCode::kUnavailable, "postgres: out of memory");
  const CallClock clock(options);
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  for (;;) {  // bounded by the call deadline
    if (PQstatus(c.get()) == CONNECTION_BAD || poll == PGRES_POLLING_FAILED) {
      return error(ErrorCode::kUnavailable,
                   "postgres: cannot connect: " + describe(c.get(), nullptr, ""));
    }
    if (poll == PGRES_POLLING_OK) break;
    const short events = poll == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    bool ready = false;
    if (Status st = clock.wait(PQsocket(c.get()), events, &ready); !st.ok())
      return st.with_context("connect");
    // Only when the socket is ready: PQconnectPoll takes "writable" as "connected".
    if (ready) poll = PQconnectPoll(c.get());
  }
  if (PQsetnonblocking(c.get(), 1) != 0) {
    return error(ErrorCode::kUnavailable,
                 "postgres: cannot switch to non-blocking: " + describe(c.get(), nullptr, ""));
  }
  PQsetNoticeProcessor(c.get(), discard_notice, nullptr);
  return c;
}

Result<PgConnection> PgConnection::connect(const std::string& url, PgCallOptions options) {
  auto c = open(url, options);
  if (!c.ok()) return c.status();
  return PgConnection(std::move(c).value(), url, options);
}

bool PgConnection::healthy() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

Status PgConnection::reset() {
  conn_.reset();
  auto c = open(url_, options_);
  if (!c.ok()) return c.status().with_context("reconnect");
  conn_ = std::move(c).value();
  return {};
}

Status PgConnection::flush(const CallClock& clock) {
  PGconn* c = conn_.get();
  // Non-blocking: the socket buffer may take it in parts.
  for (int flushed = PQflush(c); flushed != 0; flushed = PQflush(c)) {
    if (flushed < 0) return check(nullptr).status();
    if (Status st = clock.wait(PQsocket(c), POLLIN | POLLOUT); !st.ok()) {
      close();  // its state is unknown: never reuse it
      return st;
    }
    if (PQconsumeInput(c) == 0) return check(nullptr).status();
  }
  return {};
}

Status PgConnection::put_copy(const CallClock& clock, const std::string_view* data) {
  PGconn* c = conn_.get();
  // Chunks keep libpq's output buffer small; each is flushed before the next is queued.
  constexpr std::size_t kChunk = 256 * 1024;
  std::string_view left = data != nullptr ? *data : std::string_view();
  for (;;) {
    const std::size_t n = std::min(kChunk, left.size());
    const int put =
        n > 0 ? PQputCopyData(c, left.data(), static_cast<int>(n))
              : PQputCopyEnd(c, data != nullptr ? nullptr : "claimsync: no data for this COPY");
    if (put < 0) return check(nullptr).status();
    if (put == 1) left.remove_prefix(n);
    // put == 0: libpq's buffer is full; the flush makes room.
    if (Status st = flush(clock); !st.ok()) return st.with_context("sending COPY data");
    if (put == 1 && n == 0) return {};
  }
}

Result<PgResult> PgConnection::run(const std::function<int(PGconn*)>& send,
                                   const std::string_view* copy_data) {
  if (!healthy()) return error(ErrorCode::kUnavailable, "postgres: connection lost");
  PGconn* c = conn_.get();
  const CallClock clock(options_);
  if (send(c) != 1) return check(nullptr);
  CLAIMSYNC_RETURN_IF_ERROR(flush(clock));
  // Collect every result of the command; the last one (or the first error) is the answer.
  PGresult* answer = nullptr;
  for (;;) {
    while (PQisBusy(c) != 0) {
      if (Status st = clock.wait(PQsocket(c), POLLIN); !st.ok()) {
        PQclear(answer);
        close();  // its state is unknown: never reuse it
        return st;
      }
      if (PQconsumeInput(c) == 0) break;  // lost: PQgetResult reports it
    }
    PGresult* r = PQgetResult(c);
    if (r == nullptr) break;
    if (PQresultStatus(r) == PGRES_COPY_IN) {  // the server waits for the data
      PQclear(r);
      if (Status st = put_copy(clock, copy_data); !st.ok()) {
        PQclear(answer);
        return st;
      }
      copy_data = nullptr;  // a second COPY in the same command gets none
      continue;
    }
    const bool failed = PQresultStatus(r) == PGRES_FATAL_ERROR;
    const bool keep_old = answer != nullptr && PQresultStatus(answer) == PGRES_FATAL_ERROR;
    if (keep_old && !failed) {
      PQclear(r);
    } else {
      PQclear(answer);
      answer = r;
    }
    if (!healthy()) break;
  }
  return check(answer);
}

Result<PgResult> PgConnection::check(PGresult* raw) {
  PgResult result(raw);
  const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return result;
  const std::string sqlstate = field(raw, PG_DIAG_SQLSTATE);
  ErrorCode code = classify_sqlstate(sqlstate);
  if (!healthy()) code = ErrorCode::kUnavailable;  // lost mid-call: nothing to blame on data
  Status out = error(code, "postgres: " + describe(conn_.get(), raw, sqlstate));
  // An availability failure may leave the session unusable (read-only standby, server
  // error): the next call reconnects.
  if (code == ErrorCode::kUnavailable) close();
  return out;
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
  return run([&](PGconn* c) { return PQsendQuery(c, sql.c_str()); });
}

Result<PgResult> PgConnection::exec_params(const std::string& sql,
                                           const std::vector<PgParam>& params) {
  const auto values = pointers(params);
  return run([&](PGconn* c) {
    return PQsendQueryParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  });
}

Result<PgResult> PgConnection::exec_copy(const std::string& sql, std::string_view data) {
  return run([&](PGconn* c) { return PQsendQuery(c, sql.c_str()); }, &data);
}

Status PgConnection::prepare(const std::string& name, const std::string& sql) {
  return run([&](PGconn* c) { return PQsendPrepare(c, name.c_str(), sql.c_str(), 0, nullptr); })
      .status();
}

Result<PgResult> PgConnection::exec_prepared(const std::string& name,
                                             const std::vector<PgParam>& params) {
  const auto values = pointers(params);
  return run([&](PGconn* c) {
    return PQsendQueryPrepared(c, name.c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, 0);
  });
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
