#include "storage/recent_claims.hpp"

namespace claimsync::store {

std::uint64_t RecentClaims::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

void RecentClaims::remember(std::uint64_t seen_generation, const std::vector<Claim>& claims) {
  std::lock_guard lock(mu_);
  if (seen_generation != generation_) return;
  claims_.clear();
  for (const auto& c : claims) {
    if (claims_.size() >= kMaxEntries) break;
    claims_.emplace(c.key.encode(), c);
  }
}

std::optional<Claim> RecentClaims::find(const std::string& encoded_key) const {
  std::lock_guard lock(mu_);
  auto it = claims_.find(encoded_key);
  if (it == claims_.end()) return std::nullopt;
  return it->second;
}

void RecentClaims::forget(const std::vector<std::string>& encoded_keys) {
  std::lock_guard lock(mu_);
  ++generation_;
  if (claims_.empty()) return;
  for (const auto& k : encoded_keys) claims_.erase(k);
}

}  // namespace claimsync::store
