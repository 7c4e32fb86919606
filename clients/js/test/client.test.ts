// The client against a scripted fetch: retries, Retry-After, errors as results, the
// typed data, and the outcomes of waitForMembership. No process, no network.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { recoverTypedDataAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { createClaimSyncClient, runClaimFlow, typedDataJson, type ClaimFlowState, type FetchLike } from "../src/index.js";
import { parseRetryAfter } from "../src/retry.js";

const TX = `0x${"ab".repeat(32)}`;
const WALLET = `0x${"11".repeat(20)}`;
const CONTRACT = `0x${"22".repeat(20)}`;

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | "network" | "hang";

// A fetch that answers from `script` in order (the last one repeats) and records calls.
function scripted(script: Reply[] | ((url: string, init?: RequestInit) => Reply)) {
  const calls: { url: string; init?: RequestInit; at: number }[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, ...(init ? { init } : {}), at: Date.now() });
    const reply = typeof script === "function" ? script(url, init) : script[Math.min(calls.length - 1, script.length - 1)]!;
    if (reply === "network") throw new TypeError("fetch failed");
    if (reply === "hang") {
      return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    }
    return new Response(reply.body === undefined ? "" : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  };
  return { fetch, calls };
}

const fast = { attempts: 4, initialDelayMs: 10, maxDelayMs: 40 };
const verifying = { status: 202, body: { tx_hash: TX, status: "verifying" } };

describe("submitClaim", () => {
  test("retries 503 and a network error, then answers", async () => {
    const f = scripted([{ status: 503, body: { error: { code: "overloaded", message: "busy" } } }, "network", verifying]);
    const c = createClaimSyncClient({ baseUrl: "http://node/", fetch: f.fetch, retry: fast });
    const r = await c.submitClaim({ txHash: TX });
    assert.ok(r.ok);
    assert.equal(r.value.status, "verifying");
    assert.equal(f.calls.length, 3);
    assert.equal(f.calls[0]!.url, "http://node/v1/claims");
    assert.deepEqual(JSON.parse(String(f.calls[0]!.init?.body)), { tx_hash: TX });
  });

  test("honours Retry-After on 429", async () => {
    const f = scripted([{ status: 429, body: { error: { code: "rate_limited", message: "slow down" } }, headers: { "retry-after": "1" } }, verifying]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, retry: fast });
    assert.ok((await c.submitClaim({ txHash: TX })).ok);
    assert.ok(f.calls[1]!.at - f.calls[0]!.at >= 990, `retried after ${f.calls[1]!.at - f.calls[0]!.at} ms`);
  });

  test("a Retry-After beyond the cap ends the retries with the node's error", async () => {
    const f = scripted([{ status: 429, body: { error: { code: "busy", message: "later" } }, headers: { "retry-after": "120" } }]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, retry: { ...fast, maxRetryAfterMs: 5_000 } });
    const r = await c.submitClaim({ txHash: TX });
    assert.ok(!r.ok);
    assert.deepEqual(r.error, { kind: "http", status: 429, code: "busy", message: "later", retryAfterMs: 120_000 });
    assert.equal(f.calls.length, 1);
  });

  test("bounded: a dead network is a network error after `attempts` tries", async () => {
    const f = scripted(["network"]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, retry: fast });
    const r = await c.submitClaim({ txHash: TX });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, "network");
    assert.equal(f.calls.length, 4);
  });

  test("a 400 is an answer, not retried; bad input never reaches the node", async () => {
    const f = scripted([{ status: 400, body: { error: { code: "invalid_attestation", message: "attestation.nonce: missing" } } }]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, retry: fast });
    const r = await c.submitClaim({ txHash: TX });
    assert.ok(!r.ok && r.error.kind === "http" && r.error.code === "invalid_attestation");
    assert.equal(f.calls.length, 1);
    const bad = await c.submitClaim({ txHash: "0x1234" });
    assert.ok(!bad.ok && bad.error.kind === "invalid_argument");
    assert.equal(f.calls.length, 1);
  });

  test("the request timeout and the caller's signal", async () => {
    const f = scripted(["hang"]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, requestTimeoutMs: 50, retry: { attempts: 1 } });
    const r = await c.submitClaim({ txHash: TX });
    assert.ok(!r.ok && r.error.kind === "network" && /within 50 ms/.test(r.error.message), JSON.stringify(r));
    const aborted = await c.submitClaim({ txHash: TX, signal: AbortSignal.timeout(20) });
    assert.ok(!aborted.ok && aborted.error.kind === "aborted");
  });
});

