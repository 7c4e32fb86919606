#!/usr/bin/env python3
"""Writes tests/fixtures/webhooks/*.json: provider webhook bodies shaped like each provider's
documented example payload (URLs in tests/fixtures/README.md), about five logical ERC-1155
logs on Arbitrum One (42161). Deterministic; run from the repository root:
    python3 tests/tools/make_webhook_fixtures.py
Hashes are sha256 of fixed labels (any 32 bytes do: claimsync re-reads the chain)."""
import hashlib
import json
import os

OUT = "tests/fixtures/webhooks"

def h(label):
    return "0x" + hashlib.sha256(label.encode()).hexdigest()

def word(addr):
    return "0x" + "0" * 24 + addr[2:].lower()

def u256(n):
    return "%064x" % n

SINGLE = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
BATCH = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"
ZERO = "0x0000000000000000000000000000000000000000"
CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
CONTRACT_CHECKSUMMED = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"
OPERATOR = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
ALICE = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
BOB = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"

def single_data(token, value):
    return "0x" + u256(token) + u256(value)

def batch_data(ids, values):
    n = len(ids)
    head = u256(64) + u256(64 + 32 * (n + 1))
    body = u256(n) + "".join(u256(i) for i in ids) + u256(n) + "".join(u256(v) for v in values)
    return "0x" + head + body

# The logical logs (the C++ test holds the same values).
LOGS = {
    "single": dict(block=250000001, tx_index=2, log_index=4, address=CONTRACT,
                   topics=[SINGLE, word(OPERATOR), word(ZERO), word(ALICE)],
                   data=single_data(3, 1), erc1155=[(3, 1)]),
    "batch": dict(block=250000002, tx_index=0, log_index=7, address=CONTRACT,
                  topics=[BATCH, word(OPERATOR), word(ZERO), word(BOB)],
                  data=batch_data([1, 2], [1, 1]), erc1155=[(1, 1), (2, 1)]),
    "not_mint": dict(block=250000003, tx_index=5, log_index=11, address=CONTRACT,
                     topics=[SINGLE, word(ALICE), word(ALICE), word(BOB)],
                     data=single_data(3, 1), erc1155=[(3, 1)]),
    "other_contract": dict(block=250000004, tx_index=1, log_index=0, address=OTHER,
                           topics=[SINGLE, word(OPERATOR), word(ZERO), word(ALICE)],
                           data=single_data(9, 1), erc1155=[(9, 1)]),
    "removed": dict(block=250000005, tx_index=3, log_index=2, address=CONTRACT,
                    topics=[SINGLE, word(OPERATOR), word(ZERO), word(BOB)],
                    data=single_data(2, 1), erc1155=[(2, 1)]),
}
for name, log in LOGS.items():
    log["tx"] = h("tx:" + name)
    log["block_hash"] = h("block:%d" % log["block"])
    log["name"] = name

def write(name, body):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(body, f, indent=2)
        f.write("\n")

# ---- thirdweb Insight (portal.thirdweb.com/insight/webhooks/payload) ----
def insight_event(log, chain_id="42161"):
    return {
        "chain_id": chain_id,
        "block_number": log["block"],
        "block_hash": log["block_hash"],
        "block_timestamp": 1743104207,
        "transaction_hash": log["tx"],
        "transaction_index": log["tx_index"],
        "log_index": log["log_index"],
        "address": log["address"],
        "data": log["data"],
        "topics": log["topics"],
        "decoded": {"name": "TransferSingle" if log["topics"][0] == SINGLE else "TransferBatch",
                    "indexed_params": {"operator": "0x" + log["topics"][1][-40:],
                                       "from": "0x" + log["topics"][2][-40:],
                                       "to": "0x" + log["topics"][3][-40:]},
                    "non_indexed_params": {}},
    }

def insight_entry(log, status="new", chain_id="42161"):
    return {"data": insight_event(log, chain_id), "status": status, "type": "event",
            "id": hashlib.sha256(("id:" + log["name"] + status).encode()).hexdigest()}

def insight(entries, topic="v1.events"):
    return {"timestamp": 1743164112, "topic": topic, "data": entries}

