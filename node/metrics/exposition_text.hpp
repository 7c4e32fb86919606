// The pieces of the Prometheus text exposition format 0.0.4
// (prometheus.io/docs/instrumenting/exposition_formats): name checks, escaping, numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claimsync::node {

// The Content-Type a /metrics answer carries.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved by Prometheus).
bool valid_label_name(std::string_view name);

// HELP text: `\` -> `\\`, newline -> `\n`.
std::string escape_help(std::string_view text);
// Label value: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
std::string escape_label_value(std::string_view value);

// A sample value: "NaN", "+Inf", "-Inf", an integer when the value is a whole number of
// magnitude below 2^53, else the shortest round-trip decimal ("0.005", "1.5e-07").
std::string format_value(double value);
std::string format_value(std::uint64_t value);

}  // namespace claimsync::node
