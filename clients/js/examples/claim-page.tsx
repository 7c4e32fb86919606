// A small claim page: the minting wallet signs its referrer, mints with viem, and the
// page shows where the claim stands until the node reports the membership replicated.
// Type-checked by `npm run typecheck` (examples/tsconfig.json); bundle it with any tool.

import { useMemo, useState } from "react";
import { createWalletClient, custom, parseAbi, type EIP1193Provider } from "viem";
import { arbitrum } from "viem/chains";

import { createClaimSyncClient, describeError, type MembershipOutcome } from "@claimsync/client";
import { useClaimSync } from "@claimsync/client/react";

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

const CONTRACT = "0x36a1ac6cde2a3ec9b1d9e5b6bc0d3fc3e1b6a3a1"; // your ClaimNFT
const CLAIM_ABI = parseAbi(["function mint(address to, uint256 id, uint256 amount)"]);
const client = createClaimSyncClient({ baseUrl: "https://claims.example.org" });

function outcomeText(o: MembershipOutcome): string {
  switch (o.status) {
    case "member":
      return `Welcome: level ${o.level.level} is active.`;
    case "no_claim":
      return `That transaction holds no claim: ${o.message}`;
    case "timeout":
      // verifying | replicating | not_seen | unreachable: the node still finds the mint by
      // itself; the page can simply check again later.
      return `Not confirmed yet (${o.reason}): ${o.message}`;
    case "aborted":
      return "Cancelled.";
    case "error":
      return `Error: ${describeError(o.error)}`;
  }
}

export function ClaimPage({ level, referrer }: { level: number; referrer?: `0x${string}` }) {
  const { state, claim, cancel, isProcessing } = useClaimSync(client);
  const [problem, setProblem] = useState<string>();
  const wallet = useMemo(
    () => (window.ethereum ? createWalletClient({ chain: arbitrum, transport: custom(window.ethereum) }) : undefined),
    [],
  );

  async function onClaim() {
    setProblem(undefined);
    if (!wallet) return setProblem("no wallet found");
    const [account] = await wallet.requestAddresses();
    if (!account) return setProblem("no account");

    // 1. Before the mint: the minter signs "I was referred by X" (optional).
    let attestation;
    if (referrer) {
      const typed = client.referralTypedData({ chainId: arbitrum.id, contract: CONTRACT, minter: account, referrer });
      if (!typed.ok) return setProblem(describeError(typed.error));
      const signature = await wallet.signTypedData({ account, ...typed.value });
      const signed = client.attestationJson(typed.value, signature);
      if (!signed.ok) return setProblem(describeError(signed.error));
      attestation = signed.value;
    }

    // 2.-4. Mint, hand the hint over, wait for the membership (bounded, cancellable).
    const tx = wallet.writeContract({
      account,
      address: CONTRACT,
      abi: CLAIM_ABI,
      functionName: "mint",
      args: [account, BigInt(level), 1n],
    });
    await claim({ tx, wallet: account, level, timeoutMs: 90_000, ...(attestation ? { attestation } : {}) });
  }

  return (
    <section>
      <button disabled={isProcessing} onClick={() => void onClaim()}>
        Claim level {level}
      </button>
      {isProcessing && <button onClick={cancel}>Stop waiting</button>}
      <p>
        {state.phase === "sending" && "Confirm the mint in your wallet…"}
        {state.phase === "waiting" && `Verifying ${state.txHash ?? ""} (${state.hint?.status ?? "sent"})…`}
        {state.outcome && outcomeText(state.outcome)}
        {problem}
      </p>
    </section>
  );
}
