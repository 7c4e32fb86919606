// useClaimSync: the React hook for the frontend flow (the replacement of the origin's
// useGuaranteedClaimSync). Give it the wallet's mint promise, the wallet and the level;
// it hands the hint over and waits until the node reports the level replicated. No
// localStorage queue: the node finds every mint on chain by itself, so a closed tab
// loses nothing. A new claim() or an unmount cancels the wait in flight.
//
//   const { state, claim, cancel } = useClaimSync(client);
//   await claim({ tx: walletClient.writeContract(...), wallet, level: 1, attestation });
//   state.phase: "idle" | "sending" | "waiting" | "member" | "no_claim" | "timeout" | ...

import { useCallback, useEffect, useRef, useState } from "react";

import type { ClaimSyncClient } from "../client.js";
import { runClaimFlow, type ClaimFlowArgs, type ClaimFlowState } from "../flow.js";
import type { MembershipOutcome } from "../wait.js";

export type { ClaimFlowArgs, ClaimFlowPhase, ClaimFlowState } from "../flow.js";
export { runClaimFlow, DEFAULT_CLAIM_TIMEOUT_MS } from "../flow.js";

export interface UseClaimSync {
  state: ClaimFlowState;
  // True while sending or waiting.
  isProcessing: boolean;
  // Runs the flow; resolves with its outcome (never rejects).
  claim: (args: ClaimFlowArgs) => Promise<MembershipOutcome>;
  // Ends the wait in flight (its outcome is "aborted").
  cancel: () => void;
  // Back to idle (cancels first).
  reset: () => void;
}

const IDLE: ClaimFlowState = { phase: "idle" };

export function useClaimSync(client: ClaimSyncClient): UseClaimSync {
  const [state, setState] = useState<ClaimFlowState>(IDLE);
  const current = useRef<AbortController | null>(null);

  // cancel() keeps the flow current so that its "aborted" outcome is shown; reset() and
  // an unmount drop it, so that it writes nothing more.
  const cancel = useCallback(() => current.current?.abort(), []);
  const drop = useCallback(() => {
    current.current?.abort();
    current.current = null;
  }, []);

  useEffect(() => drop, [drop]);

  const claim = useCallback(
    (args: ClaimFlowArgs) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      // A superseded or unmounted flow no longer writes state.
      const report = (s: ClaimFlowState) => {
        if (current.current === controller) setState(s);
      };
      return runClaimFlow(client, args, report, controller.signal).finally(() => {
        if (current.current === controller) current.current = null;
      });
    },
    [client],
  );

  const reset = useCallback(() => {
    drop();
    setState(IDLE);
  }, [drop]);

  const isProcessing = state.phase === "sending" || state.phase === "waiting";
  return { state, isProcessing, claim, cancel, reset };
}
