// Against a real anvil and a real `claimsync run` (support/harness.ts): the frontend
// flow end to end, a forged tx hash, and the node stopped while a wait is in flight.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { foundry } from "viem/chains";

import { createClaimSyncClient, runClaimFlow, type ClaimFlowState, type ClaimSyncClient } from "../src/index.js";
import { startChain, startNode, tempDir, type Chain, type Node } from "./support/harness.js";

describe("against anvil and claimsync run", { timeout: 120_000 }, () => {
  const dir = tempDir();
  let chain: Chain | undefined;
  let node: Node | undefined;
  let client: ClaimSyncClient;
  let failed = false;

  before(async () => {
    chain = await startChain(dir.path);
    node = await startNode(dir.path, chain);
    client = createClaimSyncClient({ baseUrl: node.apiUrl, requestTimeoutMs: 2_000 });
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
    if (failed && node) console.error(`--- claimsync log (${node.child.log}) ---\n${node.child.tail(30)}`);
    else dir.remove();
  });

  const guard = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  };

  test(
    "a mint with a viem-signed referral: submitClaim, then waitForMembership resolves",
    guard(async () => {
      const c = chain!;
      const minter = c.accounts[1]!;
      const referrer = c.accounts[2]!;
      const typed = client.referralTypedData({
        chainId: foundry.id,
        contract: c.contract,
        minter: minter.address,
        referrer: referrer.address,
      });
      assert.ok(typed.ok, "typed data");
      const signature = await minter.signTypedData(typed.value);
      const attestation = client.attestationJson(typed.value, signature);
      assert.ok(attestation.ok);

      const tx = await c.mint(1, 1);
      const hint = await client.submitClaim({ txHash: tx, attestation: attestation.value });
      assert.ok(hint.ok, `submitClaim: ${JSON.stringify(hint)}`);
      assert.ok(["verifying", "claimed"].includes(hint.value.status), hint.value.status);

      const outcome = await client.waitForMembership({ wallet: minter.address, level: 1, txHash: tx, timeoutMs: 20_000 });
      assert.equal(outcome.status, "member", JSON.stringify(outcome));
      if (outcome.status !== "member") return;
      assert.ok(outcome.level.states.includes("done"));
      assert.equal(outcome.wallet.active, true);

      // "done" means in the database: the sink has the membership and the referrer.
      const who = minter.address.toLowerCase();
      assert.equal(node!.sink(`SELECT nft_level FROM membership WHERE wallet_address = '${who}'`), "1");
      assert.equal(node!.sink(`SELECT referrer_wallet FROM users WHERE wallet_address = '${who}'`), referrer.address.toLowerCase());

      const claims = await client.getClaim(tx);
      assert.ok(claims.ok && claims.value, JSON.stringify(claims));
      assert.equal(claims.value.claims[0]?.referrer, referrer.address.toLowerCase());
      assert.equal(claims.value.claims[0]?.state, "done");

      const again = await client.submitClaim({ txHash: tx, attestation: attestation.value });
      assert.ok(again.ok);
      assert.equal(again.value.status, "claimed");
      assert.equal(again.value.attestations?.[0]?.accepted, true, JSON.stringify(again.value));
      assert.equal(again.value.attestations?.[0]?.scheme, "eoa");
    }),
  );

  test(
    "runClaimFlow (what the React hook runs) from the wallet's tx promise",
    guard(async () => {
      const states: ClaimFlowState[] = [];
      const outcome = await runClaimFlow(client, { tx: chain!.mint(3, 2), wallet: chain!.accounts[3]!.address, level: 2, timeoutMs: 20_000 }, (s) =>
        states.push(s),
      );
      assert.equal(outcome.status, "member", JSON.stringify(outcome));
      assert.deepEqual(
        [...new Set(states.map((s) => s.phase))],
        ["sending", "waiting", "member"],
      );
    }),
  );

  test(
    "a forged tx hash resolves as no_claim",
    guard(async () => {
      const forged = `0x${randomBytes(32).toString("hex")}`;
      const hint = await client.submitClaim({ txHash: forged });
      assert.ok(hint.ok);
      assert.equal(hint.value.status, "verifying");
      const outcome = await client.waitForMembership({ wallet: chain!.accounts[4]!.address, level: 1, txHash: forged, timeoutMs: 15_000 });
      assert.equal(outcome.status, "no_claim", JSON.stringify(outcome));
      if (outcome.status !== "no_claim") return;
      assert.equal(outcome.answer.status, "not_found");
      assert.equal((await client.getClaim(forged)).ok, true);
    }),
  );

  test(
    "the node stopped while waiting: a timeout with reason unreachable",
    guard(async () => {
      const c = chain!;
      let rounds = 0;
      let stopping: Promise<number | null> | undefined;
      const outcome = await client.waitForMembership({
        wallet: c.accounts[4]!.address,
        level: 3, // never minted
        timeoutMs: 6_000,
        pollIntervalMs: 200,
        onProgress: () => {
          if (++rounds === 1) stopping = node!.stop();
        },
      });
      assert.ok(stopping, "the wait made no round before its deadline");
      assert.equal(await stopping, 0, "claimsync exits 0 on SIGTERM");
      assert.equal(outcome.status, "timeout", JSON.stringify(outcome));
      if (outcome.status !== "timeout") return;
      assert.equal(outcome.reason, "unreachable", outcome.message);
      assert.equal(outcome.lastError?.kind, "network");
      assert.ok(outcome.elapsedMs >= 5_500 && outcome.elapsedMs < 9_000, `elapsed ${outcome.elapsedMs}`);
    }),
  );
});
