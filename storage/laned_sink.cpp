#include "storage/laned_sink.hpp"

#include <future>
#include <stdexcept>
#include <utility>

#include "rpc/logging.hpp"
#include "storage/pg_connection.hpp"

namespace claimsync::store {

LanedSink::LanedSink(std::vector<std::unique_ptr<MembershipSink>> lanes,
                     std::size_t min_split_claims)
    : lanes_(std::move(lanes)), min_split_claims_(min_split_claims) {
  if (lanes_.empty()) throw std::invalid_argument("LanedSink needs at least one lane");
  for (const auto& lane : lanes_)
    if (lane == nullptr) throw std::invalid_argument("LanedSink: a lane is null");
}

std::size_t LanedSink::lane_of(const eth::Address& wallet, std::size_t lanes) {
  // FNV-1a over the 20 bytes: addresses are hashes already, but a deployment's wallets
  // need not be uniform in any one byte (vanity prefixes), and the whole address costs
  // nothing next to a database round trip.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : wallet.bytes()) h = (h ^ b) * 0x100000001b3ULL;
  return static_cast<std::size_t>(h % lanes);
}

Status LanedSink::ping() { return lanes_.front()->ping(); }

SinkResult LanedSink::apply(const std::vector<Claim>& claims) {
  if (lanes_.size() == 1 || claims.size() < min_split_claims_) return lanes_.front()->apply(claims);

  std::vector<std::vector<Claim>> parts(lanes_.size());
  for (const Claim& c : claims) parts[lane_of(c.wallet, lanes_.size())].push_back(c);

  // Lanes 1.. on their own threads; lane 0 here. Every future is waited for before this
  // returns (also when lane 0 throws: a std::async future's destructor joins).
  std::vector<std::future<SinkResult>> others;
  others.reserve(lanes_.size() - 1);
  for (std::size_t i = 1; i < lanes_.size(); ++i) {
    if (parts[i].empty()) continue;
    others.push_back(
        std::async(std::launch::async, [this, i, &parts] { return lanes_[i]->apply(parts[i]); }));
  }
  std::vector<SinkResult> results(lanes_.size());
  if (!parts[0].empty()) results[0] = lanes_.front()->apply(parts[0]);
  for (std::size_t i = 1, f = 0; i < lanes_.size(); ++i) {
    if (!parts[i].empty()) results[i] = others[f++].get();
  }

  // Lanes write disjoint wallets, so they only conflict through the application's own
  // triggers (e.g. one that updates a referrer's row): the server then rolls one
  // transaction back as a deadlock. Its part goes again on lane 0, alone: no pause, no
  // backoff for what is not an outage.
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (!is_conflict_rollback(results[i].status)) continue;
    log_warn("sink_lanes_conflict",
             {{"lane", static_cast<std::uint64_t>(i)},
              {"claims", static_cast<std::uint64_t>(parts[i].size())},
              {"error", results[i].status.to_string()},
              {"next",
               "none: written again on one connection; if this repeats, triggers of the "
               "database write rows of other wallets: set sink.write_connections = 1"}});
    results[i] = lanes_.front()->apply(parts[i]);
  }

  SinkResult out;
  for (SinkResult& r : results) {
    if (out.status.ok() && !r.status.ok()) out.status = std::move(r.status);
    for (SinkRejection& rej : r.rejected) out.rejected.push_back(std::move(rej));
  }
  return out;
}

SinkResult LanedSink::revoke(const std::vector<Claim>& claims) {
  return lanes_.front()->revoke(claims);
}

Status LanedSink::record(const std::vector<LedgerUpdate>& updates) {
  return lanes_.front()->record(updates);
}

}  // namespace claimsync::store
