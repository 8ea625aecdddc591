import { describe, expect, it } from "vitest";
import { type ColdStartInput, coldStartMarkdown, coldStartStudy } from "../../src/train/cold-start.js";
import { TrainError } from "../../src/train/errors.js";
import { gaussian, seededRandom } from "../../src/train/random.js";

const WEIGHTS = [1.0, -0.8, 0.6, -0.5, 0.4, 0.3, -0.3, 0.2];

interface Group {
  readonly provider: string;
  readonly train: number;
  readonly test: number;
  /** Forces every label (a provider whose test learners all pass, say). */
  readonly label?: 0 | 1;
}

/** Learners of several providers drawn from one shared model: pooling can only add information. */
function providersTable(groups: readonly Group[], seed: number): ColdStartInput {
  const random = seededRandom(seed);
  const rows = groups.reduce((n, g) => n + g.train + g.test, 0);
  const columns = WEIGHTS.map(() => new Float64Array(rows));
  const labels = new Uint8Array(rows);
  const providers: string[] = [];
  const splits: string[] = [];
  let i = 0;
  for (const g of groups) {
    for (let k = 0; k < g.train + g.test; k++, i++) {
      let logit = -0.3;
      WEIGHTS.forEach((w, j) => {
        columns[j]![i] = gaussian(random);
        logit += w * columns[j]![i]!;
      });
      labels[i] = g.label ?? (random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0);
      providers.push(g.provider);
      splits.push(k < g.train ? "train" : "test");
    }
  }
  const names = WEIGHTS.map((_, j) => `x${j}`);
  return { table: { names, columns, rows }, labels, providers, splits };
}

describe("cold-start study", () => {
  const input = providersTable(
    [
      { provider: "big", train: 3000, test: 600 },
      { provider: "small", train: 24, test: 400 },
      { provider: "tiny", train: 5, test: 100 },
      { provider: "all-pass", train: 100, test: 40, label: 1 },
    ],
    7,
  );

  it("pooling helps a small provider: positive gain with an interval above zero; a large one gains little", () => {
    const study = coldStartStudy(input, { model: { kind: "logistic" }, resamples: 300 });
    const small = study.rows.find((r) => r.provider === "small")!;
    expect(small).toMatchObject({ n_train_own: 24, n_train_pool: 3129, n_test: 400 });
    expect(small.gain).toBeCloseTo(small.auc_pool - small.auc_own, 12);
    expect(small.gain).toBeGreaterThan(0.02);
    expect(small.gain_low!).toBeGreaterThan(0);
    expect(small.gain_high!).toBeGreaterThan(small.gain);
    expect(coldStartMarkdown(study)).toContain(
      `| ${(small.gain_low! >= 0 ? "+" : "") + small.gain_low!.toFixed(3)} to +${small.gain_high!.toFixed(3)} |`,
    );
    const big = study.rows.find((r) => r.provider === "big")!;
    expect(Math.abs(big.gain)).toBeLessThan(0.01);
    expect(big.gain_low!).toBeLessThan(big.gain);
    expect(study.svg).toContain("<svg");
    expect(study.svg).toContain("small");
  });

  it("skips providers with too few learners or one class, saying why", () => {
    const study = coldStartStudy(input, { model: { kind: "logistic" }, resamples: 0 });
    expect(study.rows.map((r) => r.provider)).toEqual(["big", "small"]);
    expect(study.skipped).toEqual([
      { provider: "tiny", n_train_own: 5, n_test: 100, reason: "5 own train learners, fewer than 20" },
      {
        provider: "all-pass",
        n_train_own: 100,
        n_test: 40,
        reason: "own train learners have one class only (100 positives)",
      },
    ]);
    expect(study.rows[0]!.gain_low).toBeNull();
    const markdown = coldStartMarkdown(study).split("\n");
    expect(markdown[0]).toBe(
      "| provider | train (own) | train (pool) | test | AUC own | AUC pool | gain | 95 % interval |",
    );
    expect(markdown[3]).toMatch(
      /^\| small \| 24 \| 3129 \| 400 \| 0\.\d{3} \| 0\.\d{3} \| \+0\.\d{3} \| — \|$/,
    );
    expect(markdown.at(-1)).toBe("Skipped all-pass: own train learners have one class only (100 positives).");
    const oneClassTest = providersTable(
      [
        { provider: "big", train: 400, test: 100 },
        { provider: "p", train: 60, test: 30 },
      ],
      3,
    );
    // Make p's test learners all negative, keeping its train learners mixed.
    oneClassTest.providers.forEach((p, i) => {
      if (p === "p" && oneClassTest.splits[i] === "test") (oneClassTest.labels as Uint8Array)[i] = 0;
    });
    const skipped = coldStartStudy(oneClassTest, { model: { kind: "logistic" }, minTest: 10 }).skipped;
    expect(skipped).toEqual([
      {
        provider: "p",
        n_train_own: 60,
        n_test: 30,
        reason: "test learners have one class only (0 positives): no AUC",
      },
    ]);
    const fewTest = coldStartStudy(oneClassTest, { model: { kind: "logistic" }, minTest: 31, only: ["p"] });
    expect(fewTest.skipped[0]!.reason).toBe("30 test learners, fewer than 31");
    expect(fewTest.svg).toBeNull();
  });

  it("is deterministic under its seed, and the seed moves only the interval", () => {
    const options = {
      model: { kind: "gbdt" as const, params: { trees: 30, maxDepth: 3, seed: 4 } },
      resamples: 200,
    };
    const a = coldStartStudy(input, { ...options, seed: 11 });
    const b = coldStartStudy(input, { ...options, seed: 11 });
    const c = coldStartStudy(input, { ...options, seed: 12 });
    expect(b).toEqual(a);
    expect(a.model).toBe("gbdt");
    expect(c.rows.map((r) => r.gain)).toEqual(a.rows.map((r) => r.gain));
    expect(c.rows.map((r) => r.gain_low)).not.toEqual(a.rows.map((r) => r.gain_low));
    // Studying one provider alone leaves its interval as it was.
    const alone = coldStartStudy(input, { ...options, seed: 11, only: ["small"] });
    expect(alone.rows).toEqual(a.rows.filter((r) => r.provider === "small"));
  });

  it("leaves out rows of other splits and checks its input", () => {
    const withValidation = {
      ...input,
      splits: input.splits.map((s, i) => (i % 10 === 0 ? "validation" : s)),
    };
    const study = coldStartStudy(withValidation, {
      model: { kind: "logistic" },
      resamples: 0,
      only: ["big"],
    });
    expect(study.rows[0]!.n_train_own + study.rows[0]!.n_test).toBe(3600 - 360);
    expect(() =>
      coldStartStudy({ ...input, providers: input.providers.slice(1) }, { model: { kind: "logistic" } }),
    ).toThrow(`cold-start providers: ${input.table.rows - 1} for ${input.table.rows} rows`);
    expect(() => coldStartStudy(input, { model: { kind: "forest" } as never })).toThrow(/model.kind/);
    expect(() => coldStartStudy(input, { model: { kind: "logistic" }, level: 1 })).toThrow(TrainError);
    expect(() => coldStartStudy(input, { model: { kind: "logistic" }, only: ["nobody"] })).toThrow(
      'cold-start only: provider "nobody" has no row',
    );
    const blank = [...input.providers];
    blank[3] = "";
    expect(() => coldStartStudy({ ...input, providers: blank }, { model: { kind: "logistic" } })).toThrow(
      "cold-start providers: row 3 is empty",
    );
  });
});
