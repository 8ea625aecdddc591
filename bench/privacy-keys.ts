/**
 * Pseudonymization figures, each beside a floor measured in the same run:
 * - keyed pseudonyms/s (normalized e-mails through `HmacPseudonymizer`) beside raw HMAC-SHA256 of the
 *   same inputs under a fixed key (target ≥ 100,000/s);
 * - OPRF end to end over HTTP (a `learnpool` server on 127.0.0.1 in this process, SQLite in memory,
 *   batches of 1,000: blind, POST, evaluate with proof, verify, unblind) beside the raw in-process
 *   OPRF of the same inputs (blind + evaluate + finalize, no HTTP, no database; targets ≥ 2,000/s and
 *   ≥ 50% of the floor).
 * `benchPrivacyKeys()` is what the main bench calls; run alone:
 * `node dist/bench/privacy-keys.js [--keyed N] [--oprf N]`.
 */
import { createHmac, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VOPRFClient } from "@cloudflare/voprf-ts";
import { CryptoNoble } from "@cloudflare/voprf-ts/crypto-noble";
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
import { buildServer } from "../src/server/index.js";
import { openDatabase } from "../src/store/index.js";

export interface PrivacyKeysBenchOptions {
  /** Identifiers for the keyed figure (default 300,000). */
  keyed?: number;
  /** Identifiers for the OPRF figures (default 2,000: two batches of 1,000). */
  oprf?: number;
  log?: (line: string) => void;
}

export interface PrivacyKeysBenchResult {
  keyedPerSecond: number;
  keyedFloorPerSecond: number;
  oprfHttpPerSecond: number;
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
  const nOprf = options.oprf ?? 2_000;

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

  // OPRF floor: the same protocol in process, no HTTP, no database.
  const oprfIds = emails(nOprf);
  const pair = await oprfKeyPair(randomBytes(32));
  const server = oprfServer(pair.privateKey);
  const client = new VOPRFClient(OPRF_SUITE, pair.publicKey, CryptoNoble);
  t = performance.now();
  for (let i = 0; i < nOprf; i += MAX_OPRF_BATCH) {
    const batch = oprfIds
      .slice(i, i + MAX_OPRF_BATCH)
      .map((id) => new TextEncoder().encode(`pseudonym\u0000${identifierText(id)}`));
    const [fin, req] = await client.blind(batch);
    const answer = await server.blindEvaluate(req);
    await client.finalize(fin, answer);
  }
  const oprfFloor = rate(nOprf, performance.now() - t);

  // OPRF over HTTP: a real server on the loopback, a member store's credential.
  const db = await openDatabase(":memory:");
  const lrs = new Lrs(db, { authorityHomePage: "http://bench" });
  await lrs.tenancy.createStore("p1", "p1", "bench");
  const made = await lrs.tenancy.addCredential({ storeId: "p1", actor: "bench" });
  const domains = new DomainKeys(db, lrs.audit, { master: randomBytes(32) });
  await domains.create("bench", { members: ["p1"], actor: "bench" });
  const app = await buildServer({
    lrs,
    logger: false,
    privacy: new OprfService(domains, lrs.audit, { identifiersPerPeriod: 10_000_000 }),
  });
  let oprfHttp = 0;
  try {
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    const endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    const p = await OprfPseudonymizer.connect(
      new HttpOprfTransport(endpoint, { key: made.key, secret: made.secret }),
      "bench",
    );
    t = performance.now();
    await p.derive(oprfIds, "pseudonym");
    oprfHttp = rate(nOprf, performance.now() - t);
  } finally {
    await app.close();
    await lrs.close();
    await db.close();
  }
  log(
    `OPRF over HTTP (${OPRF_SUITE}, batches of ${MAX_OPRF_BATCH}): ${oprfHttp.toLocaleString("en")} identifiers/s (floor, in-process blind+evaluate+finalize: ${oprfFloor.toLocaleString("en")}/s = ${Math.round((100 * oprfHttp) / oprfFloor)}%; targets ≥ 2,000/s and ≥ 50%)`,
  );
  return {
    keyedPerSecond: keyed,
    keyedFloorPerSecond: keyedFloor,
    oprfHttpPerSecond: oprfHttp,
    oprfFloorPerSecond: oprfFloor,
    oprfSuite: OPRF_SUITE,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { keyed: { type: "string" }, oprf: { type: "string" } } });
  const result = await benchPrivacyKeys({
    ...(values.keyed && { keyed: Number(values.keyed) }),
    ...(values.oprf && { oprf: Number(values.oprf) }),
  });
  process.stdout.write(`${JSON.stringify({ privacyKeys: result })}\n`);
}
