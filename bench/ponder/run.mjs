#!/usr/bin/env node
// Runs the Ponder app in bench/ponder once, cold, and times it. See README.md.
//
//   run.sh --rpc URL --chain-id N --contract 0x.. --start-block N --end-block N
//          --database-url postgres://... --schema NAME --expect-rows N
//          [--timeout-s 600] [--poll-ms 50] [--port N] [--log FILE] [--keep-rpc-cache]
//
// stdout: exactly one JSON line,
//   {"ponder_seconds": S, "rows": N, "ponder_version": "1.0.0", ...}   exit 0
//   {"error": "...", ...}                                               exit 1 (2: bad usage)
// stderr: progress, and the path of Ponder's log file.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const appDir = dirname(fileURLToPath(import.meta.url));
const PONDER_VERSION = "1.0.0";
const NPM_CI_TIMEOUT_MS = 600_000;
const STOP_GRACE_MS = 10_000;

const USAGE = `usage: run.sh --rpc URL --chain-id N --contract 0x.. --start-block N --end-block N
              --database-url postgres://... --schema NAME --expect-rows N
              [--timeout-s 600] [--poll-ms 50] [--port N] [--log FILE] [--keep-rpc-cache]

Starts 'ponder start' (ponder@${PONDER_VERSION}, production mode) on bench/ponder against an
empty schema NAME, waits until NAME.membership holds >= N rows, prints one JSON line
{"ponder_seconds", "rows", "ponder_version"} and stops Ponder. Before the run it drops the
schemas NAME and ponder_sync (Ponder's RPC cache) in that database and removes
bench/ponder/.ponder; --keep-rpc-cache keeps ponder_sync (a warm run, not the benchmark).`;

function out(obj, code) {
  process.stdout.write(JSON.stringify(obj) + "\n");
  process.exit(code);
}
function fail(error, extra = {}) {
  out({ error, ponder_version: PONDER_VERSION, ...extra }, 1);
}
function usage(msg) {
  process.stderr.write(`run.sh: ${msg}\n${USAGE}\n`);
  out({ error: `usage: ${msg}`, ponder_version: PONDER_VERSION }, 2);
}
const log = (msg) => process.stderr.write(`[bench/ponder] ${msg}\n`);

// --- arguments ------------------------------------------------------------------------
let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      rpc: { type: "string" },
      "chain-id": { type: "string" },
      contract: { type: "string" },
      "start-block": { type: "string" },
      "end-block": { type: "string" },
      "database-url": { type: "string" },
      schema: { type: "string" },
      "expect-rows": { type: "string" },
      "timeout-s": { type: "string", default: "600" },
      "poll-ms": { type: "string", default: "50" },
      port: { type: "string" },
      log: { type: "string" },
      "keep-rpc-cache": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usage(e.message);
}
if (opt.help) {
  process.stderr.write(USAGE + "\n");
  process.exit(0);
}
for (const k of ["rpc", "chain-id", "contract", "start-block", "end-block", "database-url", "schema", "expect-rows"]) {
  if (opt[k] === undefined) usage(`--${k} is required`);
}
const uint = (k) => {
  const s = opt[k];
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(Number(s))) usage(`--${k} must be a non-negative integer, got '${s}'`);
  return Number(s);
};
const chainId = uint("chain-id");
const startBlock = uint("start-block");
const endBlock = uint("end-block");
const expectRows = uint("expect-rows");
const timeoutMs = uint("timeout-s") * 1000;
const pollMs = Math.max(1, uint("poll-ms"));
if (endBlock < startBlock) usage("--end-block is below --start-block");
if (!/^0x[0-9a-fA-F]{40}$/.test(opt.contract)) usage(`--contract is not an address: '${opt.contract}'`);
// The schema name goes into SQL (quoted) and Ponder limits it to 45 characters.
if (!/^[a-z_][a-z0-9_]{0,44}$/.test(opt.schema)) usage("--schema must match [a-z_][a-z0-9_]{0,44}");
if (opt.schema === "ponder_sync" || opt.schema === "public") usage(`--schema must not be '${opt.schema}'`);
const databaseUrl = opt["database-url"];
const logFile = resolve(opt.log ?? join(appDir, ".ponder-run.log"));

