#!/usr/bin/env node
// Compares the rows the Ponder app wrote with the ones fill.mjs expected:
//   node bench/ponder/check.mjs --database-url postgres://... --schema NAME --expected FILE
// Checks membership (exactly the expected (wallet, level) pairs, each with the tx of the
// first mint), members (one per wallet, current_level = the highest level minted,
// activated_at = the earliest membership row) and users (one per member). Prints one JSON
// line; exit 0 when everything matches, 1 otherwise.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const appDir = dirname(fileURLToPath(import.meta.url));
const pg = createRequire(join(appDir, "package.json"))("pg");
const { values: opt } = parseArgs({
  options: {
    "database-url": { type: "string" },
    schema: { type: "string" },
    expected: { type: "string" },
  },
});
if (!opt["database-url"] || !opt.schema || !opt.expected || !/^[a-z_][a-z0-9_]*$/.test(opt.schema)) {
  console.error("usage: check.mjs --database-url URL --schema NAME --expected FILE");
  process.exit(2);
}
const expected = JSON.parse(readFileSync(opt.expected, "utf8"));
const s = `"${opt.schema}"`;
const client = new pg.Client({ connectionString: opt["database-url"] });
await client.connect();
const problems = [];

const ms = (await client.query(`SELECT wallet_address, level, block_number, tx_hash, activated_at FROM ${s}.membership`)).rows;
const got = new Set(ms.map((r) => `${r.wallet_address}:${r.level}`));
const want = new Set(expected.membership);
for (const k of want) if (!got.has(k)) problems.push(`membership missing ${k}`);
for (const k of got) if (!want.has(k)) problems.push(`membership unexpected ${k}`);
if (ms.length !== got.size) problems.push(`membership has duplicate (wallet, level) rows`);

// Each membership row names the first mint of its (wallet, level) (fill.mjs knows its tx).
for (const r of ms) {
  const key = `${r.wallet_address}:${r.level}`;
  if (expected.first_tx && want.has(key) && expected.first_tx[key] !== r.tx_hash) {
    problems.push(`membership ${key}: tx ${r.tx_hash}, expected the first mint ${expected.first_tx[key]}`);
  }
  if (!(Number(r.block_number) > 0) || !r.activated_at) problems.push(`membership row malformed ${JSON.stringify(r)}`);
  if (!/^0x[0-9a-f]{40}$/.test(r.wallet_address)) problems.push(`wallet not lower-case ${r.wallet_address}`);
}

const mem = (await client.query(`SELECT wallet_address, current_level FROM ${s}.members`)).rows;
const wantMembers = expected.members;
if (mem.length !== Object.keys(wantMembers).length) {
  problems.push(`members: ${mem.length} rows, expected ${Object.keys(wantMembers).length}`);
}
for (const r of mem) {
  if (wantMembers[r.wallet_address] !== r.current_level) {
    problems.push(`members ${r.wallet_address}: current_level ${r.current_level}, expected ${wantMembers[r.wallet_address]}`);
  }
}
// activated_at = the earliest of the wallet's membership rows (claimsync: LEAST).
const act = (
  await client.query(
    `SELECT count(*)::int AS n FROM ${s}.members m
     WHERE m.activated_at IS DISTINCT FROM (SELECT min(activated_at) FROM ${s}.membership ms
                                            WHERE ms.wallet_address = m.wallet_address)`,
  )
).rows[0].n;
if (act !== 0) problems.push(`${act} members rows whose activated_at is not their earliest membership`);

const users = (await client.query(`SELECT count(*)::int AS n FROM ${s}.users`)).rows[0].n;
const orphans = (
  await client.query(
    `SELECT count(*)::int AS n FROM ${s}.members m
     WHERE NOT EXISTS (SELECT 1 FROM ${s}.users u WHERE u.wallet_address = m.wallet_address)`,
  )
).rows[0].n;
if (users !== mem.length || orphans !== 0) problems.push(`users: ${users} rows, ${orphans} members without one`);

await client.end();
console.log(
  JSON.stringify({
    ok: problems.length === 0,
    membership: ms.length,
    members: mem.length,
    users,
    problems: problems.slice(0, 20),
  }),
);
process.exit(problems.length === 0 ? 0 : 1);
