/**
 * Pseudonymization figures, each beside a floor measured in the same run:
 * - keyed pseudonyms/s (normalized e-mails through `HmacPseudonymizer`) beside raw HMAC-SHA256 of the
 *   same inputs under a fixed key (target ≥ 100,000/s);
 * - OPRF end to end over HTTP (batches of 1,000: blind, POST, evaluate with proof, verify, unblind)
 *   beside the raw in-process OPRF of the same inputs (blind + evaluate + finalize, no HTTP, no
 *   database; targets ≥ 2,000/s and ≥ 50% of the floor). The service runs as users run it, `learnpool
 *   serve` in its own process on a SQLite file (provider and service each on a core, as in a real
 *   deployment where they are different machines); the same with the service inside this process is
 *   shown beside it. Without a build (`bin/learnpool.js` needs `dist/`), only the in-process figure.
 * `benchPrivacyKeys()` is what the main bench calls; run alone:
 * `node dist/bench/privacy-keys.js [--keyed N] [--oprf N]`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VOPRFClient } from "@cloudflare/voprf-ts";
import { Lrs } from "../src/lrs/index.js";
import { DomainKeys } from "../src/privacy/domains.js";
import { type Identifier, identifierText, normalizeIdentifier } from "../src/privacy/identifiers.js";
import { HmacPseudonymizer } from "../src/privacy/keyed.js";
import {
  HttpOprfTransport,
  MAX_OPRF_BATCH,
  OPRF_SUITE,
  OprfPseudonymizer,
  OprfService,
  oprfKeyPair,
  oprfServer,
} from "../src/privacy/oprf.js";
import { CryptoSodium, invertAll } from "../src/privacy/oprf-sodium.js";
import { buildServer } from "../src/server/index.js";
import { openDatabase } from "../src/store/index.js";

export interface PrivacyKeysBenchOptions {
  /** Identifiers for the keyed figure (default 300,000). */
  keyed?: number;
  /** Identifiers for each OPRF figure (default 6,000: six batches of 1,000). */
  oprf?: number;
  log?: (line: string) => void;
}

export interface PrivacyKeysBenchResult {
  keyedPerSecond: number;
  keyedFloorPerSecond: number;
  /** The service in its own process (`learnpool serve`); the in-process figure when there is no build. */
  oprfHttpPerSecond: number;
  /** The service inside the bench's process: provider and service share one core. */
  oprfHttpInProcessPerSecond: number;
  oprfHttpServerProcess: boolean;
  /** CPU time per identifier of the provider (this process) and of the service process, when separate. */
  oprfProviderCpuMicrosPerId?: number;
  oprfServiceCpuMicrosPerId?: number;
  oprfFloorPerSecond: number;
  oprfSuite: string;
}

function emails(count: number): Identifier[] {
  return Array.from({ length: count }, (_, i) =>
    normalizeIdentifier("email", `learner.${i}@school-${i % 97}.example.org`),
  );
}

const rate = (count: number, ms: number) => Math.round((count * 1000) / ms);