for case in ["single", "batch", "not_mint", "other_contract"]:
    fname = {"single": "transfer_single", "batch": "transfer_batch"}.get(case, case)
    # chain_id as a number in the batch case: the docs type it as a string, accept both
    write("thirdweb_insight_" + fname,
          insight([insight_entry(LOGS[case], chain_id=42161 if case == "batch" else "42161")]))
write("thirdweb_insight_reverted", insight([insight_entry(LOGS["removed"], "reverted")]))
write("thirdweb_insight_transactions", insight([{
    "data": {"chain_id": "42161", "hash": LOGS["single"]["tx"], "nonce": 7,
             "block_number": LOGS["single"]["block"], "block_hash": LOGS["single"]["block_hash"],
             "block_timestamp": 1743104207, "transaction_index": 2, "from_address": OPERATOR,
             "to_address": CONTRACT, "value": "0", "gas": 90000, "function_selector": "0x156e29f6"},
    "status": "new", "type": "transaction", "id": hashlib.sha256(b"id:tx").hexdigest()}],
    topic="v1.transactions"))
# thirdweb Webhooks envelope (portal.thirdweb.com/webhooks): {id, type, triggered_at, object, data}
write("thirdweb_unified_transfer_single", {
    "id": "evt_01k3claimsync0000000000001", "type": "insight.v1.events",
    "triggered_at": "2025-09-01T12:00:00.000Z", "object": "event",
    "data": insight_entry(LOGS["single"])})
# The verification POST after create (managing-webhooks: "An OTP is sent to your webhook URL")
write("thirdweb_setup_otp", {"otp": "482913", "webhook_id": "c4bc247d-5288-4673-9b40-39c082ac7fbb"})
bad = insight([insight_entry(LOGS["single"])])
bad["data"][0]["data"]["transaction_hash"] = 12345
write("thirdweb_malformed_tx_hash", bad)

# ---- Alchemy (alchemy.com/docs/reference/custom-webhook, .../nft-activity-webhook) ----
def alchemy(kind, event, n):
    return {"webhookId": "wh_a55wfsvq5h8n8u3z", "id": "whevt_claimsync%04d" % n,
            "createdAt": "2024-01-23T07:51:07.945953790Z", "type": kind, "event": event}

def graphql_block(logs):
    return {"hash": logs[0]["block_hash"], "number": logs[0]["block"], "timestamp": 1706000000,
            "logs": [{"data": l["data"], "topics": l["topics"], "index": l["log_index"],
                      "account": {"address": l["address"]},
                      "transaction": {"hash": l["tx"], "nonce": 12, "index": l["tx_index"],
                                      "from": {"address": OPERATOR}, "to": {"address": l["address"]},
                                      "value": "0x0", "gasPrice": "0x989680",
                                      "maxFeePerGas": "0x1312d00", "maxPriorityFeePerGas": "0x0",
                                      "gas": 120000, "status": 1, "gasUsed": 51234,
                                      "cumulativeGasUsed": 51234, "effectiveGasPrice": "0x989680",
                                      "createdContract": None}} for l in logs]}

write("alchemy_graphql_transfer_single", alchemy("GRAPHQL", {
    "data": {"block": graphql_block([LOGS["single"]])},
    "sequenceNumber": "10000000000578619000", "network": "ARB_MAINNET"}, 1))
write("alchemy_graphql_transfer_batch", alchemy("GRAPHQL", {
    "data": {"block": graphql_block([LOGS["batch"]])},
    "sequenceNumber": "10000000000578619001", "network": "ARB_MAINNET"}, 2))

def nft_activity(log, removed=False):
    return {"fromAddress": "0x" + log["topics"][2][-40:], "toAddress": "0x" + log["topics"][3][-40:],
            "contractAddress": log["address"], "blockNum": hex(log["block"]), "hash": log["tx"],
            "erc1155Metadata": [{"tokenId": hex(t), "value": hex(v)} for t, v in log["erc1155"]],
            "category": "erc1155",
            "log": {"address": log["address"], "topics": log["topics"], "data": log["data"],
                    "blockNumber": hex(log["block"]), "transactionHash": log["tx"],
                    "transactionIndex": hex(log["tx_index"]), "blockHash": log["block_hash"],
                    "logIndex": hex(log["log_index"]), "removed": removed}}

