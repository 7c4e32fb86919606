// PgConnection / PgResult: RAII owners of libpq's PGconn and PGresult, with every value
// bound as a text parameter, every call bounded by a deadline and every failure classified
// for the replicator (DESIGN §5):
//
//   kUnavailable        the default: connection-level failure (refused, lost, no SQLSTATE),
//                       class 08 (connection exception), 25 (e.g. 25006 read-only: a hot
//                       standby after failover), 40 (rollback: serialization, deadlock,
//                       40003 completion unknown), 53 (resources), 57 except 57014
//                       (shutdown, cannot connect now, database dropped), 58 (system
//                       error: 58030 I/O), XX (internal error, corruption), and every
//                       SQLSTATE not listed below. The connection is closed, so the next
//                       call (PostgresSink::ensure_ready) reconnects.
//   kTimeout            57014 (statement timeout / cancel), 55P03 (lock not available);
//                       and a call that passed its client-side deadline (see below)
//   kCancelled          the StopFlag was set during a call (see below)
//   kInvalidArgument    the data of ONE claim, an explicit short list: class 22 (data
//                       exception), class 23 (integrity constraint violation), P0001
//                       (RAISE EXCEPTION in a trigger), P0004 (ASSERT in a trigger)
//   kFailedPrecondition the schema is broken: class 42 (undefined table/column, syntax,
//                       privilege), 0A (feature not supported), 3F (invalid schema)
//
// Deadlines: every call (connect, reset, each statement, a COPY with its data) runs on libpq's
// asynchronous API and waits on the socket in short slices, so it returns within `call_timeout_ms`
// even when the path to the server silently stopped moving bytes (TCP keepalives do not help when a
// middlebox keeps the client's TCP session alive), and within a slice (<= 50 ms) of
// `stop->request_stop()`. On a deadline or a stop the connection is abandoned (closed) and
// the call returns kTimeout / kCancelled: the outcome is unknown (a COMMIT may have landed).
//
// Messages read "SQLSTATE <code>: <primary message> (<detail>)"; they never contain the
// connection URL. Not thread-safe; one owner.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/clock.hpp"
#include "rpc/status.hpp"

namespace claimsync::store {

// A text parameter; std::nullopt binds SQL NULL.
using PgParam = std::optional<std::string>;

// Bounds of every call on a connection.
struct PgCallOptions {
  std::int64_t call_timeout_ms = 30'000;  // per call (connect, statement); >= 1
  const StopFlag* stop = nullptr;         // optional; must outlive the connection
};

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  int rows() const { return PQntuples(r_.get()); }
  int columns() const { return PQnfields(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view value(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }

 private:
  struct Clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Clear> r_;
};

class PgConnection {
 public:
  // Connects with `url` (a libpq URI or conninfo) within options.call_timeout_ms.
  // Defaults, overridable in the URL: TCP keepalives (idle 10 s, interval 5 s, count 3),
  // tcp_user_timeout=30 s, application_name=claimsync. Server notices are discarded.
  static Result<PgConnection> connect(const std::string& url, PgCallOptions options = {});

  PgConnection(PgConnection&& o) noexcept = default;
  PgConnection& operator=(PgConnection&& o) noexcept = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() = default;

  // False once the connection is lost or abandoned; reset() reconnects.
  bool healthy() const;
  // Opens a new connection with the same parameters (the old one, if any, is closed).
  // Prepared statements and session settings are gone.
  Status reset();
  // Closes the connection now (healthy() turns false); the server rolls back what was open.
  void close() { conn_.reset(); }

  // Simple-query protocol: `sql` may hold several statements; no parameters.
  Result<PgResult> exec(const std::string& sql);
  // One statement with $1..$n bound as text.
  Result<PgResult> exec_params(const std::string& sql, const std::vector<PgParam>& params);
  // Prepares `sql` as statement `name` on this connection.
  Status prepare(const std::string& name, const std::string& sql);
  Result<PgResult> exec_prepared(const std::string& name, const std::vector<PgParam>& params);
  // Simple-query protocol with a COPY: `sql` may hold several statements, exactly one of
  // them `COPY ... FROM STDIN`, which is fed `data` (in the format the COPY names) when
  // the server asks for it. The last result is the answer (the first error wins). One
  // call: the request, the data and every result share one deadline and the StopFlag.
  // Without an explicit transaction the statements run in one implicit transaction.
  Result<PgResult> exec_copy(const std::string& sql, std::string_view data);

  PGconn* raw() { return conn_.get(); }

 private:
  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  using Handle = std::unique_ptr<PGconn, Finish>;

  PgConnection(Handle c, std::string url, PgCallOptions options)
      : conn_(std::move(c)), url_(std::move(url)), options_(options) {}
  class CallClock;  // the deadline and stop of one call (pg_connection.cpp)

  static Result<Handle> open(const std::string& url, const PgCallOptions& options);
  // Sends one command with `send` (a PQsend* call) and waits for all of its results; a
  // COPY FROM STDIN among them is fed `*copy_data` (refused when null).
  Result<PgResult> run(const std::function<int(PGconn*)>& send,
                       const std::string_view* copy_data = nullptr);
  // Sends what libpq buffered, within the call's deadline. On failure the connection is
  // closed.
  Status flush(const CallClock& clock);
  // Feeds one COPY FROM STDIN: `data` (or a refusal when null), then the end of the copy.
  Status put_copy(const CallClock& clock, const std::string_view* data);
  Result<PgResult> check(PGresult* r);

  Handle conn_;
  std::string url_;  // kept for reset(); never logged
  PgCallOptions options_;
};

// The classification above, for a SQLSTATE ("" = connection-level failure, no code).
ErrorCode classify_sqlstate(std::string_view sqlstate);

// True when `st` is a call the server rolled back for a conflict with another transaction
// (SQLSTATE class 40: deadlock detected, serialization failure). Classified kUnavailable
// like every server-side failure, but the same work run again without the other
// transaction can go through at once. Reads the "SQLSTATE xxxxx" every error of this file
// carries in its message.
bool is_conflict_rollback(const Status& st);

// Builds a Postgres array literal ({"a","b",NULL}) for one `$n::type[]` parameter: every
// element quoted and escaped, so any string round-trips literally.
class PgArrayBuilder {
 public:
  void add(std::string_view element);
  void add_null();
  void add_optional(const std::optional<std::string>& element) {
    if (element)
      add(std::string_view(*element));
    else
      add_null();
  }
  std::string finish() const { return text_ + "}"; }

 private:
  std::string text_ = "{";
};

}  // namespace claimsync::store
