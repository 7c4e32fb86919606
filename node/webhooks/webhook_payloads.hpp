// Webhook payloads: each provider's delivery body reduced to claim hints (reference
// webhooks-and-attestation.md §1-3). A hint only makes the node look at a transaction
// sooner; the intake re-reads the receipt and the chain decides (DESIGN §2).
//
// Contract of every parse_* function:
//   * Input: the verified body (raw bytes, already checked by verify_webhook_delivery).
//   * A body that is not JSON, or not the provider's documented shape where claimsync
//     reads it (a required field missing or of the wrong type, a tx hash that is not 32
//     bytes of hex): kInvalidArgument with a message naming the field. Fields claimsync
//     does not read are ignored, whatever they hold.
//   * A well-formed delivery yields every log/activity entry it carries as a hint, in
//     the body's order, without filtering by chain or contract (filter_webhook_hints does
//     that, once, for every provider). A body with no entries yields no hints.
//   * Setup and test deliveries (thirdweb's one-time verification code, Moralis's empty
//     test body) parse as kind kSetup, not as an error.
//   * Never throws; bounded by the body (no entry is expanded).
//   * Numbers are accepted as JSON numbers, decimal strings ("12") or hex quantities
//     ("0x1a"), whichever the provider sends; negative, fractional or >= 2^64 values are
//     errors. Addresses are compared case-insensitively (providers send lower-case or
//     EIP-55; a checksum proves nothing here). `from` is set only when topic0 is
//     TransferSingle/TransferBatch and topic2 is a zero-padded ABI address word (or, for
//     Alchemy NFT activity, from `fromAddress`).
//
// Decisions where the providers' docs are silent:
//   * thirdweb's verification POST has no documented body: a top-level "otp", "code",
//     "verification_code" or "verificationCode" (string or number), or "otp" /
//     "verification_code" inside an object `data`, makes it kSetup; setup_note then
//     carries the code (the operator needs it for POST /v1/webhooks/{id}/verify within
//     15 min). An Insight body whose topic starts with "test" is kSetup too.
//   * thirdweb unified envelope: `data` (object or array) items are Insight entries
//     {data, status, type, id}, bare events {transaction_hash, ...} or Engine-style
//     {transactionHash, chainId}; items with none of these (other topics) give no hint.
//     delivery_id is the envelope `id`.
//   * Alchemy `event.error` (a capacity notice) is kEvents with no hints and
//     setup_note = "alchemy event.error: <text>": nothing to reject, nothing to look at.
//     Types other than GRAPHQL, NFT_ACTIVITY, ADDRESS_ACTIVITY are kInvalidArgument.
//     Alchemy's Custom (GRAPHQL) webhook documents no removed flag: never removed.
//   * QuickNode: a hint whose block number is in metadata.blocks_reorged is removed (the
//     batch re-delivers a reorged block); `data: null` is a delivery with no hints; a bare
//     JSON array body is the data of a stream without body metadata (no network then).
//     block_with_receipts items {block, receipts[]} are read like receipts.
//   * Moralis: the test body is {} or one with no logs, no txs and block.number absent
//     or ""; txs[] entries whose hash no log carries become tx-only hints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/address.hpp"
#include "rpc/hash32.hpp"
#include "rpc/status.hpp"

