// `claimsync verify-tx TXHASH`: the operator's first manual tool. Fetches the receipt from
// the configured RPC endpoints and prints the mints of the configured contract it holds,
// or says plainly why there are none (unknown tx, reverted tx, no qualifying mint).
//
// Exit codes: 0 the tx holds at least one mint of a configured level; 1 it does not
// (unknown, reverted, no qualifying mint) or the chain could not be read; 2 bad usage
// (malformed hash, bad config).
#include <algorithm>
#include <iostream>

#include "node/chain_factory.hpp"
#include "node/cli_common.hpp"
#include "rpc/erc1155.hpp"

namespace claimsync::node {
namespace {

using nlohmann::json;

struct Mint {
  eth::TokenTransfer transfer;
  std::uint64_t block = 0;
  std::uint32_t log_index = 0;
  bool level_configured = false;
};

// What the receipt says about the configured contract.
struct Findings {
  std::vector<Mint> mints;
  std::vector<std::string> problems;  // logs of the contract that failed to decode
};

Findings find_mints(const eth::Receipt& receipt, const Config& config) {
  Findings out;
  for (const eth::LogEntry& log : receipt.logs) {
    if (log.address != config.chain.contract || log.topics.empty()) continue;
    if (log.topics[0] != eth::transfer_single_topic() &&
        log.topics[0] != eth::transfer_batch_topic())
      continue;
    auto transfers = eth::decode_transfer_log(log);
    if (!transfers) {
      out.problems.push_back("log " + std::to_string(log.log_index) + ": " +
                             transfers.status().message());
      continue;
    }
    for (const eth::TokenTransfer& t : *transfers) {
      if (!t.is_mint()) continue;
      const auto level = t.id.to_u64();
      const bool configured =
          level && std::find(config.chain.levels.begin(), config.chain.levels.end(), *level) !=
                       config.chain.levels.end();
      out.mints.push_back({t, log.block_number, log.log_index, configured});
    }
  }
  return out;
}

json mint_json(const Mint& m) {
  return {{"wallet", m.transfer.to.lower_hex()},
          {"level", m.transfer.id.to_decimal()},
          {"amount", m.transfer.value.to_decimal()},
          {"block", m.block},
          {"log_index", m.log_index},
          {"batch_index", m.transfer.batch_index},
          {"level_configured", m.level_configured}};
}

// One line an operator can act on, per verdict.
std::string explain(const std::string& verdict, const Config& config) {
  if (verdict == "unknown") {
    return "the RPC endpoints do not know this transaction: not mined yet, dropped, or sent on "
           "another chain (this config reads chain " +
           std::to_string(config.chain.chain_id) + ")";
  }
  if (verdict == "failed") return "the transaction reverted (status 0): it minted nothing";
  if (verdict == "no_mint") {
    return "the transaction succeeded but holds no mint of a configured level by contract " +
           config.chain.contract.lower_hex();
  }
  return "the transaction minted the claims below";
}

void print_text(const std::string& tx, const std::string& verdict, const eth::Receipt* receipt,
                const Findings& findings, const Config& config) {
  std::vector<std::pair<std::string, std::string>> fields = {{"tx", tx}, {"verdict", verdict}};
  if (receipt != nullptr) {
    fields.emplace_back("status", receipt->success ? "success" : "reverted");
    fields.emplace_back("block",
                        std::to_string(receipt->block_number) + " " + receipt->block_hash.hex());
  }
  fields.emplace_back("contract", config.chain.contract.lower_hex());
  fields.emplace_back("meaning", explain(verdict, config));
  print_fields(fields);
  if (!findings.mints.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const Mint& m : findings.mints) {
      rows.push_back({m.transfer.to.lower_hex(), m.transfer.id.to_decimal(),
                      m.transfer.value.to_decimal(), std::to_string(m.block),
                      std::to_string(m.log_index), std::to_string(m.transfer.batch_index),
                      m.level_configured ? "yes" : "no (ignored)"});
    }
    std::cout << "\n";
    print_table({"WALLET", "LEVEL", "AMOUNT", "BLOCK", "LOG_INDEX", "BATCH_INDEX", "COUNTS"}, rows);
  }
  for (const std::string& p : findings.problems)
    std::cerr << "warning: undecodable log: " << p << "\n";
}

}  // namespace

int cmd_verify_tx(const std::vector<std::string>& args) {
  CommonOptions common;
  std::string tx_text;
  CommandLine cl(
      "verify-tx", "claimsync verify-tx TXHASH [--config FILE] [--json]",
      "Fetches the receipt of TXHASH from the configured RPC endpoints and prints the\n"
      "mints of the configured contract in it (wallet, level, amount, block, log index,\n"
      "batch index), or why there are none: unknown tx, reverted tx, no qualifying mint.\n"
      "Exit code 0 when it holds a mint of a configured level, 1 otherwise or when the\n"
      "chain cannot be read, 2 on bad usage.");
  add_common_options(cl.options, common);
  cl.options.add_options()("txhash", po::value<std::string>(&tx_text)->required(),
                           "transaction hash (0x + 64 hex digits)");
  cl.positional.add("txhash", 1);
  if (auto exit = parse_command_line(cl, args)) return *exit;
  auto tx = eth::Hash32::parse(tx_text);
  if (!tx) {
    return usage_error(cl.name,
                       "'" + tx_text + "' is not a transaction hash: " + tx.status().message());
  }
  std::optional<Config> config = open_config(cl.name, common.config_path);
  if (!config) return kExitUsage;

  SystemClock clock;
  auto chain = open_chain_source(*config, clock, nullptr);
  if (!chain) return usage_error(cl.name, chain.status().message());
  auto receipt = (*chain)->receipt(*tx);
  if (!receipt) {
    std::cerr << "claimsync verify-tx: cannot read the receipt: " << receipt.status().to_string()
              << "\n  check chain.rpc_urls and that the endpoints serve chain "
              << config->chain.chain_id << ", then retry\n";
    return kExitFailure;
  }
  Findings findings;
  std::string verdict = "unknown";
  const eth::Receipt* r = receipt->has_value() ? &**receipt : nullptr;
  if (r != nullptr && !r->success) {
    verdict = "failed";
  } else if (r != nullptr) {
    findings = find_mints(*r, *config);
    const bool any = std::any_of(findings.mints.begin(), findings.mints.end(),
                                 [](const Mint& m) { return m.level_configured; });
    verdict = any ? "mints" : "no_mint";
  }
  if (common.json) {
    json j = {{"tx", tx->hex()},
              {"verdict", verdict},
              {"contract", config->chain.contract.lower_hex()},
              {"chain_id", config->chain.chain_id},
              {"meaning", explain(verdict, *config)}};
    if (r != nullptr) {
      j["status"] = r->success ? "success" : "reverted";
      j["block"] = r->block_number;
      j["block_hash"] = r->block_hash.hex();
    }
    j["mints"] = json::array();
    for (const Mint& m : findings.mints) j["mints"].push_back(mint_json(m));
    j["problems"] = findings.problems;
    print_json(j);
  } else {
    print_text(tx->hex(), verdict, r, findings, *config);
  }
  return verdict == "mints" ? kExitOk : kExitFailure;
}

}  // namespace claimsync::node
