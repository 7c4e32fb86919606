#include "node/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "node/did_you_mean.hpp"
#include "node/webhooks/webhook_scheme.hpp"
#include "node/webhooks/webhook_verifier.hpp"
#include "rpc/http_transport.hpp"
#include "rpc/ws_url.hpp"

namespace claimsync::node {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kMaxConfigBytes = 4u << 20;  // a config is a few KB; refuse garbage
constexpr std::uint32_t kDefaultLevelCount = 19;
// Levels land in the sink's integer (int4) columns membership.nft_level and
// members.current_level: a level above 2^31-1 would fail every claim at run time.
constexpr std::int64_t kMaxLevel = std::numeric_limits<std::int32_t>::max();

// Collects every problem of a file, so one `config check` shows them all.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  // "<file>:<line>: key <key>: <what>" (line omitted when unknown).
  void add(std::uint32_t line, const std::string& key, const std::string& what) {
    std::string msg = file_;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": key " + key + ": " + what;
    lines_.emplace_back(line, std::move(msg));
  }

  bool empty() const { return lines_.empty(); }

  // One line per problem, in file order.
  Status status() const {
    auto sorted = lines_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string msg;
    for (const auto& [line, text] : sorted) msg += (msg.empty() ? "" : "\n") + text;
    return error(ErrorCode::kInvalidArgument, msg);
  }

 private:
  std::string file_;
  std::vector<std::pair<std::uint32_t, std::string>> lines_;
};

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

const char* type_phrase(toml::node_type type) {
  switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

// ---- value checks: each returns "" when fine, else what is wrong -----------------------

std::string check_http_url(const std::string& url) {
  std::string_view rest;
  if (starts_with_ci(url, "http://")) {
    rest = std::string_view(url).substr(7);
  } else if (starts_with_ci(url, "https://")) {
    rest = std::string_view(url).substr(8);
  } else {
    return "must start with http:// or https://, got \"" + mask_url(url) + "\"";
  }
  const std::size_t host_end = rest.find_first_of("/?#");
  if (rest.substr(0, host_end).empty()) return "has no host: \"" + mask_url(url) + "\"";
  if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not contain whitespace";
  return "";
}

std::string check_ws_url(const std::string& url) {
  if (!starts_with_ci(url, "ws://") && !starts_with_ci(url, "wss://"))
    return "must start with ws:// or wss://, got \"" + mask_url(url) + "\"";
  if (url.find_first_of(" \t\r\n") != std::string::npos) return "must not contain whitespace";
  Result<eth::WsUrl> parsed = eth::parse_ws_url(url);
  return parsed.ok() ? "" : parsed.status().message() + ": \"" + mask_ws_url(url) + "\"";
}

std::string check_sink_url(const std::string& url) {
  if (starts_with_ci(url, "postgres://") || starts_with_ci(url, "postgresql://")) {
    if (url.substr(url.find("://") + 3).empty()) return "has nothing after the scheme";
    return "";
  }
  if (starts_with_ci(url, "sqlite:")) {
    if (url.size() == 7) return "sqlite: needs a path, e.g. sqlite:./claimsync.sqlite";
    return "";
  }
  return "must be postgres://..., postgresql://... or sqlite:PATH";
}

std::string check_env_name(const std::string& name) {
  if (name.empty()) return "";  // no override
  const bool ok = (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                  std::all_of(name.begin(), name.end(),
                              [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  return ok ? "" : "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
}

std::string check_listen(const std::string& listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return "must be HOST:PORT, e.g. 127.0.0.1:8645";
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoul(port) > 65535) {
    return "port must be a number 0..65535, got \"" + port + "\"";
  }
  return "";
}

std::string check_one_of(const std::string& value, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return "";
    list += (list.empty() ? "" : " | ") + std::string("\"") + a + "\"";
  }
  return "must be one of " + list + ", got \"" + value + "\"";
}

// The value of the environment variable `name`, if it is set and non-empty.
std::optional<std::string> env_value(const std::string& name) {
  if (name.empty()) return std::nullopt;
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// ---- Section: reads the keys of one [table], remembering which keys it knows ------------

class Section {
 public:
  Section(const toml::table* table, std::string name, Problems& problems)
      : table_(table), name_(std::move(name)), problems_(problems) {}

  std::string dotted(std::string_view key) const { return name_ + "." + std::string(key); }

  // The node at `key`, or null when absent. Registers `key` as known.
  const toml::node* find(std::string_view key) {
    known_.emplace(key);
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  void problem(const toml::node& at, std::string_view key, const std::string& what) {
    problems_.add(line_of(at), dotted(key), what);
  }

  void missing(std::string_view key) {
    problems_.add(table_ == nullptr ? 0 : line_of(*table_), dotted(key), "required key is missing");
  }

  // Typed readers. An absent key leaves `out` (the default) untouched; a present key of the
  // wrong type or out of range is a problem. They return the node read (null if absent).
  template <typename T>
  const toml::node* integer(std::string_view key, T& out, std::int64_t min, std::int64_t max) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_integer()) {
      problem(*node, key, std::string("expected an integer, got ") + type_phrase(node->type()));
      return nullptr;
    }
    const std::int64_t v = node->as_integer()->get();
    if (v < min || v > max) {
      problem(*node, key,
              "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                  std::to_string(v));
      return nullptr;
    }
    out = static_cast<T>(v);
    return node;
  }

  const toml::node* string(std::string_view key, std::string& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_string()) {
      problem(*node, key, std::string("expected a string, got ") + type_phrase(node->type()));
      return nullptr;
    }
    out = node->as_string()->get();
    return node;
  }

  // A string that must pass `check` (returns "" when fine).
  template <typename Check>
  const toml::node* checked_string(std::string_view key, std::string& out, Check check) {
    std::string value = out;
    const toml::node* node = string(key, value);
    if (node == nullptr) return nullptr;
    if (const std::string what = check(value); !what.empty()) {
      problem(*node, key, what);
      return nullptr;
    }
    out = std::move(value);
    return node;
  }

  const toml::node* boolean(std::string_view key, bool& out) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_boolean()) {
      problem(*node, key, std::string("expected a boolean, got ") + type_phrase(node->type()));
      return nullptr;
    }
    out = node->as_boolean()->get();
    return node;
  }

  // A number (integer or float) within [min, max].
  const toml::node* real(std::string_view key, double& out, double min, double max) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_number()) {
      problem(*node, key, std::string("expected a number, got ") + type_phrase(node->type()));
      return nullptr;
    }
    const double v = node->is_integer() ? static_cast<double>(node->as_integer()->get())
                                        : node->as_floating_point()->get();
    if (!(v >= min && v <= max)) {  // also rejects nan
      std::ostringstream what;
      what << "must be between " << min << " and " << max << ", got " << v;
      problem(*node, key, what.str());
      return nullptr;
    }
    out = v;
    return node;
  }

  // An array whose every element is checked by `element(node, index)`.
  const toml::array* array(std::string_view key) {
    const toml::node* node = find(key);
    if (node == nullptr) return nullptr;
    if (!node->is_array()) {
      problem(*node, key, std::string("expected an array, got ") + type_phrase(node->type()));
      return nullptr;
    }
    if (node->as_array()->empty()) {
      problem(*node, key, "must not be empty");
      return nullptr;
    }
    return node->as_array();
  }

  // Every key of the table not read by now is a typo or an unsupported setting.
  void reject_unknown() {
    if (table_ == nullptr) return;
    const std::vector<std::string> known(known_.begin(), known_.end());
    for (const auto& [key, node] : *table_) {
      const std::string k(key.str());
      if (known_.count(k) != 0) continue;
      std::string what = "unknown key";
      if (dotted(k) == "api.admin_token") {
        what +=
            " (secrets do not go in the file: put the token in an environment variable "
            "and name it in api.admin_token_env)";
      } else if (auto guess = did_you_mean(k, known)) {
        what += " (did you mean " + dotted(*guess) + "?)";
      }
      problems_.add(key.source().begin.line > 0 ? key.source().begin.line : line_of(node),
                    dotted(k), what);
    }
  }

 private:
  const toml::table* table_;  // null when the section is absent (all defaults)
  std::string name_;
  Problems& problems_;
  std::set<std::string> known_;
};

