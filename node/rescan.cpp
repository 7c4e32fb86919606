#include "node/rescan.hpp"

#include <algorithm>
#include <string>

#include "node/finality.hpp"
#include "node/range_scanner.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

constexpr int kMaxRaces = 5;  // chain moving under one chunk: give up after this many tries

Status check_range(eth::ChainSource& chain, const FollowerOptions& f, const RescanOptions& o) {
  auto invalid = [](const std::string& m) { return error(ErrorCode::kInvalidArgument, m); };
  if (o.from > o.to)
    return invalid("--from " + std::to_string(o.from) + " is above --to " + std::to_string(o.to));
  if (o.from < f.start_block) {
    return invalid("--from " + std::to_string(o.from) + " is below chain.start_block " +
                   std::to_string(f.start_block));
  }
  if (o.rollback && o.from == 0)
    return invalid("--rollback needs --from >= 1 (genesis cannot be reorged)");
  Result<FinalityTarget> target = finality_target(chain, f.finality, f.confirmations);
  if (!target.ok()) return target.status().with_context("finality target");
  if (!target->target || o.to > *target->target) {
    return invalid("--to " + std::to_string(o.to) + " is above the finality target " +
                   (target->target ? std::to_string(*target->target) : std::string("(none yet)")) +
                   "; use a lower --to or wait");
  }
  return {};
}

// Scans and commits [from, to] as one chunk, retrying when the chain moves meanwhile.
Status rescan_chunk(RangeScanner& scanner, store::NodeStore& store, Clock& clock,
                    std::uint64_t from, std::uint64_t to, RescanReport& report) {
  for (int attempt = 0; attempt < kMaxRaces; ++attempt) {
    Result<RangeScan> scan = scanner.scan(from, to, clock.now_ms());
    if (!scan.ok())
      return scan.status().with_context("blocks " + std::to_string(from) + ".." +
                                        std::to_string(to));
    if (scan->verdict == ScanVerdict::kAnchorMismatch) {
      return error(ErrorCode::kReorg, scan->reason + ": the chain reorganised at or below block " +
                                          std::to_string(from - 1) +
                                          "; rerun with --rollback and a --from below the fork");
    }
    if (scan->verdict == ScanVerdict::kRaced) continue;
    Result<store::CommitOutcome> c =
        store.commit_range(scan->range, scan->blocks, scan->claims, clock.now_ms());
    if (!c.ok()) return c.status().with_context("commit");
    ++report.ranges;
    report.found += scan->claims.size();
    report.created += c->claims_new;
    report.known += c->claims_known;
    report.revived += c->claims_revived;
    return {};
  }
  return error(ErrorCode::kUnavailable, "the chain kept changing under blocks " +
                                            std::to_string(from) + ".." + std::to_string(to) +
                                            "; try again later");
}

}  // namespace

Result<RescanReport> rescan_range(eth::ChainSource& chain, store::NodeStore& store, Clock& clock,
                                  const FollowerOptions& follower, const RescanOptions& options) {
  CLAIMSYNC_RETURN_IF_ERROR(check_range(chain, follower, options));
  RescanReport report;
  report.from = options.from;
  report.to = options.to;
  if (options.rollback) {
    Result<store::RollbackOutcome> rolled = store.rollback_to(options.from - 1, clock.now_ms());
    if (!rolled.ok()) return rolled.status().with_context("rollback");
    report.rolled_back = true;
    report.rollback = *rolled;
  }
  ScanSettings settings{follower.chain_id,    follower.contract,     follower.levels,
                        store::kSourceRescan, follower.reorg_window, follower.pipeline_min_blocks};
  RangeScanner scanner(chain, store, settings);
  const std::uint64_t span = std::max<std::uint64_t>(follower.range_blocks, 1);
  for (std::uint64_t from = options.from;;) {  // bounded: `from` only grows up to `to`
    const std::uint64_t to = options.to - from < span ? options.to : from + span - 1;
    CLAIMSYNC_RETURN_IF_ERROR(rescan_chunk(scanner, store, clock, from, to, report));
    log_info("rescan_progress",
             {{"from", from}, {"to", to}, {"end", options.to}, {"found", report.found}});
    if (to == options.to) break;
    from = to + 1;
  }
  report.checkpoint = store.checkpoint();
  return report;
}

}  // namespace claimsync::node
