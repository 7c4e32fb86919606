#include "node/range_scanner.hpp"

#include <algorithm>
#include <future>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "rpc/erc1155.hpp"
#include "rpc/logging.hpp"

namespace claimsync::node {
namespace {

using HeaderMap = std::map<std::uint64_t, eth::BlockHeader>;

// How the stored block below `from` is checked against the chain.
struct AnchorCheck {
  store::BlockRecord stored;
  std::uint64_t fetch = 0;  // the block whose header proves (or disproves) it
  bool by_parent = false;   // compare header(fetch).parent_hash, else header(fetch).hash
};

std::optional<AnchorCheck> anchor_check(const store::NodeStore& store, std::uint64_t from) {
  if (from == 0) return std::nullopt;
  std::vector<store::BlockRecord> below = store.blocks_descending(from - 1, 1);
  if (below.empty()) return std::nullopt;
  AnchorCheck check{below.front(), below.front().number, false};
  if (check.stored.number == from - 1) check = {check.stored, from, true};
  return check;
}

bool anchor_holds(const AnchorCheck& check, const HeaderMap& headers) {
  const eth::BlockHeader& h = headers.at(check.fetch);
  return (check.by_parent ? h.parent_hash : h.hash) == check.stored.hash;
}

// Headers of `numbers` (deduplicated) in one batch, by number. An answer that lacks a
// requested block or adds another is kBadResponse.
Result<HeaderMap> fetch_headers(eth::ChainSource& chain, std::vector<std::uint64_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  Result<std::vector<eth::BlockHeader>> got = chain.headers(numbers);
  if (!got.ok()) return got.status();
  HeaderMap by_number;
  for (eth::BlockHeader& h : *got) by_number.emplace(h.number, std::move(h));
  bool complete = by_number.size() == numbers.size();
  for (std::uint64_t n : numbers) complete = complete && by_number.count(n) == 1;
  if (!complete) {
    return error(ErrorCode::kBadResponse, "headers(): the answer does not match the " +
                                              std::to_string(numbers.size()) + " blocks asked");
  }
  return by_number;
}

// to - 1, to - 2, to - 4, ... within [from, to] and at most `window` below `to`.
std::vector<std::uint64_t> ladder(std::uint64_t from, std::uint64_t to, std::uint64_t window) {
  std::vector<std::uint64_t> rungs;
  for (std::uint64_t step = 1; step <= window && step <= to - from; step *= 2) {
    rungs.push_back(to - step);
  }
  return rungs;
}

eth::LogFilter mint_filter(const eth::Address& contract, std::uint64_t from, std::uint64_t to) {
  eth::LogFilter f;
  f.address = contract;
  f.topics = {{eth::transfer_single_topic(), eth::transfer_batch_topic()}, {}, {eth::Hash32()}};
  f.from_block = from;
  f.to_block = to;
  return f;
}

std::string log_name(const eth::LogEntry& log) {
  return "log " + std::to_string(log.log_index) + " of tx " + log.tx_hash.hex() + " in block " +
         std::to_string(log.block_number);
}

// [from, to] cut into at most kMaxParts equal parts of at least `min_blocks` blocks.
std::vector<store::BlockRange> split_range(std::uint64_t from, std::uint64_t to,
                                           std::uint64_t min_blocks) {
  constexpr std::uint64_t kMaxParts = 4;
  const std::uint64_t blocks = to - from + 1;
  const std::uint64_t parts =
      std::clamp<std::uint64_t>(blocks / std::max<std::uint64_t>(min_blocks, 1), 1, kMaxParts);
  std::vector<store::BlockRange> out;
  for (std::uint64_t i = 0, start = from; i < parts; ++i) {
    const std::uint64_t size = blocks / parts + (i < blocks % parts ? 1 : 0);
    out.push_back({start, start + size - 1});
    start += size;
  }
  return out;
}

}  // namespace

RangeScanner::RangeScanner(eth::ChainSource& chain, const store::NodeStore& store,
                           ScanSettings settings)
    : chain_(chain),
      store_(store),
      settings_(std::move(settings)),
      rules_{settings_.chain_id,
             {settings_.levels.begin(), settings_.levels.end()},
             settings_.sources} {}

Result<RangeScan> RangeScanner::scan(std::uint64_t from, std::uint64_t to, std::int64_t now_ms) {
  if (from > to) throw std::logic_error("RangeScanner::scan: from > to");
  RangeScan out;
  out.range = {from, to};
  const std::optional<AnchorCheck> anchor = anchor_check(store_, from);
  auto stale_anchor = [&](const char* when) {
    out.verdict = ScanVerdict::kAnchorMismatch;
    out.anchor = anchor->stored.number;
    out.reason = std::string("stored block ") + std::to_string(anchor->stored.number) + " " +
                 anchor->stored.hash.hex() + " is no longer canonical (" + when + ")";
    return out;
  };

  // 1. Before the logs: the anchor and the block the logs will be checked against.
  std::vector<std::uint64_t> before{to};
  if (anchor) before.push_back(anchor->fetch);
  Result<HeaderMap> pre = fetch_headers(chain_, before);
  if (!pre.ok()) return pre.status().with_context("headers before logs");
  if (anchor && !anchor_holds(*anchor, *pre)) return stale_anchor("before the logs");
  const eth::Hash32 to_hash = pre->at(to).hash;

  // 2. The logs, and the headers of the blocks holding them.
  Result<LogsWithHeaders> fetched = fetch_logs(from, to, to_hash);
  if (!fetched.ok() && fetched.status().code() == ErrorCode::kReorg) {
    out.verdict = ScanVerdict::kRaced;
    out.reason = fetched.status().message();
    return out;
  }
  if (!fetched.ok()) return fetched.status();
  out.logs = fetched->logs.size();

  // 3. After the logs: the same checks again, plus the other headers of blocks to keep.
  std::vector<std::uint64_t> after = ladder(from, to, settings_.reorg_window);
  after.push_back(to);
  if (anchor) after.push_back(anchor->fetch);
  if (!anchor) after.push_back(from);
  Result<HeaderMap> post = fetch_headers(chain_, after);
  if (!post.ok()) return post.status().with_context("headers after logs");
  if (anchor && !anchor_holds(*anchor, *post)) return stale_anchor("after the logs");
  auto raced = [&](std::string why) {
    out.verdict = ScanVerdict::kRaced;
    out.reason = std::move(why);
    return out;
  };
  if (post->at(to).hash != to_hash) {
    return raced("block " + std::to_string(to) + " changed during the scan");
  }
  for (auto& [number, h] : fetched->headers) {
    auto [it, inserted] = post->emplace(number, h);
    if (!inserted && it->second.hash != h.hash) {
      return raced("block " + std::to_string(number) + " changed during the scan");
    }
  }

  // 4. Claims.
  for (const eth::LogEntry& log : fetched->logs) {
    const eth::BlockHeader& block = post->at(log.block_number);
    if (log.removed) return raced(log_name(log) + " was removed by a reorg");
    if (log.block_hash != block.hash)
      return raced(log_name(log) + " belongs to another block hash");
    CLAIMSYNC_RETURN_IF_ERROR(add_claims(log, block, now_ms, out));
  }

  // 5. Blocks for the window: every header fetched after the pre-check, within the range.
  for (const auto& [number, h] : *post) {
    if (number >= from && number <= to) out.blocks.push_back({number, h.hash, h.parent_hash});
  }
  return out;
}

Result<RangeScanner::LogsWithHeaders> RangeScanner::fetch_logs(std::uint64_t from, std::uint64_t to,
                                                               const eth::Hash32& to_hash) {
  // One part: its logs (pinned to the checked header of `to`), then the headers of the
  // blocks holding them.
  auto fetch_part = [this, to, to_hash](store::BlockRange part) -> Result<LogsWithHeaders> {
    eth::LogFilter filter = mint_filter(settings_.contract, part.from, part.to);
    filter.pin = eth::BlockPin{to, to_hash};
    Result<std::vector<eth::LogEntry>> logs = chain_.logs(filter);
    if (!logs.ok()) return logs.status().with_context("logs");
    std::vector<std::uint64_t> numbers;
    for (const eth::LogEntry& log : *logs) {
      if (log.block_number < part.from || log.block_number > part.to) {
        return error(ErrorCode::kBadResponse, log_name(log) + " lies outside the range asked");
      }
      numbers.push_back(log.block_number);
    }
    LogsWithHeaders out{std::move(*logs), {}};
    if (numbers.empty()) return out;
    Result<HeaderMap> headers = fetch_headers(chain_, std::move(numbers));
    if (!headers.ok()) return headers.status().with_context("headers of log blocks");
    out.headers = std::move(*headers);
    return out;
  };
  // The parts go out at once (at most 4: split_range): the provider answers them in
  // parallel and their JSON is decoded on as many threads, which is most of a scan's
  // time. Every future is waited for before returning (an early return waits in the
  // futures' destructors, each a bounded chain call).
  const std::vector<store::BlockRange> parts = split_range(from, to, settings_.pipeline_min_blocks);
  std::vector<std::future<Result<LogsWithHeaders>>> in_flight;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    in_flight.push_back(std::async(std::launch::async, fetch_part, parts[i]));
  }
  LogsWithHeaders out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Result<LogsWithHeaders> part = i == 0 ? fetch_part(parts[0]) : in_flight[i - 1].get();
    if (!part.ok()) return part.status();
    out.headers.merge(part->headers);
    out.logs.insert(out.logs.end(), std::make_move_iterator(part->logs.begin()),
                    std::make_move_iterator(part->logs.end()));
  }
  return out;
}

Status RangeScanner::add_claims(const eth::LogEntry& log, const eth::BlockHeader& block,
                                std::int64_t now_ms, RangeScan& out) const {
  Status st = append_mint_claims(log, block, rules_, now_ms, out.claims, out.ignored);
  if (!st.ok()) {
    log_error("undecodable_log", {{"log", log_name(log)},
                                  {"error", st.message()},
                                  {"next",
                                   "check chain.contract is the ERC-1155 contract; report "
                                   "the log, then rescan its block"}});
    return error(ErrorCode::kCorruption, log_name(log) + " does not decode: " + st.message());
  }
  return {};
}

}  // namespace claimsync::node