// Reports `later < earlier` for pairs like backoff_initial_ms <= backoff_max_ms.
template <typename T>
void check_order(Section& s, const toml::node* at, std::string_view small_key, T small,
                 std::string_view big_key, T big) {
  if (small <= big || at == nullptr) return;
  s.problem(*at, big_key,
            "must be >= " + s.dotted(small_key) + " (" + std::to_string(small) + "), got " +
                std::to_string(big));
}

// When an ordering pair is violated but neither key is in the file, the defaults are
// consistent, so `at` is whichever of the two keys was given.
const toml::node* either(const toml::node* a, const toml::node* b) { return b != nullptr ? b : a; }

// ---- one function per section ----------------------------------------------------------

// The strings of `urls` (key `key`) that pass `check`; every other element is a problem.
template <typename Check>
void read_url_elements(Section& s, std::string_view key, const toml::array& urls, Check check,
                       std::vector<std::string>& out) {
  for (std::size_t i = 0; i < urls.size(); ++i) {
    const toml::node& el = *urls.get(i);
    const std::string el_key = std::string(key) + "[" + std::to_string(i) + "]";
    if (!el.is_string()) {
      s.problem(el, el_key, std::string("expected a string, got ") + type_phrase(el.type()));
    } else if (const std::string what = check(el.as_string()->get()); !what.empty()) {
      s.problem(el, el_key, what);
    } else {
      out.push_back(el.as_string()->get());
    }
  }
}

void read_rpc_urls(Section& s, ChainConfig& c) {
  const toml::array* urls = s.array("rpc_urls");
  if (urls == nullptr) {
    if (s.find("rpc_urls") == nullptr) s.missing("rpc_urls");
    return;
  }
  read_url_elements(s, "rpc_urls", *urls, check_http_url, c.rpc_urls);
}

