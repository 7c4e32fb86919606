// The JSON the claimsync node answers (node/api, node/intake). Field names are the
// node's; hex strings are 0x-prefixed, addresses lower-case.

export type Hex = `0x${string}`;

// A claim row's state in the node's outbox: `done` means replicated to the database.
export type ClaimState =
  | "pending"
  | "retrying"
  | "done"
  | "dead"
  | "orphaned"
  | "revoking"
  | "revoked";

// What POST /v1/claims says about a tx:
//   verifying          the node is reading the receipt (or waiting for it to be mined)
//   claimed            the tx mints claims of the contract; `claims` lists them
//   no_claim           reverted, another contract, a transfer or a burn: nothing to wait for
//   not_found          no endpoint knew the tx within the node's intake.watch_s
//   mismatch           the receipt's block is not on the chain the node scanned
//   awaiting_finality  verified; replicated once final (intake.replicate = "when_final")
//   unknown            the chain could not be read within the watch (the node's scan
//                      still finds the claim by itself)
export type HintStatus =
  | "verifying"
  | "claimed"
  | "no_claim"
  | "not_found"
  | "mismatch"
  | "awaiting_finality"
  | "unknown";

export interface HintClaim {
  log_index: number;
  batch_index: number;
  wallet: Hex;
  level: number;
  amount: string;
  state: ClaimState | null; // null: not in the node's outbox yet
  sources?: string;
  referrer?: Hex | null;
}

export interface AttestationResult {
  minter: Hex;
  referrer: Hex;
  accepted: boolean;
  scheme?: "eoa" | "erc1271" | "erc6492";
  code?: string; // why it was refused: replayed, expired, bad_signature, ...
  message?: string;
}

export interface HintAnswer {
  tx_hash: Hex;
  status: HintStatus;
  reason?: string;
  last_error?: string;
  block?: { number: number; hash: Hex };
  claims?: HintClaim[];
  attestations?: AttestationResult[];
}

// A claim as GET /v1/claims/{tx} and GET /v1/wallets/{address} show it.
export interface ClaimRecord {
  key: string;
  tx_hash: Hex;
  log_index: number;
  batch_index: number;
  wallet: Hex;
  level: number;
  amount: string;
  block_number: number;
  block_hash: Hex;
  state: ClaimState;
  sources: string;
  referrer: Hex | null;
  last_error: string;
}

export interface TxClaims {
  tx_hash: Hex;
  claims: ClaimRecord[];
}

export interface WalletLevel {
  level: number;
  states: ClaimState[];
  claims: ClaimRecord[];
}

export interface WalletView {
  wallet: Hex;
  levels: WalletLevel[];
  current_level: number | null; // the highest level with a replicated claim
  active: boolean;
  truncated: boolean;
}

// The signed JSON form POST /v1/claims accepts as "attestation".
export interface AttestationJson {
  minter: Hex;
  referrer: Hex;
  mintTx: Hex;
  nonce: Hex;
  issuedAt: string;
  expiresAt: string;
  signature: Hex;
}
