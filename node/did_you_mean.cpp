#include "node/did_you_mean.hpp"

#include <algorithm>
#include <cstddef>

namespace claimsync::node {
namespace {

// Levenshtein distance with a single rolling row.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string> did_you_mean(std::string_view typed,
                                        const std::vector<std::string>& candidates) {
  constexpr std::size_t kMaxTypo = 2;
  std::optional<std::string> best;
  std::size_t best_distance = kMaxTypo + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t d = edit_distance(typed, candidate);
    if (d < best_distance && 2 * d < typed.size()) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace claimsync::node
