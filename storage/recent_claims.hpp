// RecentClaims: the claims the last due() call handed out, so that the replicator's
// follow-up (mark_replicated / mark_failed on the same claims) need not read them again.
// Claims are keyed by random tx hashes, so each read is a random block read once the
// outbox outgrows the block cache; this halves them on the drain path.
//
// Freshness: every committed mutation forgets the claims it wrote and bumps a generation;
// remember() stores a due() result only if no commit happened since the due() call began
// reading. So a hit is always the claim as last committed.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/claim.hpp"

namespace claimsync::store {

class RecentClaims {
 public:
  static constexpr std::size_t kMaxEntries = 8192;

  // Read before a due() call starts reading the store.
  std::uint64_t generation() const;
  // Replaces the remembered claims with `claims`, unless a commit happened since
  // `seen_generation` (then remembers nothing).
  void remember(std::uint64_t seen_generation, const std::vector<Claim>& claims);
  // The remembered claim for `encoded_key`, if any.
  std::optional<Claim> find(const std::string& encoded_key) const;
  // After a commit: drops the claims it wrote (encoded keys) and bumps the generation.
  void forget(const std::vector<std::string>& encoded_keys);

 private:
  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, Claim> claims_;
};

}  // namespace claimsync::store