// Optional; [] means none. Read after rpc_urls (at most one WebSocket URL per endpoint).
void read_ws_urls(Section& s, ChainConfig& c) {
  const toml::node* node = s.find("ws_urls");
  if (node == nullptr) return;
  if (!node->is_array()) {
    s.problem(*node, "ws_urls", std::string("expected an array, got ") + type_phrase(node->type()));
    return;
  }
  const toml::array& urls = *node->as_array();
  read_url_elements(s, "ws_urls", urls, check_ws_url, c.ws_urls);
  if (!c.rpc_urls.empty() && urls.size() > c.rpc_urls.size()) {
    s.problem(*node, "ws_urls",
              "has " + std::to_string(urls.size()) + " URLs but chain.rpc_urls has " +
                  std::to_string(c.rpc_urls.size()) +
                  ": give at most one WebSocket URL per RPC endpoint");
  }
}

void read_levels(Section& s, ChainConfig& c) {
  const toml::array* levels = s.array("levels");
  if (levels == nullptr) return;
  c.levels.clear();
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < levels->size(); ++i) {
    const toml::node& el = *levels->get(i);
    const std::string key = "levels[" + std::to_string(i) + "]";
    if (!el.is_integer()) {
      s.problem(el, key, std::string("expected an integer, got ") + type_phrase(el.type()));
      continue;
    }
    const std::int64_t v = el.as_integer()->get();
    if (v < 1 || v > kMaxLevel) {
      s.problem(el, key,
                "must be between 1 and " + std::to_string(kMaxLevel) + ", got " +
                    std::to_string(v) +
                    " (levels are stored in integer columns: nft_level, current_level)");
    } else if (!seen.insert(v).second) {
      s.problem(el, key, "duplicate level " + std::to_string(v));
    } else {
      c.levels.push_back(static_cast<std::uint32_t>(v));
    }
  }
}

void read_finality(Section& s, ChainConfig& c) {
  std::string mode = finality_mode_name(c.finality);
  if (s.checked_string("finality", mode, [](const std::string& v) {
        return check_one_of(v, {"confirmations", "safe", "finalized"});
      }) == nullptr) {
    return;
  }
  if (mode == "safe")
    c.finality = FinalityMode::kSafe;
  else if (mode == "finalized")
    c.finality = FinalityMode::kFinalized;
  else
    c.finality = FinalityMode::kConfirmations;
}

void read_contract(Section& s, ChainConfig& c) {
  std::string text;
  const toml::node* node = s.string("contract", text);
  if (node == nullptr) {
    if (s.find("contract") == nullptr) s.missing("contract");
    return;
  }
  Result<eth::Address> address = eth::Address::parse(text);
  if (!address.ok()) {
    s.problem(*node, "contract", address.status().message());
    return;
  }
  if (address->is_zero()) {
    s.problem(*node, "contract", "must not be the zero address");
    return;
  }
  c.contract = *address;
}

void read_chain(Section& s, ChainConfig& c) {
  read_rpc_urls(s, c);
  read_ws_urls(s, c);
  if (s.integer("chain_id", c.chain_id, 1, kInt64Max) == nullptr && s.find("chain_id") == nullptr) {
    s.missing("chain_id");
  }
  read_contract(s, c);
  s.integer("start_block", c.start_block, 0, kInt64Max);
  read_finality(s, c);
  s.integer("confirmations", c.confirmations, 0, 1'000'000);
  s.integer("poll_interval_ms", c.poll_interval_ms, 10, 3'600'000);
  read_levels(s, c);
  s.integer("reorg_window", c.reorg_window, 1, 1'000'000);
}

