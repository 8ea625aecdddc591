/**
 * Enforcement end to end: `PolicyEnforcement.decide()` on a SQLite file for the realistic pooling
 * agreement of `contract-odrl.ts` (signed by its three parties in the agreements registry), each
 * decision reading the agreement's status, the usage counters and duty states, evaluating, counting
 * the use and writing its audit event in one transaction under the agreement's lock. Printed beside
 * the pure evaluation of the same requests under the same state (the engine's ceiling) and the floor
 * of one audit event in its own transaction (the durable write every decision pays). Decisions are
 * measured one at a time (a caller waiting on each) and 16 in flight (group commit shares the fsync).
 * `benchEnforcement()` is what the main bench may call; run alone: `node dist/bench/enforcement.js`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuditLog } from "../src/audit/index.js";
import {
  AgreementRegistry,
  generateParticipantKey,
  signAgreement,
} from "../src/contract/agreements/index.js";
import { PolicyEnforcement, type Step } from "../src/contract/enforcement/index.js";
import { type AccessRequest, compilePolicy, evaluate, readRequest } from "../src/contract/index.js";
import { type Database, openDatabase } from "../src/store/index.js";
import { POOLING_AGREEMENT } from "./contract-odrl.js";

export interface EnforcementBenchResult {
  decisionsPerSecond: number;
  concurrentDecisionsPerSecond: number;
  evaluateOnlyPerSecond: number;
  floorAuditAppendsPerSecond: number;
  permits: number;
}

const EX = "https://example.org/";
const DAY = 86_400_000;

/** The pooling agreement, its dates moved around today so that it is in force whenever the bench runs. */
function agreementPolicy(now: number): Record<string, unknown> {
  const { uid: _uid, ...policy } = structuredClone(POOLING_AGREEMENT) as typeof POOLING_AGREEMENT & {
    uid?: string;
  };
  const permission = policy.permission[0] as { constraint: { uid: string; rightOperand: unknown }[] };
  for (const c of permission.constraint) {
    if (c.uid === "ex:c/from")
      c.rightOperand = { "@value": new Date(now - DAY).toISOString(), "@type": "xsd:dateTime" };
    if (c.uid === "ex:c/until")
      c.rightOperand = { "@value": new Date(now + 200 * DAY).toISOString(), "@type": "xsd:dateTime" };
  }
  return policy;
}

const REQUESTS: [Step, AccessRequest][] = (
  [
    ["dataset-build", "derive", "dpv:AcademicResearch", "FR"],
    ["training-admission", "derive", "dpv:TrainAIModel", "DE"],
    ["dataset-build", "derive", "dpv:PersonalisedAdvertising", "FR"],
    ["transfer", "derive", "dpv:AcademicResearch", "US"],
    ["model-release", "distribute", "dpv:AcademicResearch", "NO"],
    ["catalog-access", "read", "dpv:ProvideEducation", "IT"],
  ] as const
).map(([step, action, purpose, spatial], i) => [
  step,
  readRequest({
    action,
    target: `${EX}datasets/moodle-traces`,
    assignee: `${EX}lab-ai`,
    context: {
      purpose,
      spatial,
      recipient: `${EX}ministry`,
      "lp:consentStatus": "dpv:ConsentGiven",
      "lp:minK": 5 + i,
      "lp:maxEpsilon": 0.5,
      "lp:releaseType": "lp:Model",
      "lp:ageBand": "lp:adult",
    },
  }),
]);

async function setUp(db: Database, now: number) {
  const audit = new AuditLog(db);
  const registry = new AgreementRegistry(db, audit);
  const keys: Record<string, Awaited<ReturnType<typeof generateParticipantKey>>> = {};
  for (const [id, role, iri] of [
    ["operator", "operator", `${EX}operator`],
    ["univ-lyon", "provider", `${EX}univ-lyon`],
    ["lab-ai", "consumer", `${EX}lab-ai`],
  ] as const) {
    await db.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", [
      id,
      id,
      new Date(now).toISOString(),
    ]);
    await registry.participants.register({ id, role, iri }, "bench");
    keys[id] = await generateParticipantKey();
    await registry.participants.addKey(id, keys[id]!.publicJwk, "bench");
  }
  const made = await registry.propose({
    proposedBy: "lab-ai",
    parties: [
      { participant: "operator", role: "operator" },
      { participant: "univ-lyon", role: "provider" },
      { participant: "lab-ai", role: "consumer" },
    ],
    policy: agreementPolicy(now),
    notBefore: new Date(now - DAY).toISOString(),
    notAfter: new Date(now + 365 * DAY).toISOString(),
  });
  for (const p of ["operator", "univ-lyon", "lab-ai"])
    await registry.sign(made.id, p, await signAgreement(made.canonical, keys[p]!.privateJwk, keys[p]!.kid));
  return { audit, registry, agreementId: made.id };
}

