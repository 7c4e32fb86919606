// MeteredSink: a MembershipSink decorator that times and classifies every call of the
// sink it wraps (claimsync_db_* in node_metrics.hpp) and otherwise passes it through
// unchanged: same arguments, same result, same ownership rules.
//
// Classification (DbStatus): an OK result is `ok`, or `partial` with rejected claims
// (counted in claimsync_db_rejected_claims_total); a whole-call failure by its code
// (unavailable, timeout, cancelled, schema = kFailedPrecondition, error = anything else).
//
// Thread-safety: like the wrapped sink (one owner thread). REQUIRES: `inner`, `metrics`
// and `clock` outlive it.
#pragma once

#include "node/metrics/node_metrics.hpp"
#include "rpc/clock.hpp"
#include "storage/membership_sink.hpp"

namespace claimsync::node {

class MeteredSink final : public store::MembershipSink {
 public:
  MeteredSink(store::MembershipSink& inner, NodeMetrics& metrics, Clock& clock)
      : inner_(inner), metrics_(metrics), clock_(clock) {}

  Status ping() override;
  store::SinkResult apply(const std::vector<store::Claim>& claims) override;
  store::SinkResult revoke(const std::vector<store::Claim>& claims) override;
  Status record(const std::vector<store::LedgerUpdate>& updates) override;

 private:
  template <typename Call>
  auto timed(DbOperation op, Call&& call);

  store::MembershipSink& inner_;
  NodeMetrics& metrics_;
  Clock& clock_;
};

}  // namespace claimsync::node