for n, case in enumerate(["single", "batch", "not_mint", "other_contract"]):
    fname = {"single": "transfer_single", "batch": "transfer_batch"}.get(case, case)
    write("alchemy_nft_activity_" + fname, alchemy("NFT_ACTIVITY", {
        "network": "ARB_MAINNET", "activity": [nft_activity(LOGS[case])]}, 10 + n))
write("alchemy_nft_activity_removed", alchemy("NFT_ACTIVITY", {
    "network": "ARB_MAINNET", "activity": [nft_activity(LOGS["removed"], removed=True)]}, 20))
# Address Activity (alchemy.com/docs/reference/address-activity-webhook): an ETH transfer
write("alchemy_address_activity", alchemy("ADDRESS_ACTIVITY", {
    "network": "ARB_MAINNET", "activity": [{
        "fromAddress": OPERATOR, "toAddress": ALICE, "blockNum": hex(LOGS["single"]["block"]),
        "hash": LOGS["single"]["tx"], "value": 0.01, "asset": "ETH", "category": "external",
        "rawContract": {"rawValue": "0x2386f26fc10000", "decimals": 18}}]}, 30))
# Capacity notice (alchemy notify-api-faq: errors arrive as event.error)
write("alchemy_error", alchemy("GRAPHQL", {"error": "Webhook capacity exceeded"}, 40))
bad = alchemy("NFT_ACTIVITY", {"network": "ARB_MAINNET", "activity": [nft_activity(LOGS["single"])]}, 50)
bad["event"]["activity"][0]["hash"] = [LOGS["single"]["tx"]]
write("alchemy_malformed_tx_hash", bad)

# ---- QuickNode Streams (quicknode.com/docs/streams/data-sources): logs dataset ----
def rpc_log(log, removed=False):
    return {"address": log["address"], "blockHash": log["block_hash"], "blockNumber": hex(log["block"]),
            "data": log["data"], "logIndex": hex(log["log_index"]), "removed": removed,
            "topics": log["topics"], "transactionHash": log["tx"],
            "transactionIndex": hex(log["tx_index"])}

def qn(data, dataset="logs", reorged=None, blocks=None):
    lo, hi = blocks
    return {"data": data, "metadata": {
        "batch_end_range": hi, "batch_start_range": lo, "blocks_reorged": reorged,
        "reorgs": None if not reorged else [{"block_number": reorged[0],
                                             "block_hash": h("displaced:%d" % reorged[0]),
                                             "block_timestamp": 1706000000}],
        "dataset": dataset, "end_range": -1, "keep_distance_from_tip": 0,
        "network": "arbitrum-mainnet", "start_range": 250000000,
        "stream_id": "f6ad6459-b5ad-4183-b370-1c1388e47e83", "stream_name": "claimsync",
        "stream_region": "usa_east"}}

for case in ["single", "batch", "not_mint", "other_contract"]:
    fname = {"single": "transfer_single", "batch": "transfer_batch"}.get(case, case)
    b = LOGS[case]["block"]
    write("quicknode_logs_" + fname, qn([[rpc_log(LOGS[case])]], blocks=(b, b)))
b = LOGS["removed"]["block"]
write("quicknode_logs_removed", qn([[rpc_log(LOGS["removed"], removed=True)]], blocks=(b, b)))
# a reorg re-delivery: the log itself says removed:false, metadata names its block
write("quicknode_logs_blocks_reorged", qn([[rpc_log(LOGS["removed"])]], reorged=[b], blocks=(b, b)))
def receipt(log):
    return {"blockHash": log["block_hash"], "blockNumber": hex(log["block"]),
            "contractAddress": None, "cumulativeGasUsed": "0x1d4c0", "effectiveGasPrice": "0x989680",
            "from": OPERATOR, "gasUsed": "0xc8a2", "logs": [rpc_log(log)], "logsBloom": "0x" + "00" * 256,
            "status": "0x1", "to": log["address"], "transactionHash": log["tx"],
            "transactionIndex": hex(log["tx_index"]), "type": "0x2"}
write("quicknode_receipts", qn([[receipt(LOGS["single"])], [receipt(LOGS["batch"])]], dataset="receipts",
                               blocks=(LOGS["single"]["block"], LOGS["batch"]["block"])))
