// RangeScanner: turns the mint logs of one block range into claims and block records,
// checked against the chain, without writing anything (DESIGN §6). The follower and
// `claimsync rescan` commit what it returns with NodeStore::commit_range.
//
// Round trips per range: one headers() batch before the logs, the logs() call (the client
// splits it as the provider requires) with one headers() batch for the blocks holding
// logs, and one headers() batch after. Long ranges go in up to 4 parts fetched at once
// (logs, then their blocks' headers, per part): decoding a large eth_getLogs answer costs
// more than the provider takes to produce it, so parts decode on parallel threads.
//
// Checks, in order:
//   1. Continuity with the stored window: the highest stored block below `from` (the
//      anchor) must still be canonical: header(from).parent_hash equals its hash when it
//      is from - 1, else header(anchor).hash equals it. Checked before and after the logs.
//   2. header(to) is the same before and after the logs: the logs were read from one
//      chain, the one `to` commits to.
//   3. Every log's block_hash equals the header hash fetched for its block, and no log
//      is flagged removed.
//   4. Every eth_getLogs request carries header(to) to the same endpoint in the same HTTP
//      request (LogFilter::pin), and its hash must be the one checked in 2: a chain that
//      flips A -> B -> A during the scan cannot hand over fork-B logs, and an endpoint
//      that does not serve `to` (behind) cannot hand over a short answer.
// A failed check 1 is kAnchorMismatch (the stored window is stale: walk back); 2, 3 and
// 4 are kRaced (the chain moved during the scan: scan again). A block the chain does not
// serve is the chain's kNotFound (it is behind), never a verdict.
//
// Claims: one per element of a mint log (TransferSingle/TransferBatch with from = 0)
// whose id is a configured level and whose amount is not zero; other elements are
// ignored with a debug line. A log from the contract that fails to decode is kCorruption:
// the line stops, nothing is skipped silently.
//
// Blocks returned for the window: `to`, every block holding a mint log, `from` when nothing
// is stored below it (so the window reaches start_block), and a ladder to - 1, to - 2,
// to - 4, ... (within the range and the reorg window) so a fork point inside a long range
// is found close to the fork.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "rpc/address.hpp"
#include "node/mint_claims.hpp"
#include "rpc/chain_source.hpp"
#include "rpc/status.hpp"
#include "storage/claim.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {

struct ScanSettings {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  std::vector<std::uint32_t> levels;           // token ids that count
  std::uint32_t sources = store::kSourceScan;  // ClaimSource bits of the claims made
  std::uint64_t reorg_window = 256;            // bounds the ladder of stored blocks
  // Ranges of at least twice this many blocks are fetched in up to 4 parts at once.
  std::uint64_t pipeline_min_blocks = 256;
};

enum class ScanVerdict {
  kScanned,         // claims and blocks are ready to commit
  kAnchorMismatch,  // the stored block `anchor` is no longer canonical: walk back
  kRaced,           // the chain changed during the scan: scan the range again
};

struct RangeScan {
  ScanVerdict verdict = ScanVerdict::kScanned;
  store::BlockRange range;
  std::vector<store::BlockRecord> blocks;  // kScanned: ascending by number
  std::vector<store::Claim> claims;        // kScanned: in (block, log, batch index) order
  std::uint64_t logs = 0;                  // kScanned: logs received
  std::uint64_t ignored = 0;               // kScanned: transfer elements that are no claim
  std::uint64_t anchor = 0;                // kAnchorMismatch: the stale stored block
  std::string reason;                      // kAnchorMismatch / kRaced: what differed
};

class RangeScanner {
 public:
  // The references must outlive the scanner.
  RangeScanner(eth::ChainSource& chain, const store::NodeStore& store, ScanSettings settings);

  // Scans [from, to]. REQUIRES: from <= to. Claims get created/updated/next-attempt
  // times `now_ms`. Errors: the chain's (transient or kBadResponse when it answers
  // incompletely), kCorruption for an undecodable log.
  Result<RangeScan> scan(std::uint64_t from, std::uint64_t to, std::int64_t now_ms);

  const ScanSettings& settings() const { return settings_; }

 private:
  struct LogsWithHeaders {
    std::vector<eth::LogEntry> logs;                    // ascending (block, log index)
    std::map<std::uint64_t, eth::BlockHeader> headers;  // of every block holding a log
  };
  // The logs of [from, to] and the headers of their blocks, parts fetched in parallel.
  Result<LogsWithHeaders> fetch_logs(std::uint64_t from, std::uint64_t to,
                                     const eth::Hash32& to_hash);
  // Appends the claims of one checked mint log of `block` to out.claims.
  Status add_claims(const eth::LogEntry& log, const eth::BlockHeader& block, std::int64_t now_ms,
                    RangeScan& out) const;

  eth::ChainSource& chain_;
  const store::NodeStore& store_;
  ScanSettings settings_;
  MintClaimRules rules_;
};

}  // namespace claimsync::node