namespace claimsync::node {

struct WebhookHint {
  // The chain, as the payload names it: a numeric id (thirdweb, Moralis "0xa4b1",
  // Standard) or a provider's network name (Alchemy "ARB_MAINNET", QuickNode
  // "arbitrum-mainnet"). At least one is set when the payload says; neither when it does not.
  std::optional<std::uint64_t> chain_id;
  std::string network;
  eth::Hash32 tx;
  std::optional<std::uint64_t> log_index;
  std::optional<std::uint64_t> block_number;
  std::optional<eth::Hash32> block_hash;
  std::optional<eth::Address> contract;  // the log's emitter, when the payload says
  // The log's topic0, and its `from` (topic2 of TransferSingle/TransferBatch), when the
  // payload carries them: a log that is not a transfer from 0x0 is not a mint.
  std::optional<eth::Hash32> topic0;
  std::optional<eth::Address> from;
  // The provider says this entry was reorged out or reverted (thirdweb status
  // "reverted", Alchemy/QuickNode log.removed, QuickNode metadata.blocks_reorged).
  bool removed = false;
};

struct WebhookPayload {
  enum class Kind {
    kEvents,  // a delivery of chain data (possibly with no entries)
    kSetup,   // a setup/verification/test POST: acknowledged, logged, nothing else
  };
  Kind kind = Kind::kEvents;
  // The provider's delivery id from the body ("" when the body has none): thirdweb
  // unified `id`, Alchemy `id` (whevt_...), thirdweb Insight the `id`s of its entries
  // joined by ','. Used for the replay cache when the scheme has no id header, and in logs.
  std::string delivery_id;
  std::string setup_note;  // for kSetup: what it was (e.g. "thirdweb verification code")
  std::vector<WebhookHint> hints;
};

// thirdweb Insight webhooks (topic "v1.events"; "v1.transactions" entries also give tx
// hashes) and the unified thirdweb Webhooks envelope {id, type, data} whose data carries
// event entries; a body {"otp"|"code"|"verification_code": ...} or an Insight delivery
// with topic "test"/the sample of POST /v1/webhooks/test is kSetup.
Result<WebhookPayload> parse_thirdweb_webhook(std::string_view body);
// Alchemy Notify: GRAPHQL (Custom: event.data.block.logs[]) and NFT_ACTIVITY
// (event.activity[]); ADDRESS_ACTIVITY (event.activity[]) gives tx hashes only.
Result<WebhookPayload> parse_alchemy_webhook(std::string_view body);
// QuickNode Streams: {metadata, data} with the logs dataset (data = eth_getLogs objects,
// or an array of per-block arrays of them) and the receipts dataset (receipts with logs).
Result<WebhookPayload> parse_quicknode_webhook(std::string_view body);
// Standard Webhooks carrying claimsync's own event type (README "Webhooks"):
//   {"type": "claim.hint", "data": HINT | [HINT, ...]}   HINT = {"chain_id": 42161 | "42161",
//    "tx_hash": "0x..", "log_index"?: n, "block_hash"?: "0x..", "contract"?: "0x..",
//    "removed"?: bool}
// plus the thirdweb-Insight-shaped {"data": [{"data": {...event...}}]} for senders that
// relay Insight events; {"type": "webhook.test"|"ping"} is kSetup.
Result<WebhookPayload> parse_standard_webhook(std::string_view body);
// Moralis Streams: {confirmed, chainId "0x..", block{hash, number}, logs[{logIndex,
// transactionHash, address, topic0..topic3}]}; an empty test body ({} or no logs, no
// block, as sent on stream creation) is kSetup. confirmed:false entries are hints too.
Result<WebhookPayload> parse_moralis_webhook(std::string_view body);

// By route provider name; kNotFound for an unknown provider.
Result<WebhookPayload> parse_webhook_payload(std::string_view provider, std::string_view body);

// The chain id a provider's network name stands for (Alchemy "ARB_MAINNET" -> 42161,
// QuickNode "arbitrum-mainnet" -> 42161, ...), from a built-in table of the common
// networks; nullopt when the name is not in it.
std::optional<std::uint64_t> chain_id_of_network(std::string_view network);

// What filter_webhook_hints decided, per hint.
enum class HintVerdict {
  kUse,            // for the configured chain and contract, possibly a mint
  kOtherChain,     // names another chain (or a network not mapped to the configured one)
  kOtherContract,  // emitted by another contract
  kNotAMint,       // a transfer whose from is not 0x0, or a log that is no ERC-1155 transfer
};
struct HintFilter {
  std::uint64_t chain_id = 0;
  eth::Address contract;
  // Network names accepted for chain_id besides the built-in table (config
  // webhooks.<provider>.network, for chains the table lacks, e.g. a local anvil).
  std::vector<std::string> networks;
};
// The verdict for one hint. A hint that names no chain is taken to be for the configured
// chain (the provider's filter is per chain); one that names no contract likewise.
HintVerdict filter_webhook_hint(const HintFilter& filter, const WebhookHint& hint);

}  // namespace claimsync::node