void read_rpc(Section& s, RpcConfig& r) {
  s.integer("timeout_ms", r.timeout_ms, 1, 600'000);
  s.integer("max_retries", r.max_retries, 0, 100);
  const auto* b0 = s.integer("backoff_initial_ms", r.backoff_initial_ms, 1, 3'600'000);
  const auto* b1 = s.integer("backoff_max_ms", r.backoff_max_ms, 1, 3'600'000);
  check_order(s, either(b0, b1), "backoff_initial_ms", r.backoff_initial_ms, "backoff_max_ms",
              r.backoff_max_ms);
  const auto* lo = s.integer("logs_min_span", r.logs_min_span, 1, 1'000'000);
  const auto* hi = s.integer("logs_max_span", r.logs_max_span, 1, 1'000'000);
  const auto* init = s.integer("logs_initial_span", r.logs_initial_span, 1, 1'000'000);
  check_order(s, either(lo, init), "logs_min_span", r.logs_min_span, "logs_initial_span",
              r.logs_initial_span);
  check_order(s, either(init, hi), "logs_initial_span", r.logs_initial_span, "logs_max_span",
              r.logs_max_span);
  s.integer("max_response_bytes", r.max_response_bytes, 1024, std::int64_t{1} << 31);
  s.integer("max_batch", r.max_batch, 1, 10'000);
  s.integer("max_lag_blocks", r.max_lag_blocks, 0, 1'000'000);
}

void read_storage(Section& s, StorageConfig& st) {
  s.checked_string("data_dir", st.data_dir,
                   [](const std::string& v) { return v.empty() ? "must not be empty" : ""; });
}

void read_sink(Section& s, SinkConfig& k, Problems& problems) {
  const toml::node* env_node = s.checked_string("url_env", k.url_env, check_env_name);
  s.checked_string("url", k.url, check_sink_url);
  s.boolean("migrate_on_start", k.migrate_on_start);
  s.integer("call_timeout_ms", k.call_timeout_ms, 100, 3'600'000);
  const toml::node* lanes = s.integer("write_connections", k.write_connections, 0, 8);
  if (const auto from_env = env_value(k.url_env)) {
    // Never echo the value: it usually carries a password.
    if (const std::string what = check_sink_url(*from_env); !what.empty()) {
      problems.add(env_node != nullptr ? line_of(*env_node) : 0, "sink.url",
                   "(from environment variable " + k.url_env + ") " + what);
    } else {
      k.url = *from_env;
    }
  }
  if (k.write_connections > 1 && starts_with_ci(k.url, "sqlite:")) {
    problems.add(lanes != nullptr ? line_of(*lanes) : 0, "sink.write_connections",
                 "more than one write connection needs a Postgres sink.url (SQLite has one "
                 "writer); set 0 or 1");
  }
}

void read_replicator(Section& s, ReplicatorConfig& r) {
  const auto* n0 = s.integer("batch_size", r.batch_size, 1, 100'000);
  const auto* n1 = s.integer("max_batch_size", r.max_batch_size, 1, 100'000);
  if (n0 != nullptr && n1 == nullptr) r.max_batch_size = std::max(r.max_batch_size, r.batch_size);
  check_order(s, either(n0, n1), "batch_size", r.batch_size, "max_batch_size", r.max_batch_size);
  s.integer("max_attempts", r.max_attempts, 1, 1'000);
  const auto* b0 = s.integer("backoff_initial_ms", r.backoff_initial_ms, 1, 86'400'000);
  const auto* b1 = s.integer("backoff_max_ms", r.backoff_max_ms, 1, 86'400'000);
  check_order(s, either(b0, b1), "backoff_initial_ms", r.backoff_initial_ms, "backoff_max_ms",
              r.backoff_max_ms);
  s.integer("idle_poll_ms", r.idle_poll_ms, 1, 60'000);
}

// An origin as browsers send it: scheme://host[:port], nothing after.
std::string check_origin(const std::string& origin) {
  if (!starts_with_ci(origin, "http://") && !starts_with_ci(origin, "https://"))
    return "must start with http:// or https://, got \"" + origin + "\"";
  const std::string_view rest = std::string_view(origin).substr(origin.find("://") + 3);
  if (rest.empty()) return "has no host: \"" + origin + "\"";
  if (rest.find_first_of("/?# \t\r\n") != std::string_view::npos)
    return "must be an origin (scheme://host[:port], no path or trailing slash), got \"" + origin +
           "\"";
  return "";
}

// Optional; [] means no cross-origin access.
void read_cors_origins(Section& s, ApiConfig& a) {
  const toml::node* node = s.find("cors_origins");
  if (node == nullptr) return;
  if (!node->is_array()) {
    s.problem(*node, "cors_origins",
              std::string("expected an array, got ") + type_phrase(node->type()));
    return;
  }
  read_url_elements(s, "cors_origins", *node->as_array(), check_origin, a.cors_origins);
}

void read_api(Section& s, ApiConfig& a) {
  s.boolean("enabled", a.enabled);
  s.checked_string("listen", a.listen, check_listen);
  s.integer("workers", a.workers, 1, 1'024);
  s.integer("max_queued", a.max_queued, 1, 100'000);
  s.integer("read_timeout_ms", a.read_timeout_ms, 10, 600'000);
  s.integer("write_timeout_ms", a.write_timeout_ms, 10, 600'000);
  s.integer("max_body_bytes", a.max_body_bytes, 256, 64 << 20);
  read_cors_origins(s, a);
  const auto* r0 = s.integer("rate_limit_per_s", a.rate_limit_per_s, 0, 1'000'000);
  const auto* r1 = s.integer("rate_limit_burst", a.rate_limit_burst, 1, 1'000'000);
  if (r0 != nullptr && r1 == nullptr)
    a.rate_limit_burst = std::max(a.rate_limit_burst, a.rate_limit_per_s);
  if (a.rate_limit_per_s > 0)
    check_order(s, either(r0, r1), "rate_limit_per_s", a.rate_limit_per_s, "rate_limit_burst",
                a.rate_limit_burst);
  s.integer("ready_max_lag_blocks", a.ready_max_lag_blocks, 0, 1'000'000);
  s.checked_string("admin_token_env", a.admin_token_env, check_env_name);
  a.admin_token = env_value(a.admin_token_env).value_or("");
}

void read_intake(Section& s, IntakeConfig& i) {
  s.checked_string("replicate", i.replicate, [](const std::string& v) {
    return check_one_of(v, {"at_once", "when_final"});
  });
  s.integer("workers", i.workers, 1, 256);
  s.integer("queue_limit", i.queue_limit, 1, 1'000'000);
  s.integer("max_tracked", i.max_tracked, 1, 10'000'000);
  s.integer("watch_s", i.watch_s, 1, 86'400);
  s.integer("recheck_ms", i.recheck_ms, 10, 600'000);
}

// The default name of a provider's secret variable: CLAIMSYNC_THIRDWEB_WEBHOOK_SECRET, ...
std::string default_webhook_secret_env(std::string_view provider) {
  std::string upper;
  for (char c : provider) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "CLAIMSYNC_" + upper + "_WEBHOOK_SECRET";
}

// [webhooks] and its optional [webhooks.<provider>] tables. Every provider of the verifier
// table gets an entry; its route is enabled when its secret variable is set.
void read_webhooks(Section& s, WebhooksConfig& w, Problems& problems) {
  s.integer("max_body_bytes", w.max_body_bytes, 1024, 64 << 20);
  s.integer("replay_capacity", w.replay_capacity, 16, 10'000'000);
  for (std::string_view name : webhook_providers()) {
    const std::string provider(name);
    WebhookProviderConfig p;
    p.secret_env = default_webhook_secret_env(provider);
    const toml::node* node = s.find(provider);
    const toml::table* table = nullptr;
    if (node != nullptr && !node->is_table()) {
      s.problem(*node, provider,
                std::string("expected a table [webhooks.") + provider + "], got " +
                    type_phrase(node->type()));
    } else if (node != nullptr) {
      table = node->as_table();
    }
    Section sub(table, "webhooks." + provider, problems);
    const toml::node* env_node = sub.checked_string("secret_env", p.secret_env, check_env_name);
    sub.checked_string("network", p.network, [](const std::string& v) {
      return v.empty() || v.size() > 64 ? "must be a network name of 1 to 64 characters" : "";
    });
    sub.reject_unknown();
    if (p.secret_env.empty()) p.secret_env = default_webhook_secret_env(provider);
    if (const auto secret = env_value(p.secret_env)) {
      const auto scheme = select_webhook_scheme(provider, [](std::string_view) { return false; });
      const Status valid = scheme ? validate_webhook_secret(*scheme, *secret) : Status::ok_status();
      if (!valid.ok()) {  // never echo the value
        problems.add(env_node != nullptr ? line_of(*env_node) : 0,
                     "webhooks." + provider + ".secret_env",
                     "(environment variable " + p.secret_env + ") " + valid.message());
      } else {
        p.secret = *secret;
      }
    }
    w.providers.emplace(provider, std::move(p));
  }
}

void read_alerts(Section& s, AlertsConfig& a, Problems& problems) {
  s.boolean("enabled", a.enabled);
  const toml::node* env_node =
      s.checked_string("webhook_url_env", a.webhook_url_env, check_env_name);
  s.checked_string("format", a.format, [](const std::string& v) {
    return check_one_of(v, {"slack", "json"});
  });
  s.integer("min_interval_s", a.min_interval_s, 0, 86'400);
  s.integer("timeout_ms", a.timeout_ms, 100, 60'000);
  s.integer("pending_age_s", a.pending_age_s, 1, 30 * 86'400);
  s.integer("blocks_behind", a.blocks_behind, 1, 100'000'000);
  s.integer("behind_for_s", a.behind_for_s, 0, 30 * 86'400);
  s.integer("sink_down_for_s", a.sink_down_for_s, 0, 30 * 86'400);
  s.integer("rpc_down_for_s", a.rpc_down_for_s, 0, 30 * 86'400);
  if (!a.enabled) return;
  const auto url = env_value(a.webhook_url_env);
  const int line = env_node != nullptr ? line_of(*env_node) : 0;
  if (!url) {
    problems.add(line, "alerts.webhook_url_env",
                 "alerts.enabled is true but environment variable " + a.webhook_url_env +
                     " is not set: set it to the webhook URL, or set alerts.enabled = false");
    return;
  }
  // Never echo the value: Slack and Discord webhook URLs are secrets.
  if (const auto parsed = eth::parse_http_url(*url); !parsed.ok()) {
    problems.add(line, "alerts.webhook_url_env",
                 "(environment variable " + a.webhook_url_env +
                     ") is not an http(s) URL: " + parsed.status().message());
    return;
  }
  a.webhook_url = *url;
}

void read_reconcile(Section& s, ReconcileConfig& r) {
  s.real("max_repair_fraction", r.max_repair_fraction, 0.0, 1.0);
  s.integer("interval_s", r.interval_s, 0, kMaxReconcileIntervalS);
  s.integer("balance_concurrency", r.balance_concurrency, 1, 16);
}

std::string check_node_id(const std::string& id) {
  if (id.size() > 64) return "must be at most 64 characters";
  const bool ok = std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
  return ok ? "" : "may hold only letters, digits and - _ . : (it names this node in the lease)";
}

void read_ha(Section& s, HaConfig& h, const SinkConfig& sink, Problems& problems) {
  const toml::node* enabled = s.boolean("enabled", h.enabled);
  s.checked_string("node_id", h.node_id, check_node_id);
  s.integer("lease_ttl_ms", h.lease_ttl_ms, 500, 600'000);
  const toml::node* renew = s.integer("renew_interval_ms", h.renew_interval_ms, 0, 300'000);
  if (renew != nullptr && h.renew_interval_ms > h.lease_ttl_ms / 2) {
    problems.add(line_of(*renew), "ha.renew_interval_ms",
                 "must be at most half of ha.lease_ttl_ms (" + std::to_string(h.lease_ttl_ms) +
                     "), so one lost renewal does not lose the lease; or 0 for a quarter");
  }
  if (h.enabled && starts_with_ci(sink.url, "sqlite:")) {
    problems.add(enabled != nullptr ? line_of(*enabled) : 0, "ha.enabled",
                 "an active/standby pair needs a Postgres sink.url (the lease lives in the "
                 "database); with SQLite run one node and set ha.enabled = false");
  }
}

void read_log(Section& s, LogConfig& l) {
  s.checked_string("level", l.level, [](const std::string& v) {
    return check_one_of(v, {"debug", "info", "warn", "error"});
  });
  s.checked_string("format", l.format, [](const std::string& v) {
    return check_one_of(v, {"text", "json"});
  });
}

// The [section] table of the root, or null when absent (a non-table is a problem).
const toml::table* section_table(const toml::table& root, const char* name, Problems& problems) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    problems.add(line_of(*node), name,
                 std::string("expected a table [") + name + "], got " + type_phrase(node->type()));
    return nullptr;
  }
  return node->as_table();
}

void read_root(const toml::table& root, Config& config, Problems& problems) {
  const std::vector<std::string> sections = {"chain",      "rpc",    "storage", "sink",
                                             "replicator", "api",    "intake",  "webhooks",
                                             "reconcile",  "alerts", "ha",      "log"};
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (std::find(sections.begin(), sections.end(), k) != sections.end()) continue;
    std::string what = "unknown key";
    if (auto guess = did_you_mean(k, sections)) what += " (did you mean [" + *guess + "]?)";
    problems.add(line_of(node), k, what);
  }
  const toml::table* chain_table = section_table(root, "chain", problems);
  if (root.get("chain") == nullptr) {
    problems.add(0, "chain",
                 "required table [chain] is missing (it needs rpc_urls, chain_id, contract)");
  } else if (chain_table != nullptr) {
    Section chain(chain_table, "chain", problems);
    read_chain(chain, config.chain);
    chain.reject_unknown();
  }
  Section rpc(section_table(root, "rpc", problems), "rpc", problems);
  read_rpc(rpc, config.rpc);
  rpc.reject_unknown();
  Section storage(section_table(root, "storage", problems), "storage", problems);
  read_storage(storage, config.storage);
  storage.reject_unknown();
  Section sink(section_table(root, "sink", problems), "sink", problems);
  read_sink(sink, config.sink, problems);
  sink.reject_unknown();
  Section replicator(section_table(root, "replicator", problems), "replicator", problems);
  read_replicator(replicator, config.replicator);
  replicator.reject_unknown();
  Section api(section_table(root, "api", problems), "api", problems);
  read_api(api, config.api);
  api.reject_unknown();
  Section intake(section_table(root, "intake", problems), "intake", problems);
  read_intake(intake, config.intake);
  intake.reject_unknown();
  Section webhooks(section_table(root, "webhooks", problems), "webhooks", problems);
  read_webhooks(webhooks, config.webhooks, problems);
  webhooks.reject_unknown();
  Section alerts(section_table(root, "alerts", problems), "alerts", problems);
  read_alerts(alerts, config.alerts, problems);
  alerts.reject_unknown();
  Section reconcile(section_table(root, "reconcile", problems), "reconcile", problems);
  read_reconcile(reconcile, config.reconcile);
  reconcile.reject_unknown();
  Section ha(section_table(root, "ha", problems), "ha", problems);
  read_ha(ha, config.ha, config.sink, problems);
  ha.reject_unknown();
  Section log(section_table(root, "log", problems), "log", problems);
  read_log(log, config.log);
  log.reject_unknown();
}

// ---- rendering ---------------------------------------------------------------------------

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

template <typename T, typename Fmt>
std::string list(const std::vector<T>& items, Fmt fmt) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : ", ") + fmt(items[i]);
  return out + "]";
}

std::string yes(bool b) { return b ? "true" : "false"; }

}  // namespace

const char* finality_mode_name(FinalityMode m) {
  switch (m) {
    case FinalityMode::kConfirmations: return "confirmations";
    case FinalityMode::kSafe: return "safe";
    case FinalityMode::kFinalized: return "finalized";
  }
  return "confirmations";
}

Result<Config> parse_config(const std::string& toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return error(ErrorCode::kInvalidArgument,
                 source_name + ":" + std::to_string(begin.line) + ":" +
                     std::to_string(begin.column) +
                     ": TOML syntax error: " + std::string(e.description()));
  }
  Config config;
  config.source_path = source_name;
  config.chain.levels.clear();
  for (std::uint32_t level = 1; level <= kDefaultLevelCount; ++level)
    config.chain.levels.push_back(level);
  Problems problems(source_name);
  read_root(root, config, problems);
  if (!problems.empty()) return problems.status();
  return config;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIOError,
                 "cannot read config file " + path + ": " + std::strerror(err));
  }
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    return error(
        ErrorCode::kInvalidArgument,
        path + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes; not a config file?");
  }
  if (in.bad()) return error(ErrorCode::kIOError, "error reading config file " + path);
  return parse_config(text, path);
}

std::string render_config(const Config& c) {
  std::ostringstream o;
  o << "# claimsync effective configuration";
  if (!c.source_path.empty()) o << " (" << c.source_path << ")";
  o << "; secrets masked\n";
  o << "\n[chain]\n"
    << "rpc_urls = "
    << list(c.chain.rpc_urls, [](const std::string& u) { return quote(mask_rpc_url(u)); }) << "\n";
  if (!c.chain.ws_urls.empty()) {  // optional and off by default (commented out in the example)
    o << "ws_urls = "
      << list(c.chain.ws_urls, [](const std::string& u) { return quote(mask_ws_url(u)); }) << "\n";
  }
  o << "chain_id = " << c.chain.chain_id << "\n"
    << "contract = " << quote(c.chain.contract.checksummed()) << "\n"
    << "start_block = " << c.chain.start_block << "\n"
    << "finality = " << quote(finality_mode_name(c.chain.finality)) << "\n"
    << "confirmations = " << c.chain.confirmations << "\n"
    << "poll_interval_ms = " << c.chain.poll_interval_ms << "\n"
    << "levels = " << list(c.chain.levels, [](std::uint32_t l) { return std::to_string(l); })
    << "\n"
    << "reorg_window = " << c.chain.reorg_window << "\n";
  o << "\n[rpc]\n"
    << "timeout_ms = " << c.rpc.timeout_ms << "\n"
    << "max_retries = " << c.rpc.max_retries << "\n"
    << "backoff_initial_ms = " << c.rpc.backoff_initial_ms << "\n"
    << "backoff_max_ms = " << c.rpc.backoff_max_ms << "\n"
    << "logs_min_span = " << c.rpc.logs_min_span << "\n"
    << "logs_max_span = " << c.rpc.logs_max_span << "\n"
    << "logs_initial_span = " << c.rpc.logs_initial_span << "\n"
    << "max_response_bytes = " << c.rpc.max_response_bytes << "\n"
    << "max_batch = " << c.rpc.max_batch << "\n"
    << "max_lag_blocks = " << c.rpc.max_lag_blocks << "\n";
  o << "\n[storage]\n"
    << "data_dir = " << quote(c.storage.data_dir) << "\n";
  o << "\n[sink]\n"
    << "url = " << quote(mask_url(c.sink.url)) << "\n"
    << "url_env = " << quote(c.sink.url_env) << "\n"
    << "migrate_on_start = " << yes(c.sink.migrate_on_start) << "\n"
    << "call_timeout_ms = " << c.sink.call_timeout_ms << "\n"
    << "write_connections = " << c.sink.effective_write_connections() << "\n";
  o << "\n[replicator]\n"
    << "batch_size = " << c.replicator.batch_size << "\n"
    << "max_batch_size = " << c.replicator.max_batch_size << "\n"
    << "max_attempts = " << c.replicator.max_attempts << "\n"
    << "backoff_initial_ms = " << c.replicator.backoff_initial_ms << "\n"
    << "backoff_max_ms = " << c.replicator.backoff_max_ms << "\n"
    << "idle_poll_ms = " << c.replicator.idle_poll_ms << "\n";
  o << "\n[api]\n"
    << "enabled = " << yes(c.api.enabled) << "\n"
    << "listen = " << quote(c.api.listen) << "\n"
    << "workers = " << c.api.workers << "\n"
    << "max_queued = " << c.api.max_queued << "\n"
    << "read_timeout_ms = " << c.api.read_timeout_ms << "\n"
    << "write_timeout_ms = " << c.api.write_timeout_ms << "\n"
    << "max_body_bytes = " << c.api.max_body_bytes << "\n"
    << "cors_origins = " << list(c.api.cors_origins, [](const std::string& o) { return quote(o); })
    << "\n"
    << "rate_limit_per_s = " << c.api.rate_limit_per_s << "\n"
    << "rate_limit_burst = " << c.api.rate_limit_burst << "\n"
    << "ready_max_lag_blocks = " << c.api.ready_max_lag_blocks << "\n"
    << "admin_token_env = " << quote(c.api.admin_token_env) << "\n"
    << "# admin token: "
    << (c.api.admin_token.empty() ? "not set (admin endpoints refuse requests)" : "set (hidden)")
    << "\n";
  o << "\n[intake]\n"
    << "replicate = " << quote(c.intake.replicate) << "\n"
    << "workers = " << c.intake.workers << "\n"
    << "queue_limit = " << c.intake.queue_limit << "\n"
    << "max_tracked = " << c.intake.max_tracked << "\n"
    << "watch_s = " << c.intake.watch_s << "\n"
    << "recheck_ms = " << c.intake.recheck_ms << "\n";
  o << "\n[webhooks]\n"
    << "max_body_bytes = " << c.webhooks.max_body_bytes << "\n"
    << "replay_capacity = " << c.webhooks.replay_capacity << "\n";
  for (const auto& [name, p] : c.webhooks.providers) {
    o << "\n[webhooks." << name << "]\n"
      << "secret_env = " << quote(p.secret_env) << "\n";
    if (!p.network.empty()) o << "network = " << quote(p.network) << "\n";
    o << "# secret: "
      << (p.secret.empty() ? "not set (POST /v1/webhooks/" + name + " answers 404)"
                           : std::string("set (hidden)"))
      << "\n";
  }
  const AlertsConfig& a = c.alerts;
  o << "\n[alerts]\n"
    << "enabled = " << yes(a.enabled) << "\n"
    << "webhook_url_env = " << quote(a.webhook_url_env) << "\n"
    << "# webhook URL: "
    << (a.webhook_url.empty() ? "not set" : "set (hidden), " + mask_rpc_url(a.webhook_url)) << "\n"
    << "format = " << quote(a.format) << "\n"
    << "min_interval_s = " << a.min_interval_s << "\n"
    << "timeout_ms = " << a.timeout_ms << "\n"
    << "pending_age_s = " << a.pending_age_s << "\n"
    << "blocks_behind = " << a.blocks_behind << "\n"
    << "behind_for_s = " << a.behind_for_s << "\n"
    << "sink_down_for_s = " << a.sink_down_for_s << "\n"
    << "rpc_down_for_s = " << a.rpc_down_for_s << "\n";
  o << "\n[reconcile]\n"
    << "max_repair_fraction = " << c.reconcile.max_repair_fraction << "\n"
    << "interval_s = " << c.reconcile.interval_s << (c.reconcile.interval_s == 0 ? "  # off" : "")
    << "\n"
    << "balance_concurrency = " << c.reconcile.balance_concurrency << "\n";
  o << "\n[ha]\n"
    << "enabled = " << yes(c.ha.enabled) << "\n"
    << "node_id = " << quote(c.ha.node_id)
    << (c.ha.node_id.empty() ? "  # <hostname>:<data_dir>" : "") << "\n"
    << "lease_ttl_ms = " << c.ha.lease_ttl_ms << "\n"
    << "renew_interval_ms = " << c.ha.renew_interval_ms << "  # every " << c.ha.renew_every_ms()
    << " ms\n";
  o << "\n[log]\n"
    << "level = " << quote(c.log.level) << "\n"
    << "format = " << quote(c.log.format) << "\n";
  return o.str();
}

std::string mask_rpc_url(const std::string& url) {
  // Providers put the API key in the path (/v2/KEY) or the query (?apikey=KEY): show the
  // origin only, exactly as the RPC client's own log lines do.
  Result<eth::HttpUrl> parsed = eth::parse_http_url(url);
  return parsed.ok() ? parsed->redacted() : mask_url(url);
}

std::string mask_ws_url(const std::string& url) {
  Result<eth::WsUrl> parsed = eth::parse_ws_url(url);
  return parsed.ok() ? parsed->redacted() : mask_url(url);
}

std::size_t SinkConfig::effective_write_connections() const {
  if (write_connections != 0) return write_connections;
  return starts_with_ci(url, "sqlite:") ? 1 : 2;
}

std::string mask_url(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;  // sqlite:PATH and friends carry no secret
  std::string out = url;
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = std::min(out.find_first_of("/?#", authority), out.size());
  const std::size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority) {
    const std::size_t colon = out.find(':', authority);
    if (colon != std::string::npos && colon < at && colon + 1 < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // libpq also takes the password as a query parameter: ?password=... or &password=...
  for (std::size_t q = out.find('?'); q != std::string::npos; q = out.find('&', q + 1)) {
    const std::size_t name = q + 1;
    if (lower(std::string_view(out).substr(name, 9)) != "password=") continue;
    const std::size_t value = name + 9;
    const std::size_t end = std::min(out.find_first_of("&#", value), out.size());
    if (end > value) out.replace(value, end - value, "***");
  }
  return out;
}

}  // namespace claimsync::node
