#include "node/reorg.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace claimsync::node {

std::optional<std::size_t> highest_canonical(std::span<const store::BlockRecord> stored,
                                             std::span<const eth::BlockHeader> chain) {
  std::unordered_map<std::uint64_t, const eth::Hash32*> by_number;
  for (const eth::BlockHeader& h : chain) by_number[h.number] = &h.hash;
  for (std::size_t i = 0; i < stored.size(); ++i) {
    auto it = by_number.find(stored[i].number);
    if (it != by_number.end() && *it->second == stored[i].hash) return i;
  }
  return std::nullopt;
}

namespace {

// Headers of the stored blocks that can exist on the chain (number <= head).
Result<std::vector<eth::BlockHeader>> chain_headers_for(
    eth::ChainSource& chain, const std::vector<store::BlockRecord>& stored, std::uint64_t head) {
  std::vector<std::uint64_t> numbers;
  for (const store::BlockRecord& b : stored) {
    if (b.number <= head) numbers.push_back(b.number);
  }
  if (numbers.empty()) return std::vector<eth::BlockHeader>{};
  return chain.headers(numbers);
}

}  // namespace

Result<ForkSearch> find_fork_point(eth::ChainSource& chain, const store::NodeStore& store,
                                   std::uint64_t at_or_below, std::uint64_t start_block,
                                   std::size_t batch) {
  Result<eth::BlockHeader> head = chain.header(eth::BlockTag::kLatest);
  if (!head.ok()) return head.status().with_context("fork search: latest block");
  ForkSearch search;
  search.head = head->number;
  if (at_or_below > head->number) {
    search.behind = true;
    return search;
  }
  std::optional<std::uint64_t> cursor = at_or_below;
  while (cursor) {  // strictly descending through a bounded window
    std::vector<store::BlockRecord> stored =
        store.blocks_descending(*cursor, std::max<std::size_t>(batch, 1));
    if (stored.empty()) break;
    Result<std::vector<eth::BlockHeader>> headers = chain_headers_for(chain, stored, head->number);
    if (!headers.ok()) return headers.status().with_context("fork search: headers");
    search.compared += stored.size();
    search.lowest_stored = stored.back().number;
    if (std::optional<std::size_t> i = highest_canonical(stored, *headers)) {
      search.found = true;
      search.fork_point = stored[*i].number;
      return search;
    }
    cursor = search.lowest_stored == 0 ? std::nullopt : std::optional(search.lowest_stored - 1);
  }
  if (search.compared > 0 && search.lowest_stored == start_block && start_block > 0) {
    search.found = true;  // the window reaches start_block: roll back everything scanned
    search.fork_point = start_block - 1;
  }
  return search;
}

}  // namespace claimsync::node
