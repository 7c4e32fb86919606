import { createConfig } from "ponder";
import { http } from "viem";

import { ERC1155Abi } from "./abis/ERC1155";

// Everything comes from the environment (bench/ponder/run.sh sets it). DATABASE_SCHEMA is
// read by `ponder start` itself (run.sh also passes it as --schema).
function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set`);
  return value;
}

function envInt(name: string): number {
  const value = Number(env(name));
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} is not a block/chain number`);
  return value;
}

const endBlock = process.env.PONDER_END_BLOCK ? envInt("PONDER_END_BLOCK") : undefined;

export default createConfig({
  database: { kind: "postgres", connectionString: env("DATABASE_URL") },
  // ponder@1.0.0 is the 0.10 line: chains are still called `networks`.
  networks: {
    chain: {
      chainId: envInt("PONDER_CHAIN_ID"),
      transport: http(env("PONDER_RPC_URL")),
      // Unset: Ponder's own default (50 req/s), as a new user runs it. The benchmark also
      // runs it with 10,000, so that the cap is not what it measures.
      maxRequestsPerSecond: process.env.PONDER_MAX_RPS ? Number(process.env.PONDER_MAX_RPS) : undefined,
    },
  },
  contracts: {
    ClaimNFT: {
      network: "chain",
      abi: ERC1155Abi,
      address: env("PONDER_CONTRACT") as `0x${string}`,
      startBlock: envInt("PONDER_START_BLOCK"),
      endBlock,
    },
  },
});
