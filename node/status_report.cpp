#include "node/status_report.hpp"

#include <sstream>

namespace claimsync::node {
namespace {

using nlohmann::json;

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

template <typename T>
std::optional<T> opt_from(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<T>();
}

json ranges_json(const std::vector<store::BlockRange>& ranges) {
  json a = json::array();
  for (const auto& r : ranges) a.push_back({r.from, r.to});
  return a;
}

std::vector<store::BlockRange> ranges_from(const json& a) {
  std::vector<store::BlockRange> out;
  for (const auto& r : a)
    out.push_back({r.at(0).get<std::uint64_t>(), r.at(1).get<std::uint64_t>()});
  return out;
}

constexpr store::ClaimState kAllStates[] = {
    store::ClaimState::kPending, store::ClaimState::kRetrying, store::ClaimState::kDone,
    store::ClaimState::kDead,    store::ClaimState::kOrphaned, store::ClaimState::kRevoking,
    store::ClaimState::kRevoked};

template <typename T>
std::string show(const std::optional<T>& v, const char* none = "-") {
  if (!v) return none;
  std::ostringstream s;
  s << *v;
  return s.str();
}

std::string show_ranges(const std::vector<store::BlockRange>& ranges) {
  if (ranges.empty()) return "none";
  std::string out;
  const std::size_t shown = std::min<std::size_t>(ranges.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    out += std::to_string(ranges[i].from) + "-" + std::to_string(ranges[i].to);
  }
  if (ranges.size() > shown) out += ", ... (" + std::to_string(ranges.size()) + " in all)";
  return out;
}

}  // namespace

std::optional<std::uint64_t> StatusReport::lag_blocks() const {
  if (!head) return std::nullopt;
  const std::uint64_t done = checkpoint.value_or(0);
  return *head > done ? *head - done : 0;
}

bool StatusReport::caught_up() const {
  if (!checkpoint || !target || *checkpoint < *target) return false;
  for (const auto& h : holes)
    if (h.from <= *checkpoint) return false;
  if (standby()) return true;  // the active node drains the outbox of the pair
  return counters.of(store::ClaimState::kPending) == 0 &&
         counters.of(store::ClaimState::kRetrying) == 0 &&
         counters.of(store::ClaimState::kRevoking) == 0;
}

json StatusReport::to_json() const {
  json claims;
  for (auto s : kAllStates) claims[store::claim_state_name(s)] = counters.of(s);
  claims["total"] = counters.total();
  claims["oldest_pending_age_s"] = opt(oldest_pending_age_s);
  return json{
      {"node",
       {{"running", running}, {"snapshot_age_ms", opt(snapshot_age_ms)}, {"pid", opt(pid)}}},
      {"chain",
       {{"chain_id", chain_id},
        {"contract", contract},
        {"head", opt(head)},
        {"target", opt(target)},
        {"checkpoint", opt(checkpoint)},
        {"lag_blocks", opt(lag_blocks())},
        {"rpc_reachable", opt(rpc_reachable)},
        {"follower_error", follower_error}}},
      {"ranges", {{"scanned", ranges_json(scanned)}, {"holes", ranges_json(holes)}}},
      {"claims", claims},
      {"db",
       {{"reachable", opt(db_reachable)},
        {"error", db_error},
        {"paused", db_paused},
        {"retry_in_ms", opt(db_retry_in_ms)},
        {"failures", db_failures}}},
      {"subscription", subscription ? json{{"connected", subscription->connected},
                                           {"heads", subscription->heads},
                                           {"reconnects", subscription->reconnects},
                                           {"ignored", subscription->ignored},
                                           {"error", subscription->error}}
                                    : json(nullptr)},
      {"ha", ha ? json{{"enabled", true},
                       {"role", ha->role},
                       {"node_id", ha->node_id},
                       {"holder", ha->holder},
                       {"token", ha->token},
                       {"takeovers", ha->takeovers},
                       {"role_since_ms", ha->role_since_ms},
                       {"adopted_token", ha->adopted_token},
                       {"last_error", ha->last_error}}
                : json(nullptr)},
      {"last_error", last_error},
      {"caught_up", caught_up()},
  };
}

StatusReport StatusReport::from_json(const json& j) {
  StatusReport r;
  const json& node = j.at("node");
  r.running = node.at("running").get<bool>();
  r.snapshot_age_ms = opt_from<std::int64_t>(node, "snapshot_age_ms");
  r.pid = opt_from<std::int64_t>(node, "pid");
  const json& chain = j.at("chain");
  r.chain_id = chain.at("chain_id").get<std::uint64_t>();
  r.contract = chain.at("contract").get<std::string>();
  r.head = opt_from<std::uint64_t>(chain, "head");
  r.target = opt_from<std::uint64_t>(chain, "target");
  r.checkpoint = opt_from<std::uint64_t>(chain, "checkpoint");
  r.rpc_reachable = opt_from<bool>(chain, "rpc_reachable");
  r.follower_error = chain.value("follower_error", "");
  r.scanned = ranges_from(j.at("ranges").at("scanned"));
  r.holes = ranges_from(j.at("ranges").at("holes"));
  const json& claims = j.at("claims");
  for (auto s : kAllStates)
    r.counters.by_state[static_cast<int>(s)] =
        claims.at(store::claim_state_name(s)).get<std::uint64_t>();
  r.oldest_pending_age_s = opt_from<std::int64_t>(claims, "oldest_pending_age_s");
  const json& db = j.at("db");
  r.db_reachable = opt_from<bool>(db, "reachable");
  r.db_error = db.value("error", "");
  r.db_paused = db.value("paused", false);
  r.db_retry_in_ms = opt_from<std::int64_t>(db, "retry_in_ms");
  r.db_failures = db.value("failures", 0u);
  if (auto it = j.find("subscription"); it != j.end() && it->is_object()) {
    r.subscription = Subscription{it->value("connected", false), it->value("heads", 0ull),
                                  it->value("reconnects", 0ull), it->value("ignored", 0ull),
                                  it->value("error", "")};
  }
  if (auto it = j.find("ha"); it != j.end() && it->is_object()) {
    r.ha = Ha{it->value("role", ""),
              it->value("node_id", ""),
              it->value("holder", ""),
              it->value("token", std::int64_t{0}),
              it->value("takeovers", 0ull),
              it->value("role_since_ms", std::int64_t{0}),
              it->value("adopted_token", std::int64_t{0}),
              it->value("last_error", "")};
  }
  r.last_error = j.value("last_error", "");
  return r;
}

std::string StatusReport::to_text() const {
  std::ostringstream o;
  o << "node:        " << (running ? "running" : "stopped");
  if (pid) o << " (pid " << *pid << ")";
  if (snapshot_age_ms) o << ", figures " << (*snapshot_age_ms / 1000) << " s old";
  o << "\nchain:       id " << chain_id << ", contract " << contract << ", rpc "
    << (rpc_reachable ? (*rpc_reachable ? "reachable" : "UNREACHABLE") : "not probed")
    << "\nblocks:      head " << show(head) << ", target " << show(target) << ", checkpoint "
    << show(checkpoint, "none yet") << ", lag " << show(lag_blocks()) << " blocks"
    << "\nscanned:     " << show_ranges(scanned) << "\nholes:       " << show_ranges(holes)
    << "\nclaims:      ";
  bool first = true;
  for (auto s : kAllStates) {
    o << (first ? "" : ", ") << store::claim_state_name(s) << " " << counters.of(s);
    first = false;
  }
  o << " (total " << counters.total() << ")";
  o << "\noldest pending: "
    << (oldest_pending_age_s ? std::to_string(*oldest_pending_age_s) + " s" : "none");
  o << "\ndatabase:    "
    << (db_reachable ? (*db_reachable ? "reachable" : "UNREACHABLE") : "not probed")
    << (db_paused ? " (replication paused after " + std::to_string(db_failures) +
                        " failed calls; next try in " +
                        (db_retry_in_ms ? std::to_string(*db_retry_in_ms / 1000) + " s" : "?") + ")"
                  : "");
  if (!db_error.empty()) o << "\ndb error:    " << db_error;
  if (subscription) {
    o << "\nnewHeads:    " << (subscription->connected ? "subscribed" : "NOT CONNECTED (polling)")
      << ", " << subscription->heads << " heads, " << subscription->reconnects << " reconnects";
    if (subscription->ignored > 0) o << ", " << subscription->ignored << " frames ignored";
    if (!subscription->connected && !subscription->error.empty())
      o << " (" << subscription->error << ")";
  }
  if (ha) {
    o << "\nha:          " << ha->role << " (node " << ha->node_id << "; lease "
      << (ha->holder.empty() ? std::string("not held") : "held by " + ha->holder) << ", token "
      << ha->token << ", " << ha->takeovers << " takeovers)";
    if (!ha->last_error.empty()) o << "\nha error:    " << ha->last_error;
  }
  if (!follower_error.empty()) o << "\nfollower error: " << follower_error;
  if (!last_error.empty()) o << "\nlast error:  " << last_error;
  o << "\ncaught up:   " << (caught_up() ? "yes" : "no");
  if (counters.of(store::ClaimState::kDead) > 0)
    o << "\nACTION:      " << counters.of(store::ClaimState::kDead)
      << " dead claim(s): inspect with `claimsync claims list --state dead`, fix the cause, "
         "then `claimsync claims retry --all-dead`";
  o << "\n";
  return o.str();
}

}  // namespace claimsync::node

namespace claimsync::node {

StatusReport store_status(const store::NodeStore& store, std::int64_t now_ms) {
  StatusReport r;
  const store::StoreIdentity id = store.identity();
  r.chain_id = id.chain_id;
  r.contract = id.contract.checksummed();
  r.checkpoint = store.checkpoint();
  r.scanned = store.ranges();
  if (!r.scanned.empty()) r.holes = store.holes(id.start_block, r.scanned.back().to);
  r.counters = store.counters();
  if (auto oldest = store.oldest_pending_created_ms())
    r.oldest_pending_age_s = std::max<std::int64_t>(0, (now_ms - *oldest) / 1000);
  r.last_error = store.note("last_error").value_or("");
  return r;
}

}  // namespace claimsync::node
