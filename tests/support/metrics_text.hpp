// Reading a Prometheus text exposition in tests: the value of one sample, line counts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claimsync::testing {

// The value text of the sample whose name-and-labels part is exactly `series`
// (e.g. `claimsync_hints_total{source="intake",outcome="confirmed"}`); nullopt when absent.
std::optional<std::string> sample_value(const std::string& text, std::string_view series);
// The same as a number (nullopt when absent or not a number).
std::optional<double> sample_number(const std::string& text, std::string_view series);
// How many lines start with `prefix`.
int lines_starting_with(const std::string& text, std::string_view prefix);

}  // namespace claimsync::testing
