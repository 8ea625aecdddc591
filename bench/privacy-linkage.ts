/**
 * Fuzzy linkage figures, each beside a floor measured in the same run:
 * - CLK comparisons/s: the Dice coefficient of every pair of two sets of CLKs (the scoring loop of
 *   `scorePairs`, histogram and threshold included), beside the plain loop that only sums the popcount of
 *   A AND B over the same arrays — the least any comparison can cost (target: ≥ 5 million/s);
 * - end-to-end linkage of a generated two-provider population (LSH blocking, scoring, greedy solving):
 *   seconds, candidate pairs, cross-product pairs resolved per second, precision and recall;
 * - CLK encoding (normalization + clkhash v3 blakeHash) in records/s, beside HMAC-SHA256 of the same
 *   number of tokens.
 * `benchPrivacyLinkage()` is what the main bench calls; run alone: `node dist/bench/privacy-linkage.js
 * [--size N]`.
 */
import { createHmac } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ClkEncoder, parseLinkageSchema, tokenize } from "../src/privacy/clk.js";
import { learnerLinkageSchema, prepareRecord } from "../src/privacy/clk-learners.js";
import { blocker, ClkSet, link, scorePairs } from "../src/privacy/linkage.js";
import { syntheticLinkage } from "../src/privacy/linkage-synthetic.js";

export interface LinkageBenchOptions {
  /** Learners per provider (default 4,000: 16 million pairs in the cross product). */
  size?: number;
  log?: (line: string) => void;
}

export interface LinkageBenchResult {
  comparisonsPerSecond: number;
  floorComparisonsPerSecond: number;
  linkage: {
    records: number;
    seconds: number;
    candidatePairs: number;
    crossProductPairsPerSecond: number;
    precision: number;
    recall: number;
    blockingRecall: number;
  };
  encodePerSecond: number;
  floorTokensPerSecond: number;
  tokensPerRecord: number;
}

/** The best of `rounds` timings of `run`, in seconds. */
function best(rounds: number, run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    run();
    fastest = Math.min(fastest, (performance.now() - started) / 1000);
  }
  return fastest;
}

const POP16 = (() => {
  const table = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) table[i] = (i & 1) + table[i >>> 1]!;
  return table;
})();

/** The floor: popcount(A AND B) summed over every pair, nothing else (same table, inlined). */
function popcountFloor(a: ClkSet, b: ClkSet): number {
  const w = a.words;
  const A = a.data;
  const B = b.data;
  let sum = 0;
  for (let i = 0; i < a.size; i++) {
    const ao = i * w;
    for (let j = 0; j < b.size; j++) {
      let inter = 0;
      for (let k = 0, bo = j * w; k < w; k++) {
        const x = A[ao + k]! & B[bo + k]!;
        inter += POP16[x & 0xffff]! + POP16[x >>> 16]!;
      }
      sum += inter;
    }
  }
  return sum;
}

export async function benchPrivacyLinkage(options: LinkageBenchOptions = {}): Promise<LinkageBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const size = options.size ?? 4000;
  const schema = parseLinkageSchema(learnerLinkageSchema({ salt: "YmVuY2g=" }));
  const encoder = new ClkEncoder(schema, Buffer.from("the bench's shared linkage secret"));
  const population = syntheticLinkage({ size, seed: 11 });

  // Encoding, beside HMAC-SHA256 of as many tokens (one keyed hash per token: the least a CLK costs).
  const rows = [...population.a, ...population.b].map((l) => ({ ...l }));
  const clks: Uint8Array[] = [];
  const encodeSeconds = best(1, () => {
    for (let k = 0; k < rows.length; k++) clks.push(encoder.encode(prepareRecord(schema, rows[k]!, k + 1)));
  });
  const tokens: string[] = [];
  for (const row of rows) {
    const values = prepareRecord(schema, row);
    schema.features.forEach((f, i) => {
      if (!f.ignored) tokens.push(...tokenize(f.comparison, values[i]!));
    });
  }
  const key = Buffer.alloc(64, 1);
  const floorSeconds = best(1, () => {
    for (const t of tokens) createHmac("sha256", key).update(t).digest();
  });
  const encodePerSecond = rows.length / encodeSeconds;
  const floorTokensPerSecond = tokens.length / floorSeconds;
  const tokensPerRecord = tokens.length / rows.length;
  log(
    `privacy: CLK encoding ${Math.round(encodePerSecond).toLocaleString()} records/s ` +
      `(${tokensPerRecord.toFixed(1)} tokens each, blakeHash); floor HMAC-SHA256 of the same tokens ` +
      `${Math.round(floorTokensPerSecond / tokensPerRecord).toLocaleString()} records/s`,
  );

  const a = ClkSet.of(
    population.a.map((l) => l.id),
    clks.slice(0, population.a.length),
    schema.l,
  );
  const b = ClkSet.of(
    population.b.map((l) => l.id),
    clks.slice(population.a.length),
    schema.l,
  );
  const pairs = a.size * b.size;
  const all = blocker(a, b, { method: "none" });
  let checksum = 0; // keeps the loops' results alive
  const scoreSeconds = best(3, () => {
    checksum += scorePairs(a, b, 0.8, all).pairs.length;
  });
  const floorPairSeconds = best(3, () => {
    checksum += popcountFloor(a, b);
  });
  const comparisonsPerSecond = pairs / scoreSeconds;
  const floorComparisonsPerSecond = pairs / floorPairSeconds;
  log(
    `privacy: CLK comparisons (Dice, ${schema.l} bits) ${(comparisonsPerSecond / 1e6).toFixed(1)} million/s over ` +
      `${(pairs / 1e6).toFixed(0)} million pairs (target ≥ 5 million/s); floor popcount(A AND B) ` +
      `${(floorComparisonsPerSecond / 1e6).toFixed(1)} million/s (Dice at ` +
      `${((comparisonsPerSecond / floorComparisonsPerSecond) * 100).toFixed(0)}% of the floor)`,
  );

  link(a, b, { truth: population.truth }); // warm-up
  const { report } = link(a, b, { truth: population.truth });
  const q = report.quality!;
  const linkage = {
    records: a.size + b.size,
    seconds: report.timing.seconds,
    candidatePairs: report.candidatePairs,
    crossProductPairsPerSecond: pairs / report.timing.seconds,
    precision: q.precision,
    recall: q.recall,
    blockingRecall: q.blockingRecall,
  };
  log(
    `privacy: linkage of ${a.size.toLocaleString()} × ${b.size.toLocaleString()} learners in ` +
      `${linkage.seconds.toFixed(3)} s (LSH blocking: ${report.candidatePairs.toLocaleString()} candidate pairs, ` +
      `${(100 * report.reductionRatio).toFixed(1)}% of the cross product avoided, ` +
      `${(linkage.crossProductPairsPerSecond / 1e6).toFixed(0)} million pairs resolved/s); precision ` +
      `${q.precision.toFixed(4)}, recall ${q.recall.toFixed(4)}, blocking kept ${(100 * q.blockingRecall).toFixed(2)}% ` +
      `of the true pairs`,
  );
  if (checksum < 0) log("unreachable");
  return {
    comparisonsPerSecond,
    floorComparisonsPerSecond,
    linkage,
    encodePerSecond,
    floorTokensPerSecond,
    tokensPerRecord,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { size: { type: "string", default: "4000" } } });
  await benchPrivacyLinkage({ size: Number(values.size) });
}
