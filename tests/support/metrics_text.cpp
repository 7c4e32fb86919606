#include "tests/support/metrics_text.hpp"

#include <cstdlib>
#include <sstream>

namespace claimsync::testing {

std::optional<std::string> sample_value(const std::string& text, std::string_view series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return line.substr(series.size() + 1);
    }
  }
  return std::nullopt;
}

std::optional<double> sample_number(const std::string& text, std::string_view series) {
  auto v = sample_value(text, series);
  if (!v) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end != '\0') return std::nullopt;
  return d;
}

int lines_starting_with(const std::string& text, std::string_view prefix) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.compare(0, prefix.size(), prefix) == 0) ++n;
  }
  return n;
}

}  // namespace claimsync::testing
