// origin_queue_table: reads the tx_hash column of an origin deployment's claim_sync_queue
// (issue 14, `claimsync reconcile --import-origin-queue TABLE`), renamed aside by the
// operator as `claimsync migrate` tells them, from the database sink.url names (Postgres,
// or SQLite for a copy made there).
//
// Contract:
//   * TABLE is `name` or `schema.name`, each part a plain SQL identifier (letters, digits,
//     `_`, `$`, not starting with a digit, at most 63 characters). Postgres folds it to
//     lower case as an unquoted name would be; it is then quoted (PQescapeIdentifier), so no
//     SQL is ever built from unchecked text. Anything else is kInvalidArgument.
//   * A table (or view) that does not exist is kNotFound, one without a tx_hash column
//     kFailedPrecondition, claimsync's own ledger (it has claim_key) kInvalidArgument:
//     each message names the table and what to do. The database is unreachable:
//     kUnavailable / kTimeout as the sink's calls.
//   * Read only (one read-only transaction in Postgres); nothing is written anywhere.
//   * `row` is called once per row, in no particular order, with the value as text
//     (nullopt for NULL), after the whole result was read. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/status.hpp"

namespace claimsync::node {

// The parts of a valid TABLE ("schema.name" -> {"schema", "name"}); kInvalidArgument
// naming what is wrong otherwise.
Result<std::vector<std::string>> parse_table_name(std::string_view table);

Status read_origin_queue(const std::string& sink_url, const std::string& table,
                         std::int64_t call_timeout_ms,
                         const std::function<void(std::optional<std::string_view>)>& row);

}  // namespace claimsync::node
