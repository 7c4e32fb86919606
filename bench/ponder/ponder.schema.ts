import { onchainTable, primaryKey } from "ponder";

// The rows claimsync writes (migrations/postgres/001_membership_tables.sql), reduced to what
// the mints determine. Hex columns are stored lower-case, like claimsync's wallets.

// users: one row per wallet that minted a level (claimsync inserts it before members).
export const users = onchainTable("users", (t) => ({
  wallet_address: t.hex().primaryKey(),
}));

// members: current_level = the highest level minted, activated_at = the earliest mint's
// block time (claimsync: GREATEST / LEAST on conflict).
export const members = onchainTable("members", (t) => ({
  wallet_address: t.hex().primaryKey(),
  current_level: t.integer().notNull(),
  activated_at: t.timestamp({ withTimezone: true }).notNull(),
}));

// membership: one row per (wallet, level), the first mint of it wins.
export const membership = onchainTable(
  "membership",
  (t) => ({
    wallet_address: t.hex().notNull(),
    level: t.integer().notNull(),
    activated_at: t.timestamp({ withTimezone: true }).notNull(),
    block_number: t.bigint().notNull(),
    tx_hash: t.hex().notNull(),
  }),
  (table) => ({
    pk: primaryKey({ columns: [table.wallet_address, table.level] }),
  }),
);
