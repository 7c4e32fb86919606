// ReconcileFixture: what the `claimsync reconcile` end-to-end tests share: a real anvil
// with ClaimNFT deployed, a real PostgreSQL cluster, configs written into a temp dir, the
// follower's scanner filling a store, the replicator's apply/settle steps, and the binary
// run with its JSON report parsed.
//
//   ReconcileFixture s;
//   s.chain.mint(s.nft, s.wallet(1), 1, 1);
//   s.pg.create_database("good");
//   const std::string cfg = s.config("good", s.pg.url("good"));
//   { auto store = s.open_store(s.load(cfg)); s.scan(s.load(cfg), *store); }
//   nlohmann::json j = s.reconcile_json(cfg, 0);   // --json --at latest, exit 0 checked
//
// Helpers fail the test (REQUIRE) on a broken environment. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "node/config.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"
#include "tests/support/anvil.hpp"
#include "tests/support/pg_cluster.hpp"
#include "tests/support/process.hpp"

namespace claimsync::testing {

struct ReconcileFixture {
  Anvil chain;
  PgCluster pg;
  std::string nft = chain.deploy_claim_nft();
  TempDir dir{"claimsync-reconcile"};
  SystemClock clock;

  std::string wallet(int i) { return chain.account(static_cast<std::size_t>(i)); }

  // A config on data dir `name` and database `sink_url` (levels 1..5, confirmations 0);
  // `file` names the config file when several configs share a data dir; `extra` is
  // appended (e.g. a [reconcile] table).
  std::string config(const std::string& name, const std::string& sink_url,
                     const std::string& file = "", const std::string& extra = "");
  node::Config load(const std::string& path);
  std::unique_ptr<store::NodeStore> open_store(const node::Config& c);
  // Scans 0..head into the store with the follower's scanner.
  void scan(const node::Config& c, store::NodeStore& s);
  // The replicator's steps: due claims -> sent -> sink apply -> settle (done).
  void replicate(store::NodeStore& s, const std::string& sink_url);
  // `claimsync reconcile --config CONFIG EXTRA...` (60 s bound).
  RunResult reconcile(const std::string& config, const std::vector<std::string>& extra = {});
  // With --json --at latest: checks the exit status and returns the report.
  nlohmann::json reconcile_json(const std::string& config, int expected_exit,
                                const std::vector<std::string>& extra = {});
};

}  // namespace claimsync::testing
