/**
 * De-identification figures, each beside its floor measured in the same run on one core:
 * - statements/s (best of three passes, and the floor's likewise) through the de-identification rules (JSON.parse, `Deidentifier.run` in batches of
 *   1,000 with the keyed pseudonymizer, JSON.stringify) over the FUN-MOOC statements of ../shared (or
 *   generated video statements when absent), beside JSON.parse + JSON.stringify of the same lines;
 *   targets: at least 20,000/s and at least 40% of the floor;
 * - the same with the run's leak check (collecting the input's identifiers, searching the output),
 *   which every `learnpool deidentify` run pays, for information.
 * `benchDeidentify()` is what the main bench calls; run alone: `node dist/bench/privacy-deidentify.js
 * [--statements N]`.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";
import { Deidentifier } from "../src/privacy/deidentify.js";
import { localHmacPseudonymizer } from "../src/privacy/deidentify-keyed.js";
import { LeakCheck } from "../src/privacy/deidentify-leaks.js";
import { parseProfile } from "../src/privacy/profile.js";

export interface DeidentifyBenchOptions {
  /** Statements de-identified (default 200,000: the sample repeated). */
  statements?: number;
  /** The repository's root, where ../shared is looked for (default: found from this file). */
  root?: string;
  log?: (line: string) => void;
}

export interface DeidentifyBenchResult {
  source: string;
  statements: number;
  deidentifyPerSecond: number;
  floorPerSecond: number;
  /** deidentifyPerSecond / floorPerSecond. */
  ratio: number;
  withLeakCheckPerSecond: number;
}

const VIDEO = "https://w3id.org/xapi/video/extensions/";
const PROFILE = parseProfile({
  id: "bench-video",
  version: "1",
  domain: "https://pool.learnpool.example/domains/bench",
  agents: { authority: "drop" },
  extensions: {
    result: ["time", "time-from", "time-to", "length", "progress", "played-segments"].map((e) => VIDEO + e),
    context: [`${VIDEO}session-id`, `${VIDEO}length`, `${VIDEO}completion-threshold`],
    rekey: [`${VIDEO}session-id`],
  },
  freeText: { activities: "userGenerated" },
  timestamps: { shift: "keyed", maxDays: 30 },
});

/** One JSON line per statement: the FUN-MOOC sample, or generated video statements like it. */
function sample(root: string): { source: string; lines: string[] } {
  const file = `${root}/../shared/data/fun-mooc-xapi/statements.json.gz`;
  if (existsSync(file)) {
    const lines = gunzipSync(readFileSync(file))
      .toString("utf8")
      .split("\n")
      .filter((l) => l.trim() !== "");
    return { source: "FUN-MOOC statements (../shared)", lines };
  }
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    lines.push(
      JSON.stringify({
        id: `9dc99b37-e920-4a68-a066-${String(i).padStart(12, "0")}`,
        actor: {
          objectType: "Agent",
          account: { name: `learner-${i % 1500}`, homePage: "http://fun-mooc.fr" },
        },
        verb: { id: "https://w3id.org/xapi/video/verbs/played", display: { "en-US": "played" } },
        object: { id: "uuid://7d4f3c70-1e79-4243-9b7d-166076ce8bfb", objectType: "Activity" },
        result: { extensions: { [`${VIDEO}time`]: (i % 500) + 0.5 } },
        context: {
          extensions: {
            [`${VIDEO}session-id`]: `abb32c5b-ab8f-5f00-9718-${String(i % 900).padStart(12, "0")}`,
          },
          contextActivities: {
            parent: [{ id: "course-v1:FUN-MOOC+00002+session01", objectType: "Activity" }],
          },
        },
        timestamp: new Date(Date.UTC(2021, 10, 24) + i * 30_000).toISOString(),
      }),
    );
  }
  return { source: "generated video statements", lines };
}

export async function benchDeidentify(options: DeidentifyBenchOptions = {}): Promise<DeidentifyBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const root = options.root ?? new URL("../..", import.meta.url).pathname.replace(/\/dist\/?$/, "");
  const { source, lines } = sample(
    existsSync(`${root}/../shared`) ? root : new URL("..", import.meta.url).pathname,
  );
  const count = options.statements ?? 200_000;
  const key = Buffer.alloc(32, 3);

  // Floor: parse and serialize the same lines. Each figure is the best of three passes, the floor's
  // as the rules', so that a neighbour's burst on a shared machine does not decide the ratio.
  const floorPass = (): number => {
    const begin = performance.now();
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += JSON.stringify(JSON.parse(lines[i % lines.length]!)).length;
    if (bytes === 0) throw new Error("bench: no statements");
    return count / ((performance.now() - begin) / 1000);
  };

  const pass = async (withLeakCheck: boolean): Promise<number> => {
    const deidentifier = new Deidentifier(PROFILE, {
      pseudonymizer: localHmacPseudonymizer(key, PROFILE.domain),
      localKey: key,
    });
    const leaks = withLeakCheck ? new LeakCheck(deidentifier.scrubber) : undefined;
    const begin = performance.now();
    let out = 0;
    for (let at = 0; at < count; at += 1000) {
      const batch: unknown[] = [];
      for (let i = at; i < Math.min(count, at + 1000); i++) {
        const value = JSON.parse(lines[i % lines.length]!);
        leaks?.collect(value);
        batch.push(value);
      }
      const { statements } = await deidentifier.run(batch);
      for (const s of statements) {
        const text = JSON.stringify(s);
        out += text.length;
        if (leaks) leaks.search(JSON.parse(text), out);
      }
    }
    if (leaks && leaks.result().found > 0)
      throw new Error("bench: the leak check found identifiers in the output");
    return count / ((performance.now() - begin) / 1000);
  };
  await pass(false); // warm-up on the same data: the JIT, and the pseudonym cache as a long run has it
  let floorPerSecond = 0;
  let deidentifyPerSecond = 0;
  for (let round = 0; round < 3; round++) {
    floorPerSecond = Math.max(floorPerSecond, floorPass());
    deidentifyPerSecond = Math.max(deidentifyPerSecond, await pass(false));
  }
  const withLeakCheckPerSecond = await pass(true);
  const ratio = deidentifyPerSecond / floorPerSecond;
  log(
    `privacy: de-identification of ${count.toLocaleString("en")} ${source}: ` +
      `${Math.round(deidentifyPerSecond).toLocaleString("en")} statements/s ` +
      `(floor JSON.parse + JSON.stringify: ${Math.round(floorPerSecond).toLocaleString("en")}/s, ` +
      `${(ratio * 100).toFixed(0)}% of it; targets ≥ 20,000/s and ≥ 40%)`,
  );
  log(
    `privacy: with the leak check (collect input identifiers, search the output): ` +
      `${Math.round(withLeakCheckPerSecond).toLocaleString("en")} statements/s`,
  );
  return { source, statements: count, deidentifyPerSecond, floorPerSecond, ratio, withLeakCheckPerSecond };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { statements: { type: "string", default: "200000" } } });
  await benchDeidentify({ statements: Number(values.statements) });
}
