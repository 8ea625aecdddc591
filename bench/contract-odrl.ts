/**
 * ODRL policy evaluation: decisions per second on one core for a realistic pooling agreement (several
 * permissions with purpose, count, dateTime, spatial and Learnpool's profile terms; a prohibition;
 * duties and an obligation), the request arriving as JSON text each time (JSON.parse, request reading,
 * evaluation with its full report), beside the floor of JSON.parse of the same request alone.
 * The policy is compiled once, outside the timed loop. Target: ≥ 50,000 evaluations/s.
 * `benchOdrl()` is what the main bench may call; run alone: `node dist/bench/contract-odrl.js`.
 */
import { fileURLToPath } from "node:url";
import { compilePolicy, evaluate, parsePolicy, readRequest, type WorldState } from "../src/contract/index.js";

export interface OdrlBenchResult {
  evaluationsPerSecond: number;
  evaluateOnlyPerSecond: number;
  floorParsesPerSecond: number;
  permits: number;
}

const c = (uid: string, leftOperand: string, operator: string, rightOperand: unknown) => ({
  uid: `ex:c/${uid}`,
  leftOperand,
  operator,
  rightOperand,
});

export const POOLING_AGREEMENT = {
  "@context": [
    "http://www.w3.org/ns/odrl.jsonld",
    { dpv: "https://w3id.org/dpv#", lp: "https://w3id.org/learnpool/odrl/", ex: "https://example.org/" },
  ],
  "@type": "Agreement",
  uid: "ex:agreements/dropout-2026",
  profile: "https://w3id.org/learnpool/odrl/",
  assigner: "ex:univ-lyon",
  assignee: "ex:lab-ai",
  target: "ex:datasets/moodle-traces",
  permission: [
    {
      uid: "ex:rules/train",
      action: "derive",
      constraint: [
        c("purpose", "purpose", "isA", { "@id": "dpv:ResearchAndDevelopment" }),
        c("from", "dateTime", "gteq", { "@value": "2026-01-01T00:00:00Z", "@type": "xsd:dateTime" }),
        c("until", "dateTime", "lt", { "@value": "2027-06-30T00:00:00Z", "@type": "xsd:dateTime" }),
        c("where", "spatial", "isPartOf", { "@id": "lp:EEA" }),
        c("count", "count", "lteq", 1_000_000_000),
        c("consent", "lp:consentStatus", "eq", { "@id": "dpv:ConsentGiven" }),
        c("k", "lp:minK", "gteq", 5),
        c("eps", "lp:maxEpsilon", "lteq", 1.0),
      ],
      duty: [
        {
          uid: "ex:duties/delete",
          action: "delete",
          constraint: [
            c("deleteBy", "dateTime", "lteq", { "@value": "2027-12-31T00:00:00Z", "@type": "xsd:dateTime" }),
          ],
        },
        { uid: "ex:duties/anonymize", action: "anonymize" },
      ],
    },
    {
      uid: "ex:rules/release",
      action: "distribute",
      constraint: [
        c("release", "lp:releaseType", "isAnyOf", [{ "@id": "lp:Model" }, { "@id": "lp:Metrics" }]),
        c("age", "lp:ageBand", "isNoneOf", [{ "@id": "lp:under15" }]),
        c("recipient", "recipient", "isAnyOf", [{ "@id": "ex:lab-ai" }, { "@id": "ex:ministry" }]),
        {
          uid: "ex:c/either",
          or: [c("k2", "lp:minK", "gteq", 10), c("eps2", "lp:maxEpsilon", "lteq", 0.5)],
        },
      ],
    },
    {
      uid: "ex:rules/read",
      action: "read",
      constraint: [
        c("purpose-read", "purpose", "isAnyOf", [
          { "@id": "dpv:ProvideEducation" },
          { "@id": "dpv:AcademicResearch" },
        ]),
      ],
    },
  ],
  prohibition: [
    {
      uid: "ex:rules/no-marketing",
      action: "use",
      constraint: [c("marketing", "purpose", "isA", { "@id": "dpv:Marketing" })],
      remedy: [{ uid: "ex:remedies/delete", action: "delete" }],
    },
  ],
  obligation: [{ uid: "ex:duties/inform", action: "inform" }],
};

const REQUESTS = [
  { action: "derive", purpose: "dpv:AcademicResearch", spatial: "FR" },
  { action: "derive", purpose: "dpv:TrainAIModel", spatial: "DE" },
  { action: "derive", purpose: "dpv:PersonalisedAdvertising", spatial: "FR" },
  { action: "derive", purpose: "dpv:AcademicResearch", spatial: "US" },
  { action: "distribute", purpose: "dpv:AcademicResearch", spatial: "NO" },
  { action: "read", purpose: "dpv:ProvideEducation", spatial: "IT" },
].map((r, i) =>
  JSON.stringify({
    action: r.action,
    target: "https://example.org/datasets/moodle-traces",
    assignee: "https://example.org/lab-ai",
    context: {
      purpose: r.purpose,
      spatial: r.spatial,
      recipient: "https://example.org/ministry",
      "lp:consentStatus": "dpv:ConsentGiven",
      "lp:minK": 5 + i,
      "lp:maxEpsilon": 0.5,
      "lp:releaseType": "lp:Model",
      "lp:ageBand": "lp:adult",
    },
  }),
);

function best(rounds: number, run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

export async function benchOdrl(
  options: { log?: (line: string) => void; evaluations?: number } = {},
): Promise<OdrlBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.evaluations ?? 200_000;
  const compiled = compilePolicy(parsePolicy(JSON.stringify(POOLING_AGREEMENT)));
  const state: WorldState = {
    dateTime: "2026-11-27T10:00:00Z",
    counts: { "https://example.org/rules/train": 41 },
  };
  const parsed = REQUESTS.map((t) => readRequest(JSON.parse(t)));
  let permits = 0;
  let sink = 0;
  const fullMs = best(5, () => {
    permits = 0;
    for (let i = 0; i < n; i++) {
      const e = evaluate(compiled, readRequest(JSON.parse(REQUESTS[i % REQUESTS.length]!)), state);
      if (e.decision === "Permit") permits++;
    }
  });
  const evalMs = best(5, () => {
    for (let i = 0; i < n; i++) sink += evaluate(compiled, parsed[i % parsed.length]!, state).duties.length;
  });
  const floorMs = best(5, () => {
    for (let i = 0; i < n; i++)
      sink += (JSON.parse(REQUESTS[i % REQUESTS.length]!) as { action: string }).action.length;
  });
  const perSecond = (ms: number) => n / (ms / 1000);
  const result = {
    evaluationsPerSecond: perSecond(fullMs),
    evaluateOnlyPerSecond: perSecond(evalMs),
    floorParsesPerSecond: perSecond(floorMs),
    permits,
  };
  log(
    `odrl: pooling agreement (3 permissions, 1 prohibition, duties), request JSON → decision + report: ` +
      `${Math.round(result.evaluationsPerSecond).toLocaleString("en")} evaluations/s ` +
      `(evaluation alone ${Math.round(result.evaluateOnlyPerSecond).toLocaleString("en")}/s; ` +
      `floor, JSON.parse of the request alone: ${Math.round(result.floorParsesPerSecond).toLocaleString("en")}/s; target ≥ 50,000/s)`,
  );
  if (sink < 0) log("unreachable");
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchOdrl();
}
