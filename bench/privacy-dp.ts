/**
 * Differential-privacy figures, each beside a floor measured in the same run:
 * - exact discrete Laplace (ε = 1, Δ = 1; ε = 0.1, Δ = 10) and discrete Gaussian (ε = 1, δ = 1e-6,
 *   Δ₂ = 1) samples/s from the secure source, beside raw uniform draws/s of the same source (the floor:
 *   a sample needs several draws and BigInt steps);
 * - a bounded mean over 1,000,000 pooled rows of 100,000 learners (m = 5) beside a plain group-by of
 *   the same rows (the floor: bounding must group rows by learner);
 * - ledger charges/s on a SQLite file (decision, charge and audit event in one durable transaction).
 * `benchPrivacyDp()` is what the main bench calls; run alone: `node dist/bench/privacy-dp.js`.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  dpMean,
  gaussianMechanism,
  laplaceMechanism,
  PrivacyLedger,
  SecureRandom,
} from "../src/privacy/dp/index.js";
import { openDatabase } from "../src/store/index.js";

export interface PrivacyDpBenchResult {
  laplacePerSecond: number;
  laplaceWidePerSecond: number;
  gaussianPerSecond: number;
  uniformDrawsPerSecond: number;
  meanRowsPerSecond: number;
  groupByRowsPerSecond: number;
  ledgerChargesPerSecond: number;
}

function rate(n: number, run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function best(passes: number, measure: () => number): number {
  let top = 0;
  for (let i = 0; i < passes; i++) top = Math.max(top, measure());
  return top;
}

export async function benchPrivacyDp(
  options: { samples?: number; log?: (line: string) => void } = {},
): Promise<PrivacyDpBenchResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const n = options.samples ?? 200_000;
  const random = new SecureRandom();
  const laplace = laplaceMechanism(1, 1);
  const wide = laplaceMechanism(0.1, 10);
  const gaussian = gaussianMechanism(1, 1e-6, 1);
  let sink = 0n;
  const uniformDrawsPerSecond = best(3, () =>
    rate(n, () => {
      for (let i = 0; i < n; i++) sink += BigInt(random.belowSmall(1000) & 1);
    }),
  );
  const laplacePerSecond = best(3, () =>
    rate(n, () => {
      for (let i = 0; i < n; i++) sink += laplace.noise(random);
    }),
  );
  const laplaceWidePerSecond = best(3, () =>
    rate(n, () => {
      for (let i = 0; i < n; i++) sink += wide.noise(random);
    }),
  );
  const gaussianPerSecond = best(3, () =>
    rate(n, () => {
      for (let i = 0; i < n; i++) sink += gaussian.noise(random);
    }),
  );
  log(
    `dp discrete Laplace (ε=1, Δ=1): ${Math.round(laplacePerSecond)} samples/s (floor: ${Math.round(uniformDrawsPerSecond)} uniform draws/s)`,
  );
  log(`dp discrete Laplace (ε=0.1, Δ=10): ${Math.round(laplaceWidePerSecond)} samples/s`);
  log(
    `dp discrete Gaussian (ε=1, δ=1e-6, σ=${gaussian.scale.toFixed(2)}): ${Math.round(gaussianPerSecond)} samples/s`,
  );

  const rows: { learner: string; score: number }[] = [];
  for (let i = 0; i < 1_000_000; i++) rows.push({ learner: `p${i % 100_000}`, score: (i * 7919) % 101 });
  const groupByRowsPerSecond = best(3, () =>
    rate(rows.length, () => {
      const groups = new Map<string, number[]>();
      for (const r of rows) {
        const g = groups.get(r.learner);
        if (g) g.push(r.score);
        else groups.set(r.learner, [r.score]);
      }
      sink += BigInt(groups.size);
    }),
  );
  const meanRowsPerSecond = best(3, () =>
    rate(rows.length, () => {
      const release = dpMean(rows, {
        learnerOf: (r) => r.learner,
        valueOf: (r) => r.score,
        bounds: [0, 100],
        epsilon: 1,
        maxContributions: 5,
        random,
      });
      sink += BigInt(Math.round(release.value));
    }),
  );
  log(
    `dp bounded mean, 1M rows / 100k learners: ${Math.round(meanRowsPerSecond)} rows/s (floor: group-by ${Math.round(groupByRowsPerSecond)} rows/s)`,
  );

  const file = `/tmp/learnpool-bench-dp-${randomBytes(6).toString("hex")}.db`;
  const db = await openDatabase(file);
  let ledgerChargesPerSecond = 0;
  try {
    const ledger = new PrivacyLedger(db);
    await ledger.setBudget("bench", "lab", { epsilon: 1e6, delta: 0 }, "bench");
    const charges = 500;
    const start = process.hrtime.bigint();
    for (let i = 0; i < charges; i++)
      await ledger.spend(
        {
          dataset: "bench",
          consumer: "lab",
          epsilon: 0.01,
          delta: 0,
          statistic: "count",
          mechanism: "discrete-laplace",
          actor: "bench",
        },
        () => 1,
      );
    ledgerChargesPerSecond = charges / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    await db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  }
  log(
    `dp ledger: ${Math.round(ledgerChargesPerSecond)} charges/s (SQLite file, one durable transaction each, ${500} charges)`,
  );
  if (sink === -1n) log("");
  return {
    laplacePerSecond,
    laplaceWidePerSecond,
    gaussianPerSecond,
    uniformDrawsPerSecond,
    meanRowsPerSecond,
    groupByRowsPerSecond,
    ledgerChargesPerSecond,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchPrivacyDp();
  process.stdout.write(`${JSON.stringify({ privacyDp: result })}\n`);
}
