// `claimsync claims list|show|retry`: the operator's view of the outbox (DESIGN §5, §8).
// Offline: opens the node's data dir (storage.data_dir of the config) directly, so it
// works while the daemon is stopped; while it runs, RocksDB's lock refuses the second
// opener and the command says so.
#include <iostream>

#include "node/cli_common.hpp"
#include "rpc/clock.hpp"
#include "storage/node_store.hpp"

namespace claimsync::node {
namespace {

using store::Claim;
using store::ClaimKey;
using store::ClaimState;
using store::NodeStore;

constexpr std::size_t kDefaultListLimit = 100;
constexpr std::size_t kRetryPage = 500;

std::unique_ptr<NodeStore> open_store(const std::string& command, const Config& config) {
  auto opened = NodeStore::open_existing(config.storage.data_dir);
  if (opened.ok()) return std::move(opened.value());
  std::cerr << "claimsync " << command << ": cannot open the node store at "
            << config.storage.data_dir << ": " << opened.status().to_string() << "\n";
  if (opened.status().code() == ErrorCode::kNotFound) {
    std::cerr << "Check storage.data_dir in " << config.source_path
              << "; the directory is created by 'claimsync run'.\n";
  } else {
    std::cerr << "If the daemon is running it holds the store: stop it first (claims commands "
                 "work offline).\n";
  }
  return nullptr;
}

nlohmann::json claim_json(const Claim& c) {
  nlohmann::json j = {
      {"key", c.key.to_string()},
      {"chain_id", c.key.chain_id},
      {"tx_hash", c.key.tx_hash.hex()},
      {"log_index", c.key.log_index},
      {"batch_index", c.key.batch_index},
      {"state", store::claim_state_name(c.state)},
      {"wallet", c.wallet.lower_hex()},
      {"level", c.level},
      {"amount", c.amount.to_decimal()},
      {"block_number", c.block_number},
      {"block_hash", c.block_hash.hex()},
      {"block_time", c.block_time},
      {"sources", store::claim_sources_string(c.sources)},
      {"attempts", c.attempts},
      {"next_attempt_at_ms", c.next_attempt_at_ms},
      {"last_error", c.last_error},
      {"created_at_ms", c.created_at_ms},
      {"updated_at_ms", c.updated_at_ms},
      {"referrer", nullptr},
  };
  if (c.referrer) j["referrer"] = c.referrer->lower_hex();
  return j;
}

std::vector<std::string> claim_row(const Claim& c) {
  return {c.key.to_string(),
          store::claim_state_name(c.state),
          c.wallet.lower_hex(),
          std::to_string(c.level),
          std::to_string(c.block_number),
          std::to_string(c.attempts),
          c.last_error};
}

// Parses a KEY argument; prints the usage error and returns nullopt when malformed.
std::optional<ClaimKey> parse_key(const std::string& command, const std::string& text) {
  auto key = ClaimKey::parse(text);
  if (key.ok()) return key.value();
  usage_error(command, "bad claim key '" + text + "': " + key.status().message() +
                           " (expected CHAIN:0xTX:LOG:BATCH, as printed by 'claims list')");
  return std::nullopt;
}

// Claims in `states` order, each state in key order, at most `limit` in all.
std::vector<Claim> list_claims(const NodeStore& s, const std::vector<ClaimState>& states,
                               std::size_t limit, const std::optional<ClaimKey>& after) {
  std::vector<Claim> out;
  for (ClaimState st : states) {
    if (out.size() >= limit) break;
    std::vector<Claim> page = s.list_by_state(st, limit - out.size(), after);
    for (Claim& c : page) out.push_back(std::move(c));
  }
  return out;
}

int cmd_claims_list(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string state_name;
  std::size_t limit = kDefaultListLimit;
  std::string after_text;
  CommandLine cl("claims list",
                 "claimsync claims list [--state STATE] [--limit N] [--after KEY] [--config FILE] "
                 "[--json]",
                 "Lists claims of the node's outbox, in key order: those in STATE (pending,\n"
                 "retrying, done, dead, orphaned, revoking, revoked), or all states one after\n"
                 "the other. Page with --after set to the last key printed.");
  add_common_options(cl.options, common);
  cl.options.add_options()("state", po::value<std::string>(&state_name)->value_name("STATE"),
                           "only claims in this state (e.g. dead)")(
      "limit", po::value<std::size_t>(&limit)->value_name("N")->default_value(kDefaultListLimit),
      "print at most N claims")("after", po::value<std::string>(&after_text)->value_name("KEY"),
                                "start after this claim key (pagination; needs --state)");
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (limit == 0) return usage_error(cl.name, "--limit must be at least 1");

  std::vector<ClaimState> states;
  if (state_name.empty()) {
    for (int i = 0; i < store::kClaimStateCount; ++i) states.push_back(static_cast<ClaimState>(i));
  } else {
    auto st = store::parse_claim_state(state_name);
    if (!st.ok())
      return usage_error(cl.name, "unknown --state '" + state_name + "': " + st.status().message());
    states.push_back(*st);
  }
  std::optional<ClaimKey> after;
  if (!after_text.empty()) {
    if (state_name.empty()) return usage_error(cl.name, "--after needs --state");
    after = parse_key(cl.name, after_text);
    if (!after) return kExitUsage;
  }

  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  auto s = open_store(cl.name, *config);
  if (!s) return kExitFailure;

  const std::vector<Claim> claims = list_claims(*s, states, limit, after);
  if (common.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const Claim& c : claims) arr.push_back(claim_json(c));
    print_json({{"claims", arr}, {"count", claims.size()}, {"truncated", claims.size() >= limit}});
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Claim& c : claims) rows.push_back(claim_row(c));
  print_table({"KEY", "STATE", "WALLET", "LEVEL", "BLOCK", "ATTEMPTS", "LAST_ERROR"}, rows);
  if (claims.size() >= limit) {
    std::cerr << "(showing the first " << limit << "; page on with --state S --after "
              << claims.back().key.to_string() << ")\n";
  }
  return kExitOk;
}

int cmd_claims_show(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string key_text;
  CommandLine cl("claims show", "claimsync claims show KEY [--config FILE] [--json]",
                 "Prints everything the node knows about one claim (KEY as printed by 'claims\n"
                 "list': CHAIN:0xTX:LOG:BATCH).");
  add_common_options(cl.options, common);
  cl.options.add_options()("key", po::value<std::string>(&key_text)->required(), "claim key");
  cl.positional.add("key", 1);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  auto key = parse_key(cl.name, key_text);
  if (!key) return kExitUsage;

  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  auto s = open_store(cl.name, *config);
  if (!s) return kExitFailure;

  std::optional<Claim> claim = s->get(*key);
  if (!claim) {
    std::cerr << "claimsync claims show: no claim " << key->to_string()
              << " in this node's outbox (check the key with 'claimsync claims list')\n";
    return kExitFailure;
  }
  const nlohmann::json j = claim_json(*claim);
  if (common.json) {
    print_json(j);
    return kExitOk;
  }
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& [name, value] : j.items()) {
    fields.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
  }
  print_fields(fields);
  return kExitOk;
}

