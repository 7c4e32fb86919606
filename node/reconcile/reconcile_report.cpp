#include "node/reconcile/reconcile_report.hpp"

#include <sstream>

namespace claimsync::node {
namespace {

constexpr std::array<const char*, kReconcileClassCount> kNames = {
    "missing_in_store",         "extra_in_store",       "ledger_missing",
    "ledger_status_mismatch",   "ledger_without_claim", "membership_missing",
    "membership_without_claim", "current_level_wrong",  "unscanned",
    "newer_than_pin",           "membership_foreign",   "member_holder",
    "member_not_holding",       "holder_without_claim",
};

nlohmann::json sample_json(const ReconcileSample& s) {
  nlohmann::json j = {{"wallet", s.wallet},           {"level", s.level},
                      {"chain_value", s.chain_value}, {"db_value", s.db_value},
                      {"claim_key", s.claim_key},     {"block", nullptr}};
  if (s.block) j["block"] = *s.block;
  return j;
}

std::string sample_text(const ReconcileSample& s) {
  std::ostringstream out;
  out << "    wallet=" << (s.wallet.empty() ? "-" : s.wallet) << " level=" << s.level
      << " chain=" << (s.chain_value.empty() ? "-" : s.chain_value)
      << " db=" << (s.db_value.empty() ? "-" : s.db_value)
      << " claim=" << (s.claim_key.empty() ? "-" : s.claim_key)
      << " block=" << (s.block ? std::to_string(*s.block) : "-") << "\n";
  return out.str();
}

constexpr std::array<const char*, kOriginImportClassCount> kImportNames = {
    "ingested", "already_known", "placeholder",    "no_receipt",
    "reverted", "foreign",       "scan_disagrees", "unverified",
};

nlohmann::json import_sample_json(const OriginImportSample& s) {
  nlohmann::json j = {{"tx", s.tx},         {"reason", s.reason}, {"claim_key", s.claim_key},
                      {"wallet", s.wallet}, {"level", s.level},   {"block", nullptr}};
  if (s.block) j["block"] = *s.block;
  return j;
}

nlohmann::json import_result_json(const OriginImportResult& r) {
  nlohmann::json samples = nlohmann::json::array();
  for (const OriginImportSample& s : r.samples) samples.push_back(import_sample_json(s));
  return {{"count", r.count}, {"samples", samples}};
}

nlohmann::json import_json(const OriginImportSummary& im) {
  nlohmann::json not_a_mint = {{"count", im.not_a_mint()}};
  nlohmann::json j = {{"table", im.table},
                      {"rows", im.rows},
                      {"distinct_hashes", im.distinct()},
                      {"duplicates", im.duplicates},
                      {"elapsed_ms", im.elapsed_ms}};
  for (int i = 0; i < kOriginImportClassCount; ++i) {
    const auto c = static_cast<OriginImportClass>(i);
    (is_not_a_mint(c) ? not_a_mint : j)[origin_import_class_name(c)] =
        import_result_json(im.classes[i]);
  }
  j["ingested"]["claims"] = im.claims_ingested;
  j["not_a_mint"] = not_a_mint;
  j["replication"] = {
      {"claims", im.claims_ingested}, {"settled", im.settled}, {"unsettled", im.unsettled}};
  return j;
}

std::string import_sample_text(const OriginImportSample& s, const char* cls) {
  std::ostringstream out;
  out << "    " << cls << " tx=" << s.tx;
  if (!s.claim_key.empty()) out << " claim=" << s.claim_key;
  if (!s.wallet.empty()) out << " wallet=" << s.wallet << " level=" << s.level;
  if (s.block) out << " block=" << *s.block;
  if (!s.reason.empty()) out << ": " << s.reason;
  out << "\n";
  return out.str();
}

std::string import_text(const OriginImportSummary& im) {
  std::ostringstream out;
  auto count = [&](OriginImportClass c) { return im.of(c).count; };
  auto samples = [&](OriginImportClass c) {
    for (const OriginImportSample& s : im.of(c).samples)
      out << import_sample_text(s, origin_import_class_name(c));
  };
  using C = OriginImportClass;
  out << "origin queue import (" << im.table << "): " << im.rows << " row(s), " << im.distinct()
      << " distinct tx hash(es), " << im.duplicates << " duplicate(s), " << im.elapsed_ms
      << " ms\n";
  out << "  ingested: " << count(C::kIngested) << " tx (" << im.claims_ingested << " claim(s); "
      << im.settled << " settled in the sink, " << im.unsettled << " not yet)\n";
  samples(C::kIngested);
  out << "  already_known: " << count(C::kAlreadyKnown) << "\n";
  out << "  not_a_mint: " << im.not_a_mint() << " (";
  for (int i = 0; i < kOriginImportClassCount; ++i) {
    const auto c = static_cast<C>(i);
    if (!is_not_a_mint(c)) continue;
    out << (c == C::kPlaceholder ? "" : ", ") << origin_import_class_name(c) << " "
        << im.classes[i].count;
  }
  out << ")\n";
  for (int i = 0; i < kOriginImportClassCount; ++i) {
    if (is_not_a_mint(static_cast<C>(i))) samples(static_cast<C>(i));
  }
  for (C c : {C::kScanDisagrees, C::kUnverified}) {
    out << "  " << origin_import_class_name(c) << ": " << count(c) << "\n";
    samples(c);
  }
  return out.str();
}

}  // namespace

const char* origin_import_class_name(OriginImportClass c) {
  return kImportNames[static_cast<int>(c)];
}

bool is_not_a_mint(OriginImportClass c) {
  return c == OriginImportClass::kPlaceholder || c == OriginImportClass::kNoReceipt ||
         c == OriginImportClass::kReverted || c == OriginImportClass::kForeign;
}

void OriginImportSummary::add(OriginImportClass c, OriginImportSample sample,
                              std::size_t sample_limit) {
  OriginImportResult& r = of(c);
  ++r.count;
  if (r.samples.size() < sample_limit) r.samples.push_back(std::move(sample));
}

std::uint64_t OriginImportSummary::distinct() const {
  std::uint64_t n = 0;
  for (const OriginImportResult& r : classes) n += r.count;
  return n;
}

std::uint64_t OriginImportSummary::not_a_mint() const {
  std::uint64_t n = 0;
  for (int i = 0; i < kOriginImportClassCount; ++i) {
    if (is_not_a_mint(static_cast<OriginImportClass>(i))) n += classes[i].count;
  }
  return n;
}

const char* reconcile_class_name(ReconcileClass c) { return kNames[static_cast<int>(c)]; }

bool is_difference(ReconcileClass c) {
  return static_cast<int>(c) < static_cast<int>(ReconcileClass::kUnscanned);
}

void ReconcileReport::add(ReconcileClass c, ReconcileSample sample) {
  ClassResult& r = of(c);
  ++r.count;
  if (r.samples.size() < sample_limit) r.samples.push_back(std::move(sample));
}

std::uint64_t ReconcileReport::differences() const {
  std::uint64_t n = 0;
  for (int i = 0; i < kReconcileClassCount; ++i) {
    if (is_difference(static_cast<ReconcileClass>(i))) n += classes[i].count;
  }
  return n;
}

int ReconcileReport::exit_code() const {
  if (!complete()) return 2;
  if (repair && repair->refused) return kReconcileExitRepairRefused;
  return differences() == 0 ? 0 : 1;
}

nlohmann::json ReconcileReport::to_json() const {
  nlohmann::json differences_j = nlohmann::json::object();
  nlohmann::json info_j = nlohmann::json::object();
  for (int i = 0; i < kReconcileClassCount; ++i) {
    const auto c = static_cast<ReconcileClass>(i);
    nlohmann::json samples = nlohmann::json::array();
    for (const ReconcileSample& s : classes[i].samples) samples.push_back(sample_json(s));
    nlohmann::json entry = {{"count", classes[i].count}, {"samples", samples}};
    (is_difference(c) ? differences_j : info_j)[reconcile_class_name(c)] = entry;
  }
  nlohmann::json pin_j = nullptr;
  if (pin) {
    pin_j = {{"at", pin->at},
             {"number", pin->number},
             {"hash", pin->hash},
             {"head", pin->head},
             {"lag_blocks", pin->lag()}};
  }
  nlohmann::json repair_j = nullptr;
  if (repair) {
    nlohmann::json left = nlohmann::json::array();
    for (const ReconcileSample& s : repair->left_samples) left.push_back(sample_json(s));
    repair_j = {{"refused", repair->refused},
                {"refused_reason", repair->refused_reason},
                {"max_repair_fraction", repair->max_fraction},
                {"compared", repair->compared},
                {"ingested", repair->ingested},
                {"reapplied", repair->reapplied},
                {"revoked", repair->revoked},
                {"settled", repair->settled},
                {"unsettled", repair->unsettled},
                {"left", repair->left},
                {"left_samples", left}};
  }
  return {
      {"repair", repair_j},
      {"origin_import", origin_import ? import_json(*origin_import) : nlohmann::json(nullptr)},
      {"result",
       !complete() ? "partial" : (this->differences() == 0 ? "consistent" : "differences")},
      {"status", complete() ? "complete" : "partial"},
      {"partial_reasons", partial_reasons},
      {"differences_total", this->differences()},
      {"pin", pin_j},
      {"checkpoint", checkpoint ? nlohmann::json(*checkpoint) : nlohmann::json(nullptr)},
      {"store_claims", store_claims},
      {"chain_claims", chain_claims},
      {"wallets", wallets},
      {"unreadable_sink_rows", unreadable_sink_rows},
      {"sample_limit", sample_limit},
      {"differences", differences_j},
      {"info", info_j},
      {"cost",
       {{"log_calls", cost.log_calls},
        {"balance_calls", cost.balance_calls},
        {"balance_retries", cost.balance_retries},
        {"balance_pairs", cost.balance_pairs},
        {"smallest_batch", cost.smallest_batch},
        {"elapsed_ms", cost.elapsed_ms}}},
  };
}

std::string ReconcileReport::to_text() const {
  std::ostringstream out;
  out << "reconcile: "
      << (!complete() ? "PARTIAL" : (differences() == 0 ? "consistent" : "DIFFERENCES FOUND"))
      << " (" << differences() << " difference(s))\n";
  for (const std::string& r : partial_reasons) out << "  partial: " << r << "\n";
  if (pin) {
    out << "pinned block: " << pin->number << " " << pin->hash << " (" << pin->at << ", "
        << pin->lag() << " behind head " << pin->head << ")\n";
  }
  if (origin_import) out << import_text(*origin_import);
  out << "store checkpoint: " << (checkpoint ? std::to_string(*checkpoint) : "none")
      << "; store claims " << store_claims << ", chain mints " << chain_claims << ", wallets "
      << wallets << "\n";
  for (bool diff : {true, false}) {
    out << (diff ? "differences:\n" : "information (not differences):\n");
    for (int i = 0; i < kReconcileClassCount; ++i) {
      const auto c = static_cast<ReconcileClass>(i);
      if (is_difference(c) != diff) continue;
      out << "  " << reconcile_class_name(c) << ": " << classes[i].count << "\n";
      if (diff || i >= static_cast<int>(ReconcileClass::kMemberNotHolding)) {
        for (const ReconcileSample& s : classes[i].samples) out << sample_text(s);
      }
    }
  }
  if (repair) {
    if (repair->refused) {
      out << "repair: REFUSED: " << repair->refused_reason << "\n";
    } else {
      out << "repair: " << repair->ingested << " claim(s) ingested, " << repair->reapplied
          << " re-applied, " << repair->revoked << " revoked; " << repair->settled << " settled, "
          << repair->unsettled << " not settled; " << repair->left
          << " left as reported (not proven by the chain, or not claimsync's)\n";
      for (const ReconcileSample& s : repair->left_samples) out << sample_text(s);
    }
  }
  out << "cost: " << cost.log_calls << " log sweep call(s), " << cost.balance_calls
      << " balanceOfBatch call(s) (" << cost.balance_pairs << " pairs, " << cost.balance_retries
      << " retries), " << cost.elapsed_ms << " ms\n";
  return out.str();
}

}  // namespace claimsync::node