// --- node_modules ----------------------------------------------------------------------
const ponderBin = join(appDir, "node_modules", ".bin", "ponder");
const installedVersion = () => {
  try {
    return JSON.parse(readFileSync(join(appDir, "node_modules/ponder/package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
};
if (!existsSync(ponderBin) || installedVersion() !== PONDER_VERSION) {
  log(`installing node_modules (npm ci --no-audit --no-fund in ${appDir})`);
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: appDir,
    stdio: ["ignore", process.stderr, process.stderr],
    timeout: NPM_CI_TIMEOUT_MS,
  });
  if (r.status !== 0 || installedVersion() !== PONDER_VERSION) {
    fail(`npm ci failed (status ${r.status}${r.error ? `, ${r.error.message}` : ""})`);
  }
}

// pg comes with ponder (its Postgres driver).
const pg = createRequire(join(appDir, "package.json"))("pg");

async function withClient(fn) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, statement_timeout: 30_000, query_timeout: 35_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// --- the chain ----------------------------------------------------------------------------
// Ponder syncs only blocks <= tip - finality as "historical" (batched eth_getLogs); newer ones
// go through its realtime path block by block, and ponder@1.0.0 may then never index the
// end block (seen on anvil: the last block's events were dropped when live indexing
// stopped). So the whole range must be final by Ponder's rule: for chain ids it does not
// know (31337 included) that is 30 blocks (config/networks.ts getFinalityBlockCount).
function ponderFinality(id) {
  if ([1, 3, 4, 5, 42, 11155111].includes(id)) return 65;
  if ([137, 80001].includes(id)) return 200;
  if ([42161, 42170, 421611, 421613].includes(id)) return 240;
  return 30;
}
async function rpcCall(method) {
  const res = await fetch(opt.rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }),
    signal: AbortSignal.timeout(10_000),
  });
  const json = await res.json();
  if (json.error) throw new Error(`${method}: ${JSON.stringify(json.error)}`);
  return json.result;
}
try {
  const [rpcChain, tipHex] = [await rpcCall("eth_chainId"), await rpcCall("eth_blockNumber")];
  if (Number(rpcChain) !== chainId) fail(`--chain-id ${chainId} but the RPC serves chain ${Number(rpcChain)}`);
  const tip = Number(tipHex);
  const finality = ponderFinality(chainId);
  if (endBlock > tip - finality) {
    fail(
      `--end-block ${endBlock} is not final for Ponder: tip ${tip} - ${finality} = ${tip - finality}; ` +
        `mine ${endBlock + finality - tip} more blocks (e.g. anvil_mine) so the whole range is historical`,
    );
  }
} catch (e) {
  fail(`RPC check failed: ${e.message}`);
}

