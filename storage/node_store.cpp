#include "storage/node_store.hpp"

#include <numeric>

#include "storage/rocks_node_store.hpp"

namespace claimsync::store {

std::uint64_t StateCounters::total() const {
  return std::accumulate(by_state.begin(), by_state.end(), std::uint64_t{0});
}

Result<std::unique_ptr<NodeStore>> NodeStore::open(const std::string& path,
                                                   const StoreIdentity& identity) {
  auto store = RocksNodeStore::open(path, &identity);
  if (!store) return store.status();
  return std::unique_ptr<NodeStore>(std::move(*store));
}

Result<std::unique_ptr<NodeStore>> NodeStore::open_existing(const std::string& path) {
  auto store = RocksNodeStore::open(path, nullptr);
  if (!store) return store.status();
  return std::unique_ptr<NodeStore>(std::move(*store));
}

}  // namespace claimsync::store
