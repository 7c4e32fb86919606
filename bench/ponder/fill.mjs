#!/usr/bin/env node
// Fills a local anvil with ClaimNFT mints for trying bench/ponder/run.sh by hand (the C++
// benchmark fills its own chain). Deploys tests/contracts/build/ClaimNFT.bin from anvil's
// first unlocked account, then mints from anvil's unlocked accounts via JSON-RPC
// eth_sendTransaction (batched requests, no process per tx), --per-block txs per block
// (anvil started with --no-mining; blocks are mined with evm_mine).
//
// Besides --mints single mints of levels 1..19 to random wallets it adds a few events the
// handlers must ignore or handle specially: mints of ids 0 and 20 (not levels), batch mints
// (TransferBatch, some with non-level ids), and transfers and burns (from != 0x0).
//
// Prints one JSON line: contract, start_block, end_block, expected row counts; with
// --expected FILE also writes the expected users/members/membership rows there (check.mjs
// compares them with the database).
//
//   node bench/ponder/fill.mjs --rpc http://127.0.0.1:8545 --mints 2000 --per-block 10 \
//     [--seed 1] [--tail-blocks 30] [--expected /tmp/expected.json]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeFunctionData } from "viem";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");

const { values: opt } = parseArgs({
  options: {
    rpc: { type: "string" },
    mints: { type: "string", default: "2000" },
    "per-block": { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    expected: { type: "string" },
    "tail-blocks": { type: "string", default: "30" },
  },
});
if (!opt.rpc) {
  console.error("usage: fill.mjs --rpc URL [--mints N] [--per-block K] [--seed S] [--expected FILE]");
  process.exit(2);
}
const MINTS = Number(opt.mints);
const PER_BLOCK = Number(opt["per-block"]);
const abi = JSON.parse(readFileSync(join(repo, "tests/contracts/build/ClaimNFT.abi"), "utf8"));
const bin = readFileSync(join(repo, "tests/contracts/build/ClaimNFT.bin"), "utf8").trim();

let nextId = 1;
async function rpc(body) {
  const res = await fetch(opt.rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = await res.json();
  for (const r of Array.isArray(json) ? json : [json]) {
    if (r.error) throw new Error(`RPC error: ${JSON.stringify(r.error)}`);
  }
  return json;
}
const call = async (method, params = []) =>
  (await rpc({ jsonrpc: "2.0", id: nextId++, method, params })).result;

// Deterministic PRNG (mulberry32) so a seed gives the same chain.
let state = Number(opt.seed) >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const randWallet = () =>
  "0x" + Array.from({ length: 40 }, () => "0123456789abcdef"[randInt(0, 15)]).join("");

const accounts = (await call("eth_accounts")).map((a) => a.toLowerCase());
await call("evm_setAutomine", [false]);

// Deploy.
const deployHash = await call("eth_sendTransaction", [
  { from: accounts[0], data: bin.startsWith("0x") ? bin : "0x" + bin, gas: "0x500000" },
]);
await call("evm_mine");
const deployReceipt = await call("eth_getTransactionReceipt", [deployHash]);
if (!deployReceipt || deployReceipt.status !== "0x1") throw new Error("deploy failed");
const contract = deployReceipt.contractAddress.toLowerCase();
const startBlock = Number(deployReceipt.blockNumber);

// The txs, in order; `expect` tracks what claimsync (and so the Ponder app) must write.
const txs = [];
const wallets = []; // a pool so some wallets mint several levels (and repeat a level)
const holder = accounts[1]; // unlocked: mints to it can be transferred and burned
for (let i = 0; i < MINTS; i++) {
  const reuse = wallets.length > 0 && rand() < 0.3;
  const to = reuse ? wallets[randInt(0, wallets.length - 1)] : randWallet();
  if (!reuse) wallets.push(to);
  txs.push({ fn: "mint", args: [to, BigInt(randInt(1, 19)), BigInt(randInt(1, 3))] });
  if (i % 100 === 50) txs.push({ fn: "mint", args: [randWallet(), 0n, 1n] }); // not a level
  if (i % 100 === 60) txs.push({ fn: "mint", args: [randWallet(), 20n, 1n] }); // not a level
  if (i % 100 === 70) {
    txs.push({ fn: "mintBatch", args: [randWallet(), [2n, 0n, 7n, 25n], [1n, 1n, 2n, 1n]] });
  }
  if (i % 100 === 80) {
    // The holder mints a level, then transfers part of it and burns part: only the mint counts.
    const id = BigInt(randInt(1, 19));
    txs.push({ fn: "mint", from: holder, args: [holder, id, 3n] }); // same sender: nonce order
    txs.push({ fn: "safeTransferFrom", from: holder, args: [holder, randWallet(), id, 1n, "0x"] });
    txs.push({ fn: "burn", from: holder, args: [holder, id, 1n] });
  }
}

// The expected rows, in chain order (the holder's txs are nonce-ordered, so they mine in
// order even within a block).
const membership = new Map(); // "wallet:level" -> true
const members = new Map(); // wallet -> max level
for (const tx of txs) {
  if (tx.fn === "mint") {
    const [to, id] = tx.args;
    if (id >= 1n && id <= 19n) {
      membership.set(`${to}:${id}`, true);
      members.set(to, Math.max(members.get(to) ?? 0, Number(id)));
    }
  } else if (tx.fn === "mintBatch") {
    const [to, ids] = tx.args;
    for (const id of ids) {
      if (id >= 1n && id <= 19n) {
        membership.set(`${to}:${id}`, true);
        members.set(to, Math.max(members.get(to) ?? 0, Number(id)));
      }
    }
  }
}

// Send: PER_BLOCK txs per block, one batched JSON-RPC request each, then evm_mine. Senders
// rotate over the unlocked accounts except the holder (whose txs must keep their order).
const senders = accounts.filter((a) => a !== holder);
const hashes = [];
const started = Date.now();
for (let i = 0; i < txs.length; i += PER_BLOCK) {
  const chunk = txs.slice(i, i + PER_BLOCK);
  const batch = chunk.map((tx, j) => ({
    jsonrpc: "2.0",
    id: nextId++,
    method: "eth_sendTransaction",
    params: [
      {
        from: tx.from ?? senders[(i + j) % senders.length],
        to: contract,
        gas: "0x100000",
        data: encodeFunctionData({ abi, functionName: tx.fn, args: tx.args }),
      },
    ],
  }));
  const res = await rpc(batch);
  for (const r of res) hashes.push(r.result);
  await call("evm_mine");
}
const endBlock = Number(await call("eth_blockNumber"));
// Empty blocks after the last mint, so the range is final for Ponder (30 blocks for chain
// ids it does not know; run.mjs refuses a range that is not).
const tail = Number(opt["tail-blocks"]);
if (tail > 0) await call("anvil_mine", ["0x" + tail.toString(16)]);

// Every tx must have succeeded (a failed mint would make the expected rows wrong).
for (let i = 0; i < hashes.length; i += 200) {
  const res = await rpc(
    hashes.slice(i, i + 200).map((h) => ({
      jsonrpc: "2.0",
      id: nextId++,
      method: "eth_getTransactionReceipt",
      params: [h],
    })),
  );
  for (const r of res) {
    if (!r.result || r.result.status !== "0x1") throw new Error(`tx failed: ${JSON.stringify(r.result)}`);
  }
}

// The tx of each (wallet, level)'s first mint: the one its membership row must name.
const firstTx = new Map();
txs.forEach((tx, i) => {
  const mints =
    tx.fn === "mint" ? [[tx.args[0], tx.args[1]]] : tx.fn === "mintBatch" ? tx.args[1].map((id) => [tx.args[0], id]) : [];
  for (const [to, id] of mints) {
    const key = `${to}:${id}`;
    if (id >= 1n && id <= 19n && !firstTx.has(key)) firstTx.set(key, hashes[i]);
  }
});

const summary = {
  contract,
  start_block: startBlock,
  end_block: endBlock,
  tip: endBlock + tail,
  txs: txs.length,
  level_mints: MINTS,
  expect_membership: membership.size,
  expect_members: members.size,
  expect_users: members.size,
  fill_seconds: (Date.now() - started) / 1000,
};
if (opt.expected) {
  writeFileSync(
    opt.expected,
    JSON.stringify({
      ...summary,
      membership: [...membership.keys()].sort(),
      first_tx: Object.fromEntries(firstTx),
      members: Object.fromEntries([...members.entries()].sort()),
    }),
  );
}
console.log(JSON.stringify(summary));
