// Structured logging: one event per line, `ts=... level=... event=... key=value ...`.
// Values with spaces, quotes or '=' are quoted. Lines go to stderr (the operator's
// journal). Thread-safe: a line is written with one call under a mutex.
//
//   log_info("range_committed", {{"from", 10}, {"to", 20}, {"claims", 3}});
//   log_error("sink_unavailable", {{"error", st.message()}, {"next", "check the DB URL"}});
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace claimsync {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One key=value field. Constructible from strings and integers.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  std::string key;
  std::string value;
};

void set_log_level(LogLevel level);
// When true, lines are JSON objects instead of key=value.
void set_log_json(bool json);

void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
inline void log_debug(std::string_view e, std::initializer_list<LogField> f = {}) {
  log_event(LogLevel::kDebug, e, f);
}
inline void log_info(std::string_view e, std::initializer_list<LogField> f = {}) {
  log_event(LogLevel::kInfo, e, f);
}
inline void log_warn(std::string_view e, std::initializer_list<LogField> f = {}) {
  log_event(LogLevel::kWarn, e, f);
}
inline void log_error(std::string_view e, std::initializer_list<LogField> f = {}) {
  log_event(LogLevel::kError, e, f);
}

// Formats one line without writing it (tests use this).
std::string format_log_line(LogLevel level, std::string_view event,
                            std::initializer_list<LogField> fields, bool json);

}  // namespace claimsync
