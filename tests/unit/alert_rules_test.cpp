// deploy/prometheus/claimsync-rules.yml speaks the node's metric names: every
// `claimsync_*` name the rules file mentions (expressions, annotations, comments) is a
// family NodeMetrics registers (a histogram's _bucket/_count/_sum only on a histogram), and
// every label matcher `name{label="value"}` selects a series the node really renders
// (label names, claim states, bucket bounds). Renaming a metric, a label or a vocabulary
// word, or changing a bucket bound, fails here until the rules follow.
// (The alerts' firing behaviour is checked by `promtool test rules`, scripts/check-alerts.)
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "node/metrics/node_metrics.hpp"
#include "rpc/rpc_observer.hpp"

using namespace claimsync;
using namespace claimsync::node;

namespace {

const std::string kRulesPath =
    std::string(CLAIMSYNC_SOURCE_DIR) + "/deploy/prometheus/claimsync-rules.yml";

// Names the rules use before the node exports them (the lead adds them on merge). A name
// here that the node does export fails the test: take it off this list then.
const std::set<std::string> kNotYetExported = {};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using Labels = std::map<std::string, std::string>;

Labels parse_labels(const std::string& body) {
  static const std::regex pair(R"re(([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)")re");
  Labels out;
  for (std::sregex_iterator it(body.begin(), body.end(), pair), end; it != end; ++it) {
    out[(*it)[1]] = (*it)[2];
  }
  return out;
}

// A NodeMetrics in which every family has at least one rendered sample.
std::string populated_exposition() {
  NodeMetrics m(42161, "test");
  StatusReport r;
  r.checkpoint = 90;
  r.target = 100;
  r.head = 120;
  r.rpc_reachable = true;
  r.db_reachable = true;
  r.oldest_pending_age_s = 5;
  m.set_status_source([r] { return r; });
  m.hint("intake", "confirmed");
  m.attestation("eoa", "accepted");
  m.webhook_request("thirdweb", "accepted");
  m.mints_ingested("intake", 1);
  FollowerStep rolled;
  rolled.kind = FollowerStepKind::kRolledBack;
  rolled.depth = 40;
  m.follower_step(rolled);
  m.rpc_attempt({"eth_getLogs", eth::RpcOutcome::kTimeout, 0.5});
  m.db_operation(DbOperation::kApply, DbStatus::kError, 0.01, 1);
  ReconcileSummary run;
  run.finished_at_ms = 1'700'000'000'000;
  run.trigger = "scheduled";
  run.result = "differences";
  run.differences = 3;
  run.pin_block = 80;
  m.reconcile_run(run);
  return m.render();
}

struct Exported {
  std::map<std::string, std::string> types;            // family -> counter|gauge|...
  std::map<std::string, std::vector<Labels>> samples;  // sample name -> label sets
};

Exported exported() {
  Exported e;
  std::istringstream in(populated_exposition());
  std::string line;
  static const std::regex type_line(R"(# TYPE (\S+) (\S+))");
  static const std::regex sample_line(R"(([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})? \S+)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, type_line)) {
      e.types[m[1]] = m[2];
    } else if (std::regex_match(line, m, sample_line)) {
      e.samples[m[1]].push_back(parse_labels(m[3]));
    }
  }
  return e;
}

// The family a sample name belongs to ("" when none): itself, or a histogram's part.
std::string family_of(const Exported& e, const std::string& name) {
  if (e.types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_count", "_sum"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = e.types.find(base);
      if (it != e.types.end() && it->second == "histogram") return base;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("every metric name in the alert rules is one the node exports") {
  const std::string rules = read_file(kRulesPath);
  const Exported e = exported();
  REQUIRE(e.types.count("claimsync_claims") == 1);  // the exposition was read

  static const std::regex name(R"(\bclaimsync_[a-z0-9_]+)");
  std::set<std::string> used;
  for (std::sregex_iterator it(rules.begin(), rules.end(), name), end; it != end; ++it) {
    used.insert(it->str());
  }
  REQUIRE(used.size() >= 8);
  for (const std::string& n : used) {
    INFO("metric in the rules: " << n);
    if (kNotYetExported.count(n)) {
      CHECK(family_of(e, n).empty());  // exported now: remove it from kNotYetExported
      continue;
    }
    CHECK_FALSE(family_of(e, n).empty());
  }
}

TEST_CASE("every label matcher in the alert rules selects a series the node renders") {
  const std::string rules = read_file(kRulesPath);
  const Exported e = exported();
  static const std::regex selector(R"(\b(claimsync_[a-z0-9_]+)\{([^}]*)\})");
  int checked = 0;
  for (std::sregex_iterator it(rules.begin(), rules.end(), selector), end; it != end; ++it) {
    const std::string n = (*it)[1];
    const Labels wanted = parse_labels((*it)[2]);
    INFO("selector in the rules: " << it->str());
    if (kNotYetExported.count(n)) continue;
    REQUIRE(e.samples.count(n) == 1);
    bool found = false;
    for (const Labels& have : e.samples.at(n)) {
      bool all = true;
      for (const auto& [label, value] : wanted) {
        auto l = have.find(label);
        all = all && l != have.end() && l->second == value;
      }
      found = found || all;
    }
    CHECK(found);
    ++checked;
  }
  CHECK(checked >= 2);  // claims{state="dead"}, reorg_depth_blocks_bucket{le="10"}
}
