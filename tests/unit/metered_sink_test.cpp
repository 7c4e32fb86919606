// MeteredSink: passes every call through unchanged and classifies it into
// claimsync_db_operations_total{operation,status}, _errors_total, _rejected_claims_total
// and the duration histogram (driven by a ManualClock the fake sink advances on commit).
#include <catch2/catch.hpp>

#include <string>

#include "node/metrics/metered_sink.hpp"
#include "node/metrics/node_metrics.hpp"
#include "rpc/clock.hpp"
#include "tests/support/claim_fixtures.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/metrics_text.hpp"

using namespace claimsync;
using namespace claimsync::node;
using claimsync::testing::FakeSink;
using claimsync::testing::make_claims;
using claimsync::testing::sample_value;

namespace {

std::string calls(const std::string& op, const std::string& status) {
  return "claimsync_db_operations_total{operation=\"" + op + "\",status=\"" + status + "\"}";
}

struct Rig {
  ManualClock clock;
  FakeSink fake;
  NodeMetrics metrics{42161, "test"};
  MeteredSink sink{fake, metrics, clock};
};

}  // namespace

TEST_CASE("MeteredSink passes calls and results through and counts ok calls with durations") {
  Rig rig;
  rig.fake.on_commit([&] { rig.clock.advance_ms(250); });
  const auto claims = make_claims(6);
  store::SinkResult r = rig.sink.apply(claims);
  CHECK(r.status.ok());
  CHECK(r.rejected.empty());
  CHECK(rig.fake.apply_calls() == 1);
  CHECK(rig.fake.apply_commits().size() == 6);
  CHECK(rig.sink.ping().ok());
  CHECK(rig.fake.ping_calls() == 1);

  const std::string text = rig.metrics.render();
  CHECK(sample_value(text, calls("apply", "ok")) == "1");
  CHECK(sample_value(text, calls("ping", "ok")) == "1");
  // 250 ms: in the 0.25 bucket, not in the 0.1 one.
  const std::string h = "claimsync_db_operation_duration_seconds";
  CHECK(sample_value(text, h + "_bucket{operation=\"apply\",le=\"0.1\"}") == "0");
  CHECK(sample_value(text, h + "_bucket{operation=\"apply\",le=\"0.25\"}") == "1");
  CHECK(sample_value(text, h + "_sum{operation=\"apply\"}") == "0.25");
  CHECK(sample_value(text, h + "_count{operation=\"ping\"}") == "1");
  CHECK(!sample_value(text, "claimsync_db_errors_total{operation=\"apply\"}"));
}

TEST_CASE("MeteredSink classifies whole-call failures by code") {
  struct Case {
    ErrorCode code;
    const char* status;
    bool error;
  };
  for (const Case& c : {Case{ErrorCode::kUnavailable, "unavailable", true},
                        Case{ErrorCode::kTimeout, "timeout", true},
                        Case{ErrorCode::kCancelled, "cancelled", false},  // a stop, not a fault
                        Case{ErrorCode::kFailedPrecondition, "schema", true},
                        Case{ErrorCode::kInternal, "error", true}}) {
    DYNAMIC_SECTION(c.status) {
      Rig rig;
      rig.fake.fail_next_calls(3, c.code);
      CHECK(rig.sink.apply(make_claims(2)).status.code() == c.code);
      CHECK(rig.sink.revoke(make_claims(2)).status.code() == c.code);
      CHECK(rig.sink.record({}).code() == c.code);
      CHECK(rig.sink.ping().ok());  // the script is used up
      const std::string text = rig.metrics.render();
      for (const char* op : {"apply", "revoke", "record"}) {
        CHECK(sample_value(text, calls(op, c.status)) == "1");
        CHECK(sample_value(text,
                           std::string("claimsync_db_errors_total{operation=\"") + op + "\"}") ==
              (c.error ? std::optional<std::string>("1") : std::nullopt));
      }
      CHECK(sample_value(text, calls("ping", "ok")) == "1");
      CHECK(!sample_value(text, calls("apply", "ok")));
    }
  }
}

TEST_CASE("MeteredSink counts per-claim rejections as a partial call") {
  Rig rig;
  const auto claims = make_claims(5);
  const store::ClaimKey bad1 = claims[1].key, bad3 = claims[3].key;
  rig.fake.reject_when([&](const store::Claim& c) -> std::optional<std::string> {
    if (c.key == bad1 || c.key == bad3) return std::string("constraint violated");
    return std::nullopt;
  });
  store::SinkResult r = rig.sink.apply(claims);
  CHECK(r.status.ok());
  REQUIRE(r.rejected.size() == 2);
  CHECK(r.rejected[0].error == "constraint violated");
  const std::string text = rig.metrics.render();
  CHECK(sample_value(text, calls("apply", "partial")) == "1");
  CHECK(sample_value(text, "claimsync_db_rejected_claims_total{operation=\"apply\"}") == "2");
  CHECK(!sample_value(text, "claimsync_db_errors_total{operation=\"apply\"}"));
}

TEST_CASE("db_status_of maps every outcome") {
  CHECK(db_status_of({}, 0) == DbStatus::kOk);
  CHECK(db_status_of({}, 1) == DbStatus::kPartial);
  CHECK(db_status_of({ErrorCode::kUnavailable, "x"}, 0) == DbStatus::kUnavailable);
  CHECK(db_status_of({ErrorCode::kTimeout, "x"}, 0) == DbStatus::kTimeout);
  CHECK(db_status_of({ErrorCode::kCancelled, "x"}, 0) == DbStatus::kCancelled);
  CHECK(db_status_of({ErrorCode::kFailedPrecondition, "x"}, 0) == DbStatus::kSchema);
  CHECK(db_status_of({ErrorCode::kCorruption, "x"}, 0) == DbStatus::kError);
}
