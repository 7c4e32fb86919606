// The EIP-712 typed data of the node's ReferralAttestation (node/intake/
// referral_attestation.hpp), shaped for any wallet's signTypedData (viem, thirdweb,
// ethers: domain, types without EIP712Domain, primaryType, message).
//
//   ReferralAttestation(address minter,address referrer,bytes32 mintTx,bytes32 nonce,
//                       uint64 issuedAt,uint64 expiresAt)
//   domain {name: "claimsync", version: "1", chainId, verifyingContract: <contract>}

import { fail, ok, type Result } from "./errors.js";
import type { AttestationJson, Hex } from "./types.js";

// A mutable tuple of literal fields: viem infers the message from it, and ethers'
// `Record<string, TypedDataField[]>` accepts it too (a readonly array would not be).
export type ReferralAttestationTypes = {
  ReferralAttestation: [
    { name: "minter"; type: "address" },
    { name: "referrer"; type: "address" },
    { name: "mintTx"; type: "bytes32" },
    { name: "nonce"; type: "bytes32" },
    { name: "issuedAt"; type: "uint64" },
    { name: "expiresAt"; type: "uint64" },
  ];
};

function referralAttestationTypes(): ReferralAttestationTypes {
  return {
    ReferralAttestation: [
      { name: "minter", type: "address" },
      { name: "referrer", type: "address" },
      { name: "mintTx", type: "bytes32" },
      { name: "nonce", type: "bytes32" },
      { name: "issuedAt", type: "uint64" },
      { name: "expiresAt", type: "uint64" },
    ],
  };
}

export const REFERRAL_ATTESTATION_TYPES: Readonly<ReferralAttestationTypes> = referralAttestationTypes();

// The EIP712Domain fields, for wallets whose raw eth_signTypedData_v4 wants them listed.
export const EIP712_DOMAIN_TYPE = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

// The node refuses a window longer than this (and an issuedAt more than 300 s ahead).
export const MAX_ATTESTATION_TTL_SECONDS = 7 * 24 * 3600;
// issuedAt is set this far in the past so that a node whose clock is behind the
// browser's still accepts it.
const ISSUED_AT_SLACK_SECONDS = 60;

export const ZERO_HASH: Hex = `0x${"0".repeat(64)}`;

export interface ReferralMessage {
  minter: Hex;
  referrer: Hex;
  mintTx: Hex;
  nonce: Hex;
  issuedAt: bigint;
  expiresAt: bigint;
}

export interface ReferralTypedData {
  domain: { name: "claimsync"; version: "1"; chainId: number; verifyingContract: Hex };
  types: ReferralAttestationTypes;
  primaryType: "ReferralAttestation";
  message: ReferralMessage;
}

export interface ReferralTypedDataArgs {
  chainId: number;
  contract: string; // the claim contract: the domain's verifyingContract
  minter: string; // the wallet that mints (and signs)
  referrer: string;
  // The mint's tx hash when known; omitted (zero) = valid for the minter's next mint.
  mintTx?: string;
  // How long the attestation is valid; default 1 hour, at most 7 days (less 60 s).
  ttlSeconds?: number;
  // Defaults: 32 random bytes from crypto.getRandomValues, and the current time.
  nonce?: string;
  nowSeconds?: number;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

export function isAddress(s: unknown): s is Hex {
  return typeof s === "string" && ADDRESS.test(s);
}

export function isTxHash(s: unknown): s is Hex {
  return typeof s === "string" && HASH.test(s);
}

function randomNonce(): Hex {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function invalid(message: string): Result<never> {
  return fail({ kind: "invalid_argument", message });
}

// The typed data to sign, or invalid_argument naming the field. Addresses are
// lower-cased (the signature covers the 20 bytes, not the checksum).
export function referralTypedData(args: ReferralTypedDataArgs): Result<ReferralTypedData> {
  if (!Number.isSafeInteger(args.chainId) || args.chainId <= 0) return invalid("chainId must be a positive integer");
  for (const field of ["contract", "minter", "referrer"] as const) {
    if (!isAddress(args[field])) return invalid(`${field} must be 0x followed by 40 hex digits`);
  }
  if (args.minter.toLowerCase() === args.referrer.toLowerCase()) return invalid("referrer must not be the minter");
  if (/^0x0{40}$/.test(args.referrer)) return invalid("referrer must not be the zero address");
  const mintTx = args.mintTx ?? ZERO_HASH;
  if (!isTxHash(mintTx)) return invalid("mintTx must be 0x followed by 64 hex digits");
  const nonce = args.nonce ?? randomNonce();
  if (!isTxHash(nonce)) return invalid("nonce must be 0x followed by 64 hex digits");
  const ttl = args.ttlSeconds ?? 3600;
  if (!Number.isSafeInteger(ttl) || ttl <= 0 || ttl + ISSUED_AT_SLACK_SECONDS > MAX_ATTESTATION_TTL_SECONDS) {
    return invalid(`ttlSeconds must be 1..${MAX_ATTESTATION_TTL_SECONDS - ISSUED_AT_SLACK_SECONDS}`);
  }
  const now = Math.floor(args.nowSeconds ?? Date.now() / 1000);
  const issuedAt = BigInt(Math.max(0, now - ISSUED_AT_SLACK_SECONDS));
  return ok({
    domain: {
      name: "claimsync",
      version: "1",
      chainId: args.chainId,
      verifyingContract: args.contract.toLowerCase() as Hex,
    },
    types: referralAttestationTypes(), // a fresh copy: a caller may mutate it
    primaryType: "ReferralAttestation",
    message: {
      minter: args.minter.toLowerCase() as Hex,
      referrer: args.referrer.toLowerCase() as Hex,
      mintTx: mintTx.toLowerCase() as Hex,
      nonce: nonce.toLowerCase() as Hex,
      issuedAt,
      expiresAt: BigInt(now + ttl),
    },
  });
}

// The JSON form POST /v1/claims takes: the signed message plus the wallet's signature
// (65 bytes, or a smart account's EIP-1271 / ERC-6492 encoding).
export function attestationJson(typedData: ReferralTypedData, signature: string): Result<AttestationJson> {
  if (!/^0x([0-9a-fA-F]{2})+$/.test(signature)) return invalid("signature must be non-empty 0x-hex");
  const m = typedData.message;
  return ok({
    minter: m.minter,
    referrer: m.referrer,
    mintTx: m.mintTx,
    nonce: m.nonce,
    issuedAt: m.issuedAt.toString(),
    expiresAt: m.expiresAt.toString(),
    signature: signature as Hex,
  });
}

// The typed data as the JSON string a raw eth_signTypedData_v4 call takes (EIP712Domain
// listed, uint64s as decimal strings).
export function typedDataJson(typedData: ReferralTypedData): string {
  return JSON.stringify({
    types: { EIP712Domain: EIP712_DOMAIN_TYPE, ...typedData.types },
    domain: typedData.domain,
    primaryType: typedData.primaryType,
    message: { ...typedData.message, issuedAt: typedData.message.issuedAt.toString(), expiresAt: typedData.message.expiresAt.toString() },
  });
}
