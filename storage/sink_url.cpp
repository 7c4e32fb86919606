#include "storage/sink_url.hpp"

#include <string_view>

namespace claimsync::store {

const char* sql_dialect_name(SqlDialect d) {
  return d == SqlDialect::kPostgres ? "postgres" : "sqlite";
}

Result<SinkUrl> parse_sink_url(const std::string& url) {
  const std::string_view u(url);
  if (u.starts_with("postgres://") || u.starts_with("postgresql://")) {
    return SinkUrl{SqlDialect::kPostgres, url};
  }
  if (u.starts_with("sqlite:")) {
    std::string_view path = u.substr(7);
    if (path.starts_with("//")) path.remove_prefix(2);
    if (path.empty())
      return error(ErrorCode::kInvalidArgument, "sink url: sqlite: needs a file path");
    return SinkUrl{SqlDialect::kSqlite, std::string(path)};
  }
  return error(ErrorCode::kInvalidArgument,
               "sink url: unknown scheme (expected postgres://, postgresql:// or sqlite:PATH)");
}

}  // namespace claimsync::store