// Retries every dead claim, a page at a time. Bounded: each retried claim leaves the dead
// set, and the number of pages is fixed by the count at the start.
Status retry_all_dead(NodeStore& s, std::int64_t now_ms, std::vector<ClaimKey>& retried) {
  const std::uint64_t dead_at_start = s.counters().of(ClaimState::kDead);
  const std::uint64_t max_pages = dead_at_start / kRetryPage + 2;
  std::optional<ClaimKey> after;
  for (std::uint64_t page = 0; page < max_pages; ++page) {
    std::vector<Claim> dead = s.list_by_state(ClaimState::kDead, kRetryPage, after);
    if (dead.empty()) break;
    for (const Claim& c : dead) {
      CLAIMSYNC_RETURN_IF_ERROR(s.retry_dead(c.key, now_ms));
      retried.push_back(c.key);
    }
    after = dead.back().key;
  }
  return {};
}

int cmd_claims_retry(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string key_text;
  bool all_dead = false;
  CommandLine cl("claims retry", "claimsync claims retry KEY|--all-dead [--config FILE] [--json]",
                 "Moves a dead claim (or every dead claim) back to pending with its attempts\n"
                 "reset; the replicator of the next 'claimsync run' takes it at once. Fix the\n"
                 "cause first ('claims show KEY' prints the last error).");
  add_common_options(cl.options, common);
  cl.options.add_options()("key", po::value<std::string>(&key_text), "claim key")(
      "all-dead", po::bool_switch(&all_dead), "retry every dead claim");
  cl.positional.add("key", 1);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  if (all_dead == !key_text.empty())
    return usage_error(cl.name, "give exactly one of KEY or --all-dead");
  std::optional<ClaimKey> key;
  if (!all_dead) {
    key = parse_key(cl.name, key_text);
    if (!key) return kExitUsage;
  }

  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;
  auto s = open_store(cl.name, *config);
  if (!s) return kExitFailure;

  SystemClock clock;
  std::vector<ClaimKey> retried;
  Status st;
  if (all_dead) {
    st = retry_all_dead(*s, clock.now_ms(), retried);
  } else {
    st = s->retry_dead(*key, clock.now_ms());
    if (st.ok()) retried.push_back(*key);
  }
  if (common.json) {
    nlohmann::json keys = nlohmann::json::array();
    for (const ClaimKey& k : retried) keys.push_back(k.to_string());
    nlohmann::json out = {{"retried", keys}, {"count", retried.size()}, {"ok", st.ok()}};
    if (!st.ok()) out["error"] = st.to_string();
    print_json(out);
  } else {
    for (const ClaimKey& k : retried) std::cout << "retrying " << k.to_string() << "\n";
    std::cout << retried.size() << " claim(s) moved back to pending\n";
  }
  if (!st.ok()) {
    std::cerr << "claimsync claims retry: " << st.to_string() << "\n";
    if (st.code() == ErrorCode::kFailedPrecondition) {
      std::cerr
          << "Only dead claims can be retried; 'claimsync claims show KEY' prints its state.\n";
    } else if (st.code() == ErrorCode::kNotFound) {
      std::cerr << "No such claim; 'claimsync claims list --state dead' lists the dead ones.\n";
    }
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int cmd_claims(const std::vector<std::string>& args) {
  static const std::vector<Command> subcommands = {
      {"list", "list claims of the outbox, e.g. --state dead", cmd_claims_list},
      {"show", "print one claim with its state, attempts and last error", cmd_claims_show},
      {"retry", "move a dead claim (or --all-dead) back to pending", cmd_claims_retry},
  };
  return run_subcommand("claims", subcommands, args);
}

}  // namespace claimsync::node
