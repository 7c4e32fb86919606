// Webhook delivery bodies for tests: each provider's documented shape (the same shapes as
// tests/fixtures/webhooks/, see tests/fixtures/README.md), built from plain log records so
// a test can post what a provider would send about logs it really mined (anvil).
//
// Every builder returns compact JSON (nlohmann dump()), deterministic for its input, with
// the fields claimsync does not read filled with plausible constants. Addresses are
// written lower-case, quantities as each provider writes them. What each body can carry:
//
//   builder                    chain         removed        topics/from   delivery_id
//   thirdweb_insight_body      chain_id      status         yes           ids joined ','
//   thirdweb_unified_body      chain_id      status         yes           `id`
//   alchemy_graphql_body       network       (not carried)  yes           `id`
//   alchemy_nft_activity_body  network       log.removed    yes           `id`
//   quicknode_logs_body        network       log.removed    yes           ""
//   standard_claim_hint_body   chain_id      removed        (no topics)   ""
//   moralis_body               chainId hex   (not carried)  yes           ""
//
// parse_*_webhook on a builder's output yields one hint per FixtureLog, in order, with
// exactly the fields in the table (expected_hint below computes them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "node/webhooks/webhook_payloads.hpp"
#include "rpc/address.hpp"
#include "rpc/hash32.hpp"

namespace claimsync::testing {

struct FixtureLog {
  std::uint64_t chain_id = 0;
  std::uint64_t block_number = 0;
  eth::Hash32 block_hash;
  eth::Hash32 tx;
  std::uint64_t tx_index = 0;
  std::uint64_t log_index = 0;
  eth::Address address;
  std::vector<eth::Hash32> topics;  // topic0 = event signature; ERC-1155: operator, from, to
  std::string data_hex = "0x";
  bool removed = false;
};

// The logs of an eth_getTransactionReceipt result as the builders take them (decoded by
// rpc/json_decode, so a malformed receipt fails the test with the decoder's error).
std::vector<FixtureLog> fixture_logs_of_receipt(std::uint64_t chain_id,
                                                const nlohmann::json& receipt);

// thirdweb Insight {topic:"v1.events", timestamp, data:[{data:event, status, type, id}]};
// status "reverted" when removed. Entry id = the tx hash digits with the log index.
std::string thirdweb_insight_body(const std::vector<FixtureLog>& logs);
// thirdweb Webhooks {id, type, triggered_at, object, data:[entry...]} with Insight entries.
std::string thirdweb_unified_body(const std::string& id, const std::vector<FixtureLog>& logs);
// Alchemy Custom (GRAPHQL) webhook: one block per delivery. REQUIRES: all logs share one
// block (its hash and number are taken from logs[0]; an empty list gives block 0).
std::string alchemy_graphql_body(const std::string& id, const std::string& network,
                                 const std::vector<FixtureLog>& logs);
// Alchemy NFT_ACTIVITY: one activity per log; fromAddress/toAddress from topics 2/3 when
// the log is an ERC-1155 transfer, erc1155Metadata decoded from its data.
std::string alchemy_nft_activity_body(const std::string& id, const std::string& network,
                                      const std::vector<FixtureLog>& logs);
// QuickNode Streams, logs dataset, metadata in the body: data = per-block arrays of
// eth_getLogs objects (consecutive logs with one block number form one array).
std::string quicknode_logs_body(const std::string& network, const std::vector<FixtureLog>& logs);
// Standard Webhooks carrying claimsync's own {"type":"claim.hint","data":[HINT...]}.
std::string standard_claim_hint_body(const std::vector<FixtureLog>& logs);
// Moralis Streams contract-log delivery. REQUIRES: all logs share one chain and block
// (a Moralis body is per block); an empty list gives the stream's test body.
std::string moralis_body(bool confirmed, const std::vector<FixtureLog>& logs);

// What parse_<provider>_webhook yields for `log` in the body of `builder` (a name from the
// table above, e.g. "alchemy_graphql_body"), `network` as given to the builder.
node::WebhookHint expected_hint(const std::string& builder, const std::string& network,
                                const FixtureLog& log);

// One line naming every field of a hint ("tx=0x.. log_index=3 ... removed=0"), so tests
// compare hints as strings and a mismatch shows the difference.
std::string describe_hint(const node::WebhookHint& hint);

}  // namespace claimsync::testing
