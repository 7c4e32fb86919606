// PgConnection / PgResult: RAII owners of libpq's PGconn and PGresult, with every value
// bound as a text parameter and every failure classified for the replicator (DESIGN §5):
//
//   kUnavailable        connection-level failure (refused, lost, no SQLSTATE), SQLSTATE
//                       class 08 (connection exception), 57P01..57P03 (shutdown, cannot
//                       connect now), class 53 (insufficient resources), 40001 / 40P01
//                       (serialization failure, deadlock: retry the whole call)
//   kTimeout            57014 (statement timeout / cancel), 55P03 (lock not available)
//   kInvalidArgument    the data of a claim: class 22 (data exception), 23 (integrity
//                       constraint violation), P0 (raised by a trigger), and anything else
//                       not listed here
//   kFailedPrecondition the schema is broken: class 42 (undefined table/column, syntax),
//                       0A (feature not supported), 3F (invalid schema), 25 (transaction state)
//
// Messages read "SQLSTATE <code>: <primary message> (<detail>)"; they never contain the
// connection URL. Not thread-safe; one owner.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/status.hpp"

namespace claimsync::store {

// A text parameter; std::nullopt binds SQL NULL.
using PgParam = std::optional<std::string>;

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
  // Connects with `url` (a libpq URI or conninfo). Defaults, overridable in the URL:
  // connect_timeout=10, TCP keepalives (idle 10 s, interval 5 s, count 3),
  // tcp_user_timeout=30 s, application_name=claimsync. Server notices are discarded.
  static Result<PgConnection> connect(const std::string& url);

  PgConnection(PgConnection&& o) noexcept : conn_(std::move(o.conn_)) {}
  PgConnection& operator=(PgConnection&& o) noexcept = default;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection() = default;

  // False once the connection is lost; reset() reconnects.
  bool healthy() const;
  // Re-establishes a lost connection (same parameters). Prepared statements are gone.
  Status reset();

  // Simple-query protocol: `sql` may hold several statements; no parameters.
  Result<PgResult> exec(const std::string& sql);
  // One statement with $1..$n bound as text.
  Result<PgResult> exec_params(const std::string& sql, const std::vector<PgParam>& params);
  // Prepares `sql` as statement `name` on this connection.
  Status prepare(const std::string& name, const std::string& sql);
  Result<PgResult> exec_prepared(const std::string& name, const std::vector<PgParam>& params);

  PGconn* raw() { return conn_.get(); }

 private:
  explicit PgConnection(PGconn* c) : conn_(c) {}
  Result<PgResult> check(PGresult* r);

  struct Finish {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

// The classification above, for a SQLSTATE ("" = connection-level failure, no code).
ErrorCode classify_sqlstate(std::string_view sqlstate);

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