// --- a cold start ------------------------------------------------------------------------
try {
  await withClient(async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS "${opt.schema}" CASCADE`);
    if (!opt["keep-rpc-cache"]) await c.query("DROP SCHEMA IF EXISTS ponder_sync CASCADE");
  });
} catch (e) {
  fail(`database reset failed: ${e.message}`);
}
rmSync(join(appDir, ".ponder"), { recursive: true, force: true });
rmSync(join(appDir, "generated"), { recursive: true, force: true });
log(`dropped schema "${opt.schema}"${opt["keep-rpc-cache"] ? "" : " and ponder_sync"}; removed .ponder`);

async function freePort() {
  return await new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}
const port = opt.port !== undefined ? uint("port") : await freePort();

// --- run --------------------------------------------------------------------------------
const env = { ...process.env };
delete env.DATABASE_PRIVATE_URL; // would win over DATABASE_URL inside Ponder
Object.assign(env, {
  PONDER_RPC_URL: opt.rpc,
  PONDER_CHAIN_ID: String(chainId),
  PONDER_CONTRACT: opt.contract,
  PONDER_START_BLOCK: String(startBlock),
  PONDER_END_BLOCK: String(endBlock),
  DATABASE_URL: databaseUrl,
  DATABASE_SCHEMA: opt.schema,
  PONDER_TELEMETRY_DISABLED: "true",
  NODE_ENV: "production",
  FORCE_COLOR: "0",
  NO_COLOR: "1",
  PORT: String(port),
});

mkdirSync(dirname(logFile), { recursive: true });
const logStream = createWriteStream(logFile);
log(`ponder log: ${logFile} (each line prefixed with seconds since ponder was spawned)`);
const t0 = performance.now();
let syncStartedAt = null;
const child = spawn(
  ponderBin,
  ["start", "--schema", opt.schema, "--port", String(port), "--hostname", "127.0.0.1", "--log-format", "pretty"],
  { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true }, // own process group
);
for (const stream of [child.stdout, child.stderr]) {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop();
    const now = performance.now();
    const stamp = `+${((now - t0) / 1000).toFixed(3)}s `;
    for (const line of lines) {
      logStream.write(stamp + line + "\n");
      // "Started 'chain' historical sync ..." (or "Skipped ... because all blocks are
      // cached"): Ponder's startup (node, its build of the app, database setup) is over.
      if (syncStartedAt === null && /(Started|Skipped) '.*' historical sync/.test(line)) syncStartedAt = now;
    }
  });
  stream.on("end", () => {
    if (partial) logStream.write(`+${((performance.now() - t0) / 1000).toFixed(3)}s ${partial}\n`);
  });
}
let exited = null;
child.on("exit", (code, signal) => {
  exited = { code, signal };
});
child.on("error", (e) => {
  exited = { code: null, signal: null, error: e.message };
});

async function stopPonder() {
  if (exited !== null || child.pid === undefined) return;
  const killGroup = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {}
  };
  killGroup("SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  while (exited === null && Date.now() < deadline) await sleep(50);
  killGroup("SIGKILL"); // also whatever Ponder left in its group
  const hard = Date.now() + 2_000;
  while (exited === null && Date.now() < hard) await sleep(20);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    await stopPonder();
    fail(`interrupted by ${sig}`);
  });
}

function logTail() {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

// Poll NAME.membership with one connection; before Ponder creates it the query fails
// (relation does not exist) and counts as 0.
const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, statement_timeout: 10_000, query_timeout: 15_000 });
try {
  await client.connect();
} catch (e) {
  await stopPonder();
  fail(`cannot connect to the database: ${e.message}`);
}
client.on("error", () => {});
const countSql = `SELECT count(*)::bigint AS n FROM "${opt.schema}".membership`;
let rows = 0;
let seconds = null;
const deadline = t0 + timeoutMs;
let lastReport = 0;
while (performance.now() < deadline) {
  try {
    const r = await client.query(countSql);
    rows = Number(r.rows[0].n);
  } catch (e) {
    if (e.code !== "42P01" && e.code !== "3F000") {
      // not "relation/schema does not exist": a real problem
      log(`poll failed: ${e.message}`);
    }
  }
  const now = performance.now();
  if (rows >= expectRows) {
    seconds = (now - t0) / 1000;
    break;
  }
  if (exited !== null) break;
  if (now - lastReport > 10_000) {
    lastReport = now;
    log(`${((now - t0) / 1000).toFixed(1)} s: ${rows}/${expectRows} membership rows`);
  }
  await sleep(pollMs);
}

await client.end().catch(() => {});
const exitedEarly = exited;
await stopPonder();
await new Promise((r) => logStream.end(r));

if (seconds !== null) {
  log(`${rows} membership rows after ${seconds.toFixed(3)} s; Ponder stopped`);
  // startup_seconds: spawn to Ponder's "Started ... historical sync" log line (node, its
  // build of the app, database and ponder_sync setup); the rest is sync + indexing + flush.
  const startup = syncStartedAt === null ? null : Number(((syncStartedAt - t0) / 1000).toFixed(3));
  out({ ponder_seconds: Number(seconds.toFixed(3)), rows, ponder_version: PONDER_VERSION, startup_seconds: startup, poll_ms: pollMs }, 0);
}
const tail = logTail();
if (tail) process.stderr.write(`--- last lines of ${logFile} ---\n${tail}\n`);
if (exitedEarly !== null) {
  fail(`ponder exited before ${expectRows} membership rows (code ${exitedEarly.code}, signal ${exitedEarly.signal}${exitedEarly.error ? `, ${exitedEarly.error}` : ""})`, { rows, log: logFile });
}
fail(`timeout: ${rows}/${expectRows} membership rows after ${timeoutMs / 1000} s`, { rows, log: logFile });
