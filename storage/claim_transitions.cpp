#include "storage/claim_transitions.hpp"

#include <array>

namespace claimsync::store {
namespace {

constexpr std::uint8_t bit(ClaimState s) {
  return static_cast<std::uint8_t>(1u << static_cast<int>(s));
}

using S = ClaimState;
// kAllowed[from] = set of states reachable in one move.
constexpr std::array<std::uint8_t, kClaimStateCount> kAllowed = {
    /* pending  */ bit(S::kDone) | bit(S::kRetrying) | bit(S::kDead) | bit(S::kOrphaned) |
        bit(S::kRevoking),
    /* retrying */ bit(S::kDone) | bit(S::kRetrying) | bit(S::kDead) | bit(S::kOrphaned) |
        bit(S::kRevoking),
    /* done     */ bit(S::kRevoking),
    /* dead     */ bit(S::kPending) | bit(S::kOrphaned) | bit(S::kRevoking),
    /* orphaned */ bit(S::kPending),
    /* revoking */ bit(S::kRevoked) | bit(S::kRevoking) | bit(S::kPending),
    /* revoked  */ bit(S::kPending),
};
}  // namespace

bool transition_allowed(ClaimState from, ClaimState to) {
  auto i = static_cast<std::size_t>(from);
  return i < kAllowed.size() && (kAllowed[i] & bit(to)) != 0;
}

}  // namespace claimsync::store