export async function benchEnforcement(
  options: {
    log?: (line: string) => void;
    decisions?: number;
    evaluations?: number;
    /** A SQLite file (durable, each commit an fsync: the default) or :memory: (the CPU cost alone). */
    storage?: "file" | "memory";
  } = {},
): Promise<EnforcementBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.decisions ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), "learnpool-bench-enforcement-"));
  const memory = options.storage === "memory";
  const db = await openDatabase(memory ? ":memory:" : join(dir, "enforcement.db"));
  try {
    const now = Date.now();
    const { audit, registry, agreementId } = await setUp(db, now);
    const enforcement = new PolicyEnforcement(db, audit, registry, registry.participants);
    // Warm up: the policy compiled and cached, the first duties opened, statements prepared.
    for (const [step, request] of REQUESTS)
      await enforcement.decide({ step, agreementId, actor: "lab-ai", request });

    let permits = 0;
    let started = performance.now();
    for (let i = 0; i < n; i++) {
      const [step, request] = REQUESTS[i % REQUESTS.length]!;
      const d = await enforcement.decide({ step, agreementId, actor: "lab-ai", request });
      if (d.decision === "Permit") permits++;
    }
    const sequentialMs = performance.now() - started;

    const inFlight = 16;
    started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) {
          const [step, request] = REQUESTS[next++ % REQUESTS.length]!;
          await enforcement.decide({ step, agreementId, actor: "lab-ai", request });
        }
      }),
    );
    const concurrentMs = performance.now() - started;

    // The engine alone on the same policy and requests, under the state a decision builds.
    const compiled = compilePolicy(await registry.policyOf(agreementId));
    const state = {
      dateTime: new Date(now).toISOString(),
      counts: { [`${EX}rules/train`]: 41 },
      since: { [`${EX}rules/train`]: new Date(now - DAY).toISOString() },
      duties: {},
    };
    const m = options.evaluations ?? 200_000;
    let sink = 0;
    started = performance.now();
    for (let i = 0; i < m; i++)
      sink += evaluate(compiled, REQUESTS[i % REQUESTS.length]![1], state).duties.length;
    const evalMs = performance.now() - started;

    // The floor: one audit event in its own durable transaction.
    const floorN = Math.min(n, 2_000);
    started = performance.now();
    for (let i = 0; i < floorN; i++)
      await db.transaction(
        (tx) =>
          audit.append({ actor: "bench", action: "bench.floor", subject: agreementId, details: { i } }, tx),
        { group: true },
      );
    const floorMs = performance.now() - started;

    const result: EnforcementBenchResult = {
      decisionsPerSecond: n / (sequentialMs / 1000),
      concurrentDecisionsPerSecond: n / (concurrentMs / 1000),
      evaluateOnlyPerSecond: m / (evalMs / 1000),
      floorAuditAppendsPerSecond: floorN / (floorMs / 1000),
      permits,
    };
    const f = (x: number) => Math.round(x).toLocaleString("en");
    log(
      `enforcement: decide() on SQLite ${memory ? ":memory:" : "file"} (status, counters, evaluation, count, audit event, one transaction): ` +
        `${f(result.decisionsPerSecond)} decisions/s one at a time, ${f(result.concurrentDecisionsPerSecond)}/s with ${inFlight} in flight ` +
        `(pure evaluation of the same requests ${f(result.evaluateOnlyPerSecond)}/s; floor, one audited transaction alone: ` +
        `${f(result.floorAuditAppendsPerSecond)}/s)`,
    );
    if (sink < 0) log("unreachable");
    return result;
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchEnforcement();
  await benchEnforcement({ storage: "memory" });
}