# include_stream_metadata "header": the body is the data alone (create-stream REST docs)
write("quicknode_bare_array", [[rpc_log(LOGS["single"])], [rpc_log(LOGS["batch"])]])
bad = qn([[rpc_log(LOGS["single"])]], blocks=(LOGS["single"]["block"],) * 2)
bad["data"][0][0]["transactionHash"] = True
write("quicknode_malformed_tx_hash", bad)

# ---- Standard Webhooks (github.com/standard-webhooks spec) with claimsync's claim.hint ----
def claim_hint(log, removed=False, contract=None):
    return {"chain_id": 42161, "tx_hash": log["tx"], "log_index": log["log_index"],
            "block_hash": log["block_hash"], "contract": contract or log["address"], "removed": removed}
write("standard_claim_hint_transfer_single", {
    "type": "claim.hint", "timestamp": "2025-09-01T12:00:00Z",
    "data": dict(claim_hint(LOGS["single"], contract=CONTRACT_CHECKSUMMED), chain_id="42161")})
write("standard_claim_hint_list", {
    "type": "claim.hint", "timestamp": "2025-09-01T12:00:00Z",
    "data": [claim_hint(LOGS["batch"]), claim_hint(LOGS["other_contract"]),
             {"chain_id": 42161, "tx_hash": LOGS["not_mint"]["tx"]}]})
write("standard_claim_hint_removed", {
    "type": "claim.hint", "timestamp": "2025-09-01T12:00:00Z",
    "data": [claim_hint(LOGS["removed"], removed=True)]})
write("standard_insight_relay", insight([insight_entry(LOGS["not_mint"]),
                                         insight_entry(LOGS["removed"], "reverted")]))
write("standard_webhook_test", {"type": "webhook.test", "timestamp": "2025-09-01T12:00:00Z",
                                "data": {"message": "hello"}})
write("standard_ping", {"type": "ping", "timestamp": "2025-09-01T12:00:00Z", "data": {}})
write("standard_malformed_tx_hash", {"type": "claim.hint", "timestamp": "2025-09-01T12:00:00Z",
                                     "data": [{"chain_id": 42161, "tx_hash": {"hex": LOGS["single"]["tx"]}}]})

# ---- Moralis Streams (docs.moralis.com/streams/webhooks/webhook-payloads) ----
def moralis(log, confirmed=True):
    return {"confirmed": confirmed, "chainId": "0xa4b1", "abi": [], "streamId": "c28d9e2e-ae9d-4fe6-9ddd-5e1b5a8f1a11",
            "tag": "claimsync", "retries": 0,
            "block": {"number": str(log["block"]), "hash": log["block_hash"], "timestamp": "1706000000"},
            "logs": [{"logIndex": str(log["log_index"]), "transactionHash": log["tx"], "address": log["address"],
                      "data": log["data"], "topic0": log["topics"][0], "topic1": log["topics"][1],
                      "topic2": log["topics"][2], "topic3": log["topics"][3],
                      "triggered_by": [log["address"]]}],
            "txs": [], "txsInternal": [], "erc20Transfers": [], "erc20Approvals": [],
            "nftTokenApprovals": [], "nftApprovals": {"ERC721": [], "ERC1155": []},
            "nftTransfers": [], "nativeBalances": []}
for case in ["single", "batch", "not_mint", "other_contract"]:
    fname = {"single": "transfer_single", "batch": "transfer_batch"}.get(case, case)
    write("moralis_" + fname, moralis(LOGS[case]))
write("moralis_unconfirmed", moralis(LOGS["removed"], confirmed=False))
# The mandatory test webhook, verbatim shape (docs.moralis.com/streams/quickstart/receive-your-first-webhook)
write("moralis_test", {"abi": {}, "block": {"hash": "", "number": "", "timestamp": ""}, "txs": [],
                       "txsInternal": [], "logs": [], "chainId": "", "tag": "", "streamId": "",
                       "confirmed": True, "retries": 0, "erc20Approvals": [], "erc20Transfers": [],
                       "nftApprovals": [], "nftTransfers": []})
bad = moralis(LOGS["single"])
bad["logs"][0]["transactionHash"] = 42
write("moralis_malformed_tx_hash", bad)

if __name__ == "__main__":
    for name, log in LOGS.items():
        print(name, log["tx"], log["block_hash"])
