#include "node/metrics/metered_sink.hpp"

#include <algorithm>

namespace claimsync::node {
namespace {

const Status& status_of(const Status& s) { return s; }
const Status& status_of(const store::SinkResult& r) { return r.status; }
std::size_t rejected_of(const Status&) { return 0; }
std::size_t rejected_of(const store::SinkResult& r) { return r.rejected.size(); }

}  // namespace

template <typename Call>
auto MeteredSink::timed(DbOperation op, Call&& call) {
  const std::int64_t start_us = clock_.monotonic_us();
  auto result = call();
  const double seconds =
      static_cast<double>(std::max<std::int64_t>(clock_.monotonic_us() - start_us, 0)) / 1e6;
  const std::size_t rejected = rejected_of(result);
  metrics_.db_operation(op, db_status_of(status_of(result), rejected), seconds, rejected);
  return result;
}

Status MeteredSink::ping() {
  return timed(DbOperation::kPing, [&] { return inner_.ping(); });
}

store::SinkResult MeteredSink::apply(const std::vector<store::Claim>& claims) {
  return timed(DbOperation::kApply, [&] { return inner_.apply(claims); });
}

store::SinkResult MeteredSink::revoke(const std::vector<store::Claim>& claims) {
  return timed(DbOperation::kRevoke, [&] { return inner_.revoke(claims); });
}

Status MeteredSink::record(const std::vector<store::LedgerUpdate>& updates) {
  return timed(DbOperation::kRecord, [&] { return inner_.record(updates); });
}

}  // namespace claimsync::node
