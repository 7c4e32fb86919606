// did_you_mean: the closest known name to a mistyped one, for "unknown key / command" hints.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace claimsync::node {

// The candidate with the smallest edit distance to `typed`, if that distance is small
// enough to be a plausible typo (at most 2, and less than half of the typed length).
std::optional<std::string> did_you_mean(std::string_view typed,
                                        const std::vector<std::string>& candidates);

}  // namespace claimsync::node