test("getClaim: 404 not_found is null; a proxy's bodiless 502 is an http error", async () => {
  const f = scripted((url) => (url.endsWith(TX) ? { status: 404, body: { error: { code: "not_found", message: "none" } } } : { status: 502 }));
  const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch, retry: { attempts: 1 } });
  assert.deepEqual(await c.getClaim(TX), { ok: true, value: null });
  const w = await c.getWallet(WALLET);
  assert.ok(!w.ok && w.error.kind === "http" && w.error.code === "http_502");
});

test("parseRetryAfter: seconds, an HTTP date, garbage", () => {
  assert.equal(parseRetryAfter("3"), 3_000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(parseRetryAfter("soon"), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

describe("referralTypedData", () => {
  const c = createClaimSyncClient({ baseUrl: "http://node" });
  test("a viem signature over it recovers the minter", async () => {
    const minter = privateKeyToAccount(`0x${"01".repeat(32)}`);
    const td = c.referralTypedData({ chainId: 31337, contract: CONTRACT, minter: minter.address, referrer: WALLET, ttlSeconds: 600, nowSeconds: 1_000_000 });
    assert.ok(td.ok);
    assert.equal(td.value.message.issuedAt, 999_940n);
    assert.equal(td.value.message.expiresAt, 1_000_600n);
    assert.match(td.value.message.nonce, /^0x[0-9a-f]{64}$/);
    const signature = await minter.signTypedData(td.value);
    assert.equal(await recoverTypedDataAddress({ ...td.value, signature }), minter.address);
    const json = c.attestationJson(td.value, signature);
    assert.ok(json.ok);
    assert.equal(json.value.issuedAt, "999940");
    assert.equal(JSON.parse(typedDataJson(td.value)).types.EIP712Domain.length, 4);
  });

  test("refuses what the node would refuse", () => {
    const base = { chainId: 1, contract: CONTRACT, minter: WALLET, referrer: CONTRACT };
    for (const bad of [
      { ...base, referrer: WALLET },
      { ...base, minter: "0x12" },
      { ...base, referrer: `0x${"0".repeat(40)}` },
      { ...base, ttlSeconds: 7 * 24 * 3600 },
      { ...base, mintTx: "0xzz" },
      { ...base, chainId: 0 },
    ]) {
      const r = c.referralTypedData(bad);
      assert.ok(!r.ok && r.error.kind === "invalid_argument", JSON.stringify(bad));
    }
  });
});

describe("waitForMembership outcomes", () => {
  const wallet = (states: string[]) => ({
    status: 200,
    body: { wallet: WALLET, levels: states.length ? [{ level: 1, states, claims: [] }] : [], current_level: null, active: false, truncated: false },
  });
  const route = (walletReply: Reply, hintReply: Reply) => scripted((url) => (url.includes("/v1/wallets/") ? walletReply : hintReply));

  test("still verifying at the deadline", async () => {
    const f = route(wallet([]), { status: 202, body: { tx_hash: TX, status: "verifying", reason: "not mined yet" } });
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const o = await c.waitForMembership({ wallet: WALLET, level: 1, txHash: TX, timeoutMs: 300, pollIntervalMs: 50 });
    assert.equal(o.status, "timeout");
    assert.ok(o.status === "timeout" && o.reason === "verifying" && /not mined yet/.test(o.message), JSON.stringify(o));
  });

  test("verified but not replicated yet", async () => {
    const f = route(wallet(["retrying"]), { status: 200, body: { tx_hash: TX, status: "claimed", claims: [{ wallet: WALLET, level: 1, state: "retrying" }] } });
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const o = await c.waitForMembership({ wallet: WALLET, level: 1, txHash: TX, timeoutMs: 200, pollIntervalMs: 50 });
    assert.ok(o.status === "timeout" && o.reason === "replicating", JSON.stringify(o));
    assert.deepEqual(o.states, ["retrying"]);
  });

  test("a tx that mints for another wallet is no_claim at once", async () => {
    const f = route(wallet([]), { status: 200, body: { tx_hash: TX, status: "claimed", claims: [{ wallet: CONTRACT, level: 1, state: "done" }] } });
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const o = await c.waitForMembership({ wallet: WALLET, level: 1, txHash: TX, timeoutMs: 5_000 });
    assert.ok(o.status === "no_claim" && o.elapsedMs < 1_000, JSON.stringify(o));
  });

  test("cancelled by the caller's signal; a node without intake still answers by wallet", async () => {
    const f = route(wallet([]), { status: 503, body: { error: { code: "intake_unavailable", message: "no intake" } } });
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const o = await c.waitForMembership({ wallet: WALLET, level: 1, txHash: TX, timeoutMs: 10_000, pollIntervalMs: 50, signal: AbortSignal.timeout(300) });
    assert.equal(o.status, "aborted");
    assert.equal(f.calls.filter((x) => x.url.endsWith("/v1/claims")).length, 1, "hints stop after intake_unavailable");
    assert.ok(f.calls.length >= 3);
  });

  test("membership as soon as the level is done; a bad address is an error", async () => {
    const f = route(wallet(["done"]), verifying);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const o = await c.waitForMembership({ wallet: WALLET, level: 1, timeoutMs: 1_000 });
    assert.equal(o.status, "member");
    const bad = await c.waitForMembership({ wallet: "nope", level: 1, timeoutMs: 1_000 });
    assert.ok(bad.status === "error" && bad.error.kind === "invalid_argument");
  });
});

describe("runClaimFlow (the React hook's flow)", () => {
  test("a rejected wallet promise is an error of kind transaction; nothing is sent", async () => {
    const f = scripted([verifying]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const states: ClaimFlowState[] = [];
    const o = await runClaimFlow(c, { tx: Promise.reject(new Error("User rejected the request")), wallet: WALLET, level: 1 }, (s) => states.push(s));
    assert.ok(o.status === "error" && o.error.kind === "transaction" && /rejected/.test(o.error.message));
    assert.deepEqual(states.map((s) => s.phase), ["sending", "error"]);
    assert.equal(f.calls.length, 0);
  });

  test("cancelled while the wallet is still sending", async () => {
    const f = scripted([verifying]);
    const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
    const controller = new AbortController();
    const never = new Promise<string>(() => {});
    setTimeout(() => controller.abort(), 20);
    const o = await runClaimFlow(c, { tx: never, wallet: WALLET, level: 1 }, () => {}, controller.signal);
    assert.equal(o.status, "aborted");
    assert.equal(f.calls.length, 0);
  });

  test("takes thirdweb's { transactionHash } and ethers' { hash }", async () => {
    for (const tx of [Promise.resolve({ transactionHash: TX }), Promise.resolve({ hash: TX })]) {
      const f = scripted((url) =>
        url.includes("/v1/wallets/")
          ? { status: 200, body: { wallet: WALLET, levels: [{ level: 1, states: ["done"], claims: [] }], current_level: 1, active: true, truncated: false } }
          : verifying,
      );
      const c = createClaimSyncClient({ baseUrl: "http://node", fetch: f.fetch });
      const o = await runClaimFlow(c, { tx, wallet: WALLET, level: 1 }, () => {});
      assert.equal(o.status, "member");
      assert.deepEqual(JSON.parse(String(f.calls[0]!.init?.body)), { tx_hash: TX });
    }
  });
});
