import { type Context, ponder } from "ponder:registry";
import { members, membership, users } from "ponder:schema";

// claimsync's default chain.levels: token ids 1..19 are levels; any other id is ignored.
const MIN_LEVEL = 1n;
const MAX_LEVEL = 19n;
const ZERO = "0x0000000000000000000000000000000000000000";

type Mint = {
  to: `0x${string}`;
  id: bigint;
  blockNumber: bigint;
  timestamp: bigint;
  txHash: `0x${string}`;
};

// One claim: a mint (from == 0x0) of a level id to a wallet. claimsync's sink does, per claim:
// users insert-if-absent; members upsert current_level = GREATEST, activated_at = LEAST;
// membership insert-if-absent on (wallet, level). Events arrive in chain order, so the
// first membership row for a (wallet, level) is the earliest mint, as in claimsync.
async function applyMint(db: Context["db"], m: Mint) {
  if (m.id < MIN_LEVEL || m.id > MAX_LEVEL) return;
  const wallet = m.to.toLowerCase() as `0x${string}`;
  const level = Number(m.id);
  const activatedAt = new Date(Number(m.timestamp) * 1000);

  await db.insert(users).values({ wallet_address: wallet }).onConflictDoNothing();
  await db
    .insert(members)
    .values({ wallet_address: wallet, current_level: level, activated_at: activatedAt })
    .onConflictDoUpdate((row) => ({
      current_level: Math.max(row.current_level, level),
      activated_at: row.activated_at < activatedAt ? row.activated_at : activatedAt,
    }));
  await db
    .insert(membership)
    .values({
      wallet_address: wallet,
      level,
      activated_at: activatedAt,
      block_number: m.blockNumber,
      tx_hash: m.txHash,
    })
    .onConflictDoNothing();
}

ponder.on("ClaimNFT:TransferSingle", async ({ event, context }) => {
  if (event.args.from.toLowerCase() !== ZERO) return;
  await applyMint(context.db, {
    to: event.args.to,
    id: event.args.id,
    blockNumber: event.block.number,
    timestamp: event.block.timestamp,
    txHash: event.transaction.hash,
  });
});

ponder.on("ClaimNFT:TransferBatch", async ({ event, context }) => {
  if (event.args.from.toLowerCase() !== ZERO) return;
  for (const id of event.args.ids) {
    await applyMint(context.db, {
      to: event.args.to,
      id,
      blockNumber: event.block.number,
      timestamp: event.block.timestamp,
      txHash: event.transaction.hash,
    });
  }
});
