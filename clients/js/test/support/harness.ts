// The real processes of the integration test: an anvil chain with ClaimNFT deployed and a
// `claimsync run` with a SQLite sink and the HTTP API, each on a free loopback port in a
// temp dir. Every wait has a deadline; stop() (and process exit) kills what was started.
//
// Paths (env overrides): CLAIMSYNC_BIN (default <repo>/build/node/claimsync), ANVIL_BIN
// (default <repo>/tools/node_modules/.bin/anvil); the contract from
// <repo>/tests/contracts/build (scripts/build-contracts).

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import {
  createPublicClient,
  createWalletClient,
  http,
  type Abi,
  type Hex,
  type PublicClient,
  type WalletClient,
} from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { foundry } from "viem/chains";

// dist/test/support/harness.js -> the package root is three levels up.
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const REPO_DIR = resolve(PACKAGE_DIR, "../..");

export const CLAIMSYNC_BIN = process.env.CLAIMSYNC_BIN ?? join(REPO_DIR, "build/node/claimsync");
export const ANVIL_BIN = process.env.ANVIL_BIN ?? join(REPO_DIR, "tools/node_modules/.bin/anvil");
const CONTRACT_DIR = join(REPO_DIR, "tests/contracts/build");

// anvil's well-known development keys (the public test mnemonic; never for value).
export const DEV_KEYS: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];

// Whatever ends the test process, its children go too (a failed or interrupted run
// leaves no anvil or node behind).
const started = new Set<ChildProcess>();
const killAll = () => {
  for (const child of started) child.kill("SIGKILL");
};
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// Polls `probe` until it returns true, at most `timeoutMs`; throws `what` with the detail.
export async function waitUntil(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last: ${lastError})` : ""}`);
}

class Child {
  readonly log: string;
  private readonly process: ChildProcess;
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(binary: string, args: string[], log: string) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing (build it, or set its env variable)`);
    this.log = log;
    const fd = openLog(log);
    this.process = spawn(binary, args, { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    started.add(this.process);
    this.exited = new Promise((r) =>
      this.process.once("exit", (code) => {
        this.exitCode = code;
        started.delete(this.process);
        r(code);
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  // SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null: a signal).
  async stop(graceMs = 5_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 20): string {
    try {
      return readFileSync(this.log, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

// A plain fd (not a pipe), so the child never blocks on a test that does not read it.
function openLog(path: string): number {
  return openSync(path, "w");
}

export interface Chain {
  rpcUrl: string;
  public: PublicClient;
  accounts: PrivateKeyAccount[];
  wallet(i: number): WalletClient;
  contract: Hex;
  abi: Abi;
  // mint(to, level, 1) sent by account i (to itself by default); the tx hash, once mined.
  mint(i: number, level: number): Promise<Hex>;
  stop(): Promise<void>;
}

export async function startChain(dir: string): Promise<Chain> {
  const abi = JSON.parse(readFileSync(join(CONTRACT_DIR, "ClaimNFT.abi"), "utf8")) as Abi;
  const bytecode = `0x${readFileSync(join(CONTRACT_DIR, "ClaimNFT.bin"), "utf8").trim()}` as Hex;
  let anvil: Child | undefined;
  let rpcUrl = "";
  // The free port may be taken between probing and binding: a few tries.
  for (let attempt = 0; attempt < 3 && !anvil; ++attempt) {
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    const child = new Child(ANVIL_BIN, ["--host", "127.0.0.1", "--port", String(port), "--chain-id", "31337"], join(dir, `anvil${attempt}.log`));
    try {
      await waitUntil("anvil answers eth_chainId", 30_000, async () => {
        if (!child.running) throw new Error(`anvil exited: ${child.tail(5)}`);
        const r = await fetch(rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(2_000),
        });
        return r.ok;
      });
      anvil = child;
    } catch (e) {
      await child.stop();
      if (attempt === 2) throw e;
    }
  }
  const transport = http(rpcUrl, { timeout: 10_000, retryCount: 0 });
  const pub = createPublicClient({ chain: foundry, transport }) as PublicClient;
  const accounts = DEV_KEYS.map((k) => privateKeyToAccount(k));
  const wallet = (i: number) => createWalletClient({ chain: foundry, transport, account: accounts[i]! });
  const deployTx = await wallet(0).deployContract({ abi, bytecode, account: accounts[0]!, chain: foundry });
  const deployed = await pub.waitForTransactionReceipt({ hash: deployTx, timeout: 20_000 });
  if (!deployed.contractAddress) throw new Error("ClaimNFT was not deployed");
  const contract = deployed.contractAddress.toLowerCase() as Hex;
  return {
    rpcUrl,
    public: pub,
    accounts,
    wallet,
    contract,
    abi,
    async mint(i, level) {
      const account = accounts[i]!;
      const hash = await wallet(i).writeContract({
        address: contract,
        abi,
        functionName: "mint",
        args: [account.address, BigInt(level), 1n],
        account,
        chain: foundry,
      });
      const receipt = await pub.waitForTransactionReceipt({ hash, timeout: 20_000 });
      if (receipt.status !== "success") throw new Error(`mint ${hash} reverted`);
      return hash;
    },
    async stop() {
      await anvil!.stop();
    },
  };
}

export interface Node {
  apiUrl: string;
  child: Child;
  // The sqlite3 CLI's text answer to `sql` on the node's sink (scripts/setup installs it).
  sink(sql: string): string;
  stop(): Promise<number | null>;
}

// `claimsync run` against `chain`: SQLite sink, API on a free port, intake watching an
// unknown tx for 2 s (so a forged hash is answered not_found quickly).
export async function startNode(dir: string, chain: Chain): Promise<Node> {
  const apiPort = await freePort();
  const config = join(dir, "claimsync.toml");
  writeFileSync(
    config,
    `[chain]
rpc_urls = ["${chain.rpcUrl}"]
chain_id = 31337
contract = "${chain.contract}"
start_block = 0
finality = "confirmations"
confirmations = 2
poll_interval_ms = 200
levels = [1, 2, 3]

[rpc]
timeout_ms = 5000
max_retries = 2
backoff_initial_ms = 100
backoff_max_ms = 500

[storage]
data_dir = "${join(dir, "data")}"

[sink]
url = "sqlite://${join(dir, "sink.db")}"
migrate_on_start = true

[replicator]
idle_poll_ms = 100

[api]
enabled = true
listen = "127.0.0.1:${apiPort}"

[intake]
recheck_ms = 50
watch_s = 2

[log]
level = "info"
format = "text"
`,
  );
  const child = new Child(CLAIMSYNC_BIN, ["run", "--config", config], join(dir, "node.log"));
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  try {
    await waitUntil("claimsync serves /healthz", 30_000, async () => {
      if (!child.running) throw new Error(`claimsync exited:\n${child.tail()}`);
      const r = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return r.ok;
    });
  } catch (e) {
    await child.stop();
    throw e;
  }
  const sinkDb = join(dir, "sink.db");
  return {
    apiUrl,
    child,
    sink: (sql) => execFileSync("sqlite3", [sinkDb, sql], { encoding: "utf8", timeout: 10_000 }).trim(),
    stop: () => child.stop(),
  };
}

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "claimsync-js-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
