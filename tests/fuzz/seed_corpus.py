#!/usr/bin/env python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ from the fixtures the tests use
(tests/fixtures/) plus a few hand-made inputs. Run from anywhere; rerun after a fixture
changes. Seeds are named seed-*; inputs libFuzzer adds (scripts/fuzz --merge) keep their
hash names and are left alone."""
import json, os, struct, pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures"
OUT = ROOT / "tests" / "fuzz" / "corpus"
PROVIDERS = ["thirdweb", "alchemy", "quicknode", "standard", "moralis"]  # webhook_providers()


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"seed-{name}").write_bytes(data)


def h(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


logs_body = json.loads((FIX / "erc1155_logs.json").read_text())
logs = logs_body["result"]

# erc1155: [topic count, mode 0 (topics as given), topics..., data]
for i, log in enumerate(logs):
    b = bytes([len(log["topics"]), 0]) + b"".join(h(t) for t in log["topics"]) + h(log["data"])
    put("erc1155", f"fixture-log{i}", b)

# logs_response: the fixture answer with the id the target expects, whole and per log.
body = dict(logs_body, id=77)
put("logs_response", "fixture-all", json.dumps(body))
for i, log in enumerate(logs[:3]):
    put("logs_response", f"fixture-log{i}", json.dumps(dict(body, result=[log]), indent=1))
put("logs_response", "empty", '{"jsonrpc":"2.0","id":77,"result":[]}')
put("logs_response", "error", '{"jsonrpc":"2.0","id":77,"error":{"code":-32005,"message":"query returned more than 10000 results"}}')

# primitives: text forms of each parser.
for name, text in {
    "address-lower": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    "address-eip55": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "hash": logs[0]["blockHash"],
    "quantity": "0x2",
    "quantity-big": "0x" + "f" * 64,
    "decimal": "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    "data": logs[0]["data"],
    "zero": "0x0",
}.items():
    put("primitives", name, text)

# abi: the fixture's balanceOfBatch return data.
bob = json.loads((FIX / "erc1155_balance_of_batch.json").read_text())
for key in ("returndata", "result", "return_data"):
    if key in bob:
        put("abi", "fixture-returndata", h(bob[key]))
put("abi", "empty-array", bytes(31) + b"\x20" + bytes(32))

# store_records: [kind] + key + value.
claim_key = struct.pack(">Q", 42161) + h(logs[0]["transactionHash"]) + struct.pack(">II", 3, 0)
def claim_value(referrer, error):
    v = bytes([1]) + h(logs[0]["topics"][3])[12:] + struct.pack(">I", 3)
    v += (1).to_bytes(32, "big") + struct.pack(">Q", 2) + h(logs[0]["blockHash"])
    v += struct.pack(">QIBI", 1764590000, 1, 2, 0)
    v += b"".join(struct.pack(">Q", (t ^ (1 << 63)) & ((1 << 64) - 1)) for t in (0, 1764590000000, 1764590000500))
    v += bytes([1 if referrer else 2]) + (h(logs[0]["topics"][1])[12:] if referrer else b"")
    return v + struct.pack(">I", len(error)) + error.encode()
put("store_records", "claim", b"\x00" + claim_key + claim_value(False, ""))
put("store_records", "claim-referrer", b"\x00" + claim_key + claim_value(True, "sink: timeout"))
put("store_records", "block", b"\x01" + struct.pack(">Q", 2) + h(logs[0]["blockHash"]) + bytes(32))
put("store_records", "ranges", b"\x02" + struct.pack(">QQQQQQ", 1, 5, 7, 9, 6, 6))
put("store_records", "meta", b"\x03" + struct.pack(">Q", 123456))
put("store_records", "index", b"\x04" + bytes([2]) + claim_key)

# config: the example and the minimal config of config_test.
put("config", "example", (ROOT / "config.example.toml").read_text())
put("config", "minimal", '[chain]\nrpc_urls = ["http://127.0.0.1:8545"]\nchain_id = 31337\n'
    'contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"\n')

# webhook_payloads: [provider index] + a fixture body, by file name prefix.
for f in sorted((FIX / "webhooks").glob("*.json")):
    provider = f.name.split("_")[0]
    if provider in PROVIDERS:
        put("webhook_payloads", f.stem, bytes([PROVIDERS.index(provider)]) + f.read_bytes())

# webhook_verifier: [scheme index, gzip flag] "sig\nts\nid\n" body, for the first schemes.
small = (FIX / "webhooks" / "standard_claim_hint_transfer_single.json").read_bytes()
for i in range(8):
    put("webhook_verifier", f"scheme{i}",
        bytes([i, 0]) + b"v1,AAAA\n1750000000\nmsg_2Lh9K\n" + small)

# referral_attestation: the viem-signed fixtures, bare and inside a claim-hint body.
for i, a in enumerate(json.loads((FIX / "referral_attestation_viem.json").read_text())):
    put("referral_attestation", f"viem{i}", json.dumps(a["attestation"]))
    put("referral_attestation", f"hint{i}", json.dumps(
        {"chainId": int(a["chainId"]), "txHash": logs[0]["transactionHash"], "attestation": a["attestation"]}))
    # signature_recovery: the EIP-712 digest and the wallet's signature over it.
    put("signature_recovery", f"viem{i}", h(a["digest"]) + h(a["attestation"]["signature"]))
# Regression seeds: inputs that once failed a target's own check (target bugs, see README).
put("referral_attestation", "regression-echo-prefix", '{"error":{"code":"malformed_json')
put("webhook_verifier", "regression-id-whitespace",
    b"\x04\x00v1,AAAA\n1750000000\n    msg_padded \t\n" + b'{"type":"ping"}')
put("signature_recovery", "short", bytes(32) + b"\x01" * 64 + b"\x1b")