export async function benchPrivacyKeys(
  options: PrivacyKeysBenchOptions = {},
): Promise<PrivacyKeysBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const nKeyed = options.keyed ?? 300_000;
  const nOprf = options.oprf ?? 6_000;

  // Keyed: the pseudonymizer against raw HMAC of the same `purpose ‖ 0 ‖ text` inputs.
  const ids = emails(nKeyed);
  const key = randomBytes(32);
  const hmac = new HmacPseudonymizer({
    domainId: "bench",
    iri: "https://pool.example/domains/bench",
    keyId: "k1",
    key,
  });
  const inputs = ids.map((id) => `pseudonym\u0000${identifierText(id)}`);
  let t = performance.now();
  for (const input of inputs) createHmac("sha256", key).update(input).digest();
  const keyedFloor = rate(nKeyed, performance.now() - t);
  t = performance.now();
  hmac.deriveSync(ids, "pseudonym");
  const keyed = rate(nKeyed, performance.now() - t);
  log(
    `keyed pseudonyms: ${keyed.toLocaleString("en")}/s (floor, raw HMAC-SHA256: ${keyedFloor.toLocaleString("en")}/s; target ≥ 100,000/s)`,
  );

  // OPRF floor: the same protocol in process, no HTTP, no database, with the provider's batch inversion.
  const oprfIds = emails(nOprf);
  const pair = await oprfKeyPair(randomBytes(32));
  const server = oprfServer(pair.privateKey);
  const client = new VOPRFClient(OPRF_SUITE, pair.publicKey, CryptoSodium);
  const encoder = new TextEncoder();
  const floorRun = async (ids: Identifier[]) => {
    for (let i = 0; i < ids.length; i += MAX_OPRF_BATCH) {
      const batch = ids
        .slice(i, i + MAX_OPRF_BATCH)
        .map((id) => encoder.encode(`pseudonym\u0000${identifierText(id)}`));
      const [fin, req] = await client.blind(batch);
      invertAll(fin.blinds);
      await client.finalize(fin, await server.blindEvaluate(req));
    }
  };
  await floorRun(oprfIds.slice(0, 50)); // warm-up
  t = performance.now();
  await floorRun(oprfIds);
  const oprfFloor = rate(nOprf, performance.now() - t);

  // OPRF over HTTP: a SQLite file with a member store and a linkage domain, served two ways.
  const dir = mkdtempSync(join(tmpdir(), "learnpool-bench-oprf-"));
  const master = randomBytes(32);
  const credential = { key: "bench", secret: "bench-secret" };
  let inProcess = 0;
  let separate: HttpRun | undefined;
  try {
    const dbFile = join(dir, "bench.sqlite");
    const db = await openDatabase(dbFile);
    const lrs = new Lrs(db, { authorityHomePage: "http://bench" });
    await lrs.tenancy.ensureStore("p1", "p1", "bench");
    await lrs.tenancy.ensureCredential({ storeId: "p1", ...credential, actor: "bench" });
    const domains = new DomainKeys(db, lrs.audit, { master });
    await domains.create("bench", { members: ["p1"], actor: "bench" });

    const app = await buildServer({
      lrs,
      logger: false,
      privacy: new OprfService(domains, lrs.audit, { identifiersPerPeriod: 1e9 }),
    });
    try {
      await app.listen({ port: 0, host: "127.0.0.1" });
      const address = app.server.address();
      ({ perSecond: inProcess } = await timeHttp(
        `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
        credential,
        oprfIds,
      ));
    } finally {
      await app.close();
      await lrs.close();
      await db.close();
    }

    const bin = join(root, "bin/learnpool.js");
    if (existsSync(join(root, "dist/src/cli/main.js"))) {
      const { child, url } = await startServe(bin, dbFile, master);
      try {
        separate = await timeHttp(url, credential, oprfIds, child.pid);
      } finally {
        await stop(child);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const oprfHttp = separate?.perSecond ?? inProcess;
  const pct = (x: number) => `${Math.round((100 * x) / oprfFloor)}%`;
  log(
    `OPRF over HTTP (${OPRF_SUITE}, libsodium, batches of ${MAX_OPRF_BATCH}): ${oprfHttp.toLocaleString("en")} identifiers/s ` +
      `${separate === undefined ? "(service in process: no build)" : "(service in its own process)"} ` +
      `(floor, in-process blind+evaluate+finalize: ${oprfFloor.toLocaleString("en")}/s = ${pct(oprfHttp)}; targets ≥ 2,000/s and ≥ 50%)`,
  );
  if (separate !== undefined) {
    log(
      `  CPU per identifier: provider ${separate.clientCpuMicros} µs, service ${separate.serverCpuMicros ?? "?"} µs ` +
        `(one free core each: ${Math.round(1e6 / Math.max(separate.clientCpuMicros, separate.serverCpuMicros ?? 0)).toLocaleString("en")}/s); ` +
        `load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`,
    );
    log(
      `  service in the bench's own process (one core for both): ${inProcess.toLocaleString("en")} identifiers/s = ${pct(inProcess)} of the floor`,
    );
  }
  return {
    keyedPerSecond: keyed,
    keyedFloorPerSecond: keyedFloor,
    oprfHttpPerSecond: oprfHttp,
    oprfHttpInProcessPerSecond: inProcess,
    oprfProviderCpuMicrosPerId: separate?.clientCpuMicros,
    oprfServiceCpuMicrosPerId: separate?.serverCpuMicros,
    oprfHttpServerProcess: separate !== undefined,
    oprfFloorPerSecond: oprfFloor,
    oprfSuite: OPRF_SUITE,
  };
}

const root = fileURLToPath(
  new URL(existsSync(new URL("../../bin", import.meta.url)) ? "../.." : "..", import.meta.url),
);

interface HttpRun {
  perSecond: number;
  clientCpuMicros: number;
  serverCpuMicros?: number;
}

/** CPU time (user + system, µs) of another process, from Linux's /proc; undefined elsewhere. */
function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return undefined;
  }
}

/** Provider side over HTTP: connect, a warm-up batch (the service derives the domain's key), then the run. */
async function timeHttp(
  endpoint: string,
  credential: { key: string; secret: string },
  ids: Identifier[],
  serverPid?: number,
): Promise<HttpRun> {
  const p = await OprfPseudonymizer.connect(new HttpOprfTransport(endpoint, credential), "bench");
  await p.derive(ids.slice(0, 50), "warm-up");
  const serverBefore = processCpuMicros(serverPid);
  const cpu = process.cpuUsage();
  const t = performance.now();
  const secrets = await p.derive(ids, "pseudonym");
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const serverAfter = processCpuMicros(serverPid);
  if (secrets.size !== ids.length)
    throw new Error(`OPRF bench: ${secrets.size} secrets for ${ids.length} identifiers`);
  return {
    perSecond: rate(ids.length, ms),
    clientCpuMicros: Math.round((used.user + used.system) / ids.length),
    ...(serverBefore !== undefined &&
      serverAfter !== undefined && {
        serverCpuMicros: Math.round((serverAfter - serverBefore) / ids.length),
      }),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `learnpool serve` as users run it, with the master key and a rate that does not limit the bench. */
async function startServe(
  bin: string,
  db: string,
  master: Buffer,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    bin,
    ["serve", "--db", db, "--port", String(port), "--store", "p1", "--log-level", "warn"],
    {
      stdio: ["ignore", "ignore", "inherit"],
      env: {
        ...process.env,
        LEARNPOOL_MASTER_KEY: master.toString("base64"),
        LEARNPOOL_OPRF_RATE: "1000000000",
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/privacy/domains/bench/oprf-key`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  throw new Error("OPRF bench: `learnpool serve` did not start");
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { keyed: { type: "string" }, oprf: { type: "string" } } });
  const result = await benchPrivacyKeys({
    ...(values.keyed && { keyed: Number(values.keyed) }),
    ...(values.oprf && { oprf: Number(values.oprf) }),
  });
  process.stdout.write(`${JSON.stringify({ privacyKeys: result })}\n`);
}
