import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  assertRiskPassed,
  checkVersionRisk,
  loadHierarchy,
  RiskCheckError,
  RiskRefused,
  readHierarchy,
  UNKNOWN_VALUE,
  type VersionRiskInput,
} from "../../src/pool/build/risk.js";
import type { RiskThresholds } from "../../src/pool/prepare/index.js";
import { seededRandom } from "../../src/privacy/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "risk");
const ageBand = readHierarchy(FIXTURES, "age_band");
const region = loadHierarchy(join(FIXTURES, "hierarchy_region.csv"), "region");

type Row = Record<string, string | null>;

/** Learners p00, p01, … with the given attribute values. */
function learners(values: Omit<Row, "learner">[]): Row[] {
  return values.map((v, i) => ({ learner: `p${String(i).padStart(2, "0")}`, ...v }));
}

/** `count` learners alike. */
function many(count: number, v: Omit<Row, "learner">): Omit<Row, "learner">[] {
  return Array.from({ length: count }, () => ({ ...v }));
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const thresholds = (t: Partial<RiskThresholds>): RiskThresholds => ({
  minK: 3,
  maxAverageRisk: 0.5,
  action: "refuse",
  maxSuppressedFraction: 0,
  ...t,
});

/**
 * 12 learners on age band × region, built so that by hand (age levels: band, 18-34|35-54|55+, *;
 * region levels: region, Ouest|Est, *):
 * - as given, 11 classes (only 25-34 × Alsace holds two learners): k = 1;
 * - [band, area] gives four classes of 3: the only minimal node with k ≥ 3, since 18-24 has 2
 *   learners (age alone fails) and Lorraine has 2 (region alone fails), and [band, region] or
 *   [age, area] keep singletons.
 */
const GRID = learners([
  { age_band: "18-24", region: "Bretagne" },
  { age_band: "25-34", region: "Bretagne" },
  { age_band: "25-34", region: "Pays de la Loire" },
  { age_band: "18-24", region: "Alsace" },
  { age_band: "25-34", region: "Alsace" },
  { age_band: "25-34", region: "Alsace" },
  { age_band: "35-44", region: "Bretagne" },
  { age_band: "45-54", region: "Pays de la Loire" },
  { age_band: "35-44", region: "Pays de la Loire" },
  { age_band: "35-44", region: "Lorraine" },
  { age_band: "45-54", region: "Lorraine" },
  { age_band: "45-54", region: "Alsace" },
]);
const bothHierarchies = [
  { name: "age_band", hierarchy: ageBand },
  { name: "region", hierarchy: region },
];

describe("risk check: measure and refuse", () => {
  it("a table where some learners are alone in their class is refused with the exact figures", () => {
    const result = checkVersionRisk({
      learners: GRID,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ action: "refuse" }),
    });
    expect(result.passed).toBe(false);
    expect(result.applied).toBe("none");
    expect(result.before).toEqual({
      learners: 12,
      classes: 11,
      k: 1,
      averageRisk: 11 / 12,
      highestRisk: 1,
      learnersBelowMinK: 12,
      classesBelowMinK: 11,
      sampleUniqueness: 10 / 12,
      classSizes: [
        { size: 1, count: 10 },
        { size: 2, count: 1 },
      ],
    });
    expect(result.after).toEqual(result.before);
    expect(result.refused).toBe(
      "k = 1 (min_k 3), average risk 0.916667 (max_average_risk 0.5), 12 of 12 learners in 11 classes below min_k; the action is refuse",
    );
    expect(result.suppressedLearners).toEqual([]);
    expect(() => assertRiskPassed(result)).toThrow(RiskRefused);
    expect(() => assertRiskPassed(result)).toThrow(
      "risk check refused the dataset version: k = 1 (min_k 3), average risk 0.916667 (max_average_risk 0.5)",
    );
  });

  it("passes unchanged when the thresholds already hold", () => {
    const rows = learners([...many(5, { gender: "f" }), ...many(5, { gender: "m" })]);
    const result = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: [{ name: "gender" }],
      thresholds: thresholds({ minK: 5, maxAverageRisk: 0.2, action: "generalize" }),
    });
    expect(result.passed).toBe(true);
    expect(result.applied).toBe("none");
    expect(result.before.k).toBe(5);
    expect(result.before.averageRisk).toBe(0.2);
    expect(result.after).toEqual(result.before);
    expect(result.levels).toEqual({ gender: 0 });
    expect(result.recoded.size).toBe(0);
    expect(() => assertRiskPassed(result)).not.toThrow();
  });

  it("the average-risk threshold alone triggers the action (k holds)", () => {
    // Classes of 4, 4, 6, 6: k = 4 ≥ 3 but average risk 4/20 = 0.2 > 0.18.
    const rows = learners([
      ...many(4, { gender: "f", age_band: "18-24" }),
      ...many(4, { gender: "m", age_band: "18-24" }),
      ...many(6, { gender: "f", age_band: "25-34" }),
      ...many(6, { gender: "m", age_band: "25-34" }),
    ]);
    const qis = [{ name: "gender" }, { name: "age_band" }];
    const refused = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: qis,
      thresholds: thresholds({ maxAverageRisk: 0.18 }),
    });
    expect(refused.passed).toBe(false);
    expect(refused.before.k).toBe(4);
    expect(refused.before.learnersBelowMinK).toBe(0);
    expect(refused.refused).toContain("k = 4 (min_k 3), average risk 0.2 (max_average_risk 0.18)");
    // Suppressing the smallest classes: one 4 leaves 3/16 = 0.1875, both leave 2/12 ≈ 0.167.
    const suppressed = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: qis,
      thresholds: thresholds({ maxAverageRisk: 0.18, action: "suppress", maxSuppressedFraction: 0.4 }),
    });
    expect(suppressed.passed).toBe(true);
    expect(suppressed.applied).toBe("suppress");
    expect(suppressed.suppressedLearners).toEqual(["p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07"]);
    expect(suppressed.after).toMatchObject({ learners: 12, classes: 2, k: 6, averageRisk: 2 / 12 });
  });

  it("rejects bad input, naming the row but never the pseudonym", () => {
    const base: VersionRiskInput = {
      learners: learners([{ gender: "f" }]),
      quasiIdentifiers: [{ name: "gender" }],
      thresholds: thresholds({}),
    };
    const dup = [
      { learner: "secret-a", gender: "f" },
      { learner: "secret-b", gender: "m" },
      { learner: "secret-a", gender: "m" },
    ];
    expect(() => checkVersionRisk({ ...base, learners: dup })).toThrow(
      new RiskCheckError("learner rows 1 and 3 hold the same pseudonym"),
    );
    expect(() => checkVersionRisk({ ...base, learners: [{ gender: "f" }] })).toThrow(
      'learner row 1: no pseudonym in column "learner"',
    );
    const numeric = [{ learner: "a", gender: 3 as unknown as string }];
    expect(() => checkVersionRisk({ ...base, learners: numeric })).toThrow(
      "learner row 1, gender: a number, expected a string or null",
    );
    expect(() =>
      checkVersionRisk({ ...base, quasiIdentifiers: [{ name: "gender" }, { name: "gender" }] }),
    ).toThrow("quasi-identifier gender is declared twice");
    expect(() => checkVersionRisk({ ...base, thresholds: thresholds({ minK: 0 }) })).toThrow(
      "risk.min_k = 0 must be an integer ≥ 1",
    );
    expect(() => checkVersionRisk({ ...base, thresholds: thresholds({ maxAverageRisk: 0 }) })).toThrow(
      "risk.max_average_risk = 0 must be in (0, 1]",
    );
  });
});

describe("risk check: suppress", () => {
  // Classes of 8, 6 and 4 learners, and two learners alone: 2 of 20 below k = 3.
  const rows = learners([
    ...many(8, { gender: "f", age_band: "18-24" }),
    ...many(6, { gender: "m", age_band: "18-24" }),
    ...many(4, { gender: "f", age_band: "25-34" }),
    { gender: "m", age_band: "25-34" },
    { gender: "x", age_band: "18-24" },
  ]);
  const qis = [{ name: "gender" }, { name: "age_band" }];

  it("removes exactly the learners of the classes below min_k, and passes", () => {
    const result = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: qis,
      thresholds: thresholds({ action: "suppress", maxSuppressedFraction: 0.1 }),
    });
    expect(result.before).toMatchObject({ k: 1, classes: 5, learnersBelowMinK: 2, classesBelowMinK: 2 });
    expect(result.passed).toBe(true);
    expect(result.applied).toBe("suppress");
    expect(result.suppressedLearners).toEqual(["p18", "p19"]);
    expect(result.after).toEqual({
      learners: 18,
      classes: 3,
      k: 4,
      averageRisk: 3 / 18,
      highestRisk: 1 / 4,
      learnersBelowMinK: 0,
      classesBelowMinK: 0,
      sampleUniqueness: 0,
      classSizes: [
        { size: 4, count: 1 },
        { size: 6, count: 1 },
        { size: 8, count: 1 },
      ],
    });
    expect(result.levels).toEqual({ gender: 0, age_band: 0 });
    expect(result.report).toMatchObject({ suppressed: 2, suppressedFraction: 0.1, applied: "suppress" });
  });

  it("refuses when the suppressed fraction would exceed max_suppressed_fraction", () => {
    const result = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: qis,
      thresholds: thresholds({ action: "suppress", maxSuppressedFraction: 0.05 }),
    });
    expect(result.passed).toBe(false);
    expect(result.suppressedLearners).toEqual([]);
    expect(result.refused).toBe(
      "k = 1 (min_k 3), average risk 0.25 (max_average_risk 0.5), 2 of 20 learners in 2 classes below min_k; " +
        "suppression would remove 2 of 20 learners (10%), above max_suppressed_fraction 5%",
    );
  });

  it("takes the smallest classes first, ties broken by pseudonym whatever the rows' order", () => {
    // Four classes of 3 and one of 8: average 5/20 = 0.25 > 0.2; three of the 3s must go (2/11).
    const ties = learners([
      ...many(3, { gender: "f" }),
      ...many(3, { gender: "m" }),
      ...many(3, { gender: "x" }),
      ...many(3, { gender: "y" }),
      ...many(8, { gender: "z" }),
    ]);
    const run = (input: Row[]) =>
      checkVersionRisk({
        learners: input,
        quasiIdentifiers: [{ name: "gender" }],
        thresholds: thresholds({ maxAverageRisk: 0.2, action: "suppress", maxSuppressedFraction: 0.45 }),
      });
    const first = run(ties);
    expect(first.passed).toBe(true);
    // The classes met first in pseudonym order go first: f, m, x; y stays.
    expect(first.suppressedLearners).toEqual(["p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08"]);
    expect(first.after).toMatchObject({ learners: 11, classes: 2, k: 3, averageRisk: 2 / 11 });
    for (const seed of [1, 2, 3]) {
      const again = run(shuffled(ties, seed));
      expect(again.suppressedLearners).toEqual(first.suppressedLearners);
      expect(again.report).toEqual(first.report);
    }
  });
});

describe("risk check: generalize", () => {
  it("reaches the thresholds at [band, area], the levels of the hand computation", () => {
    const result = checkVersionRisk({
      learners: GRID,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ maxAverageRisk: 0.34, action: "generalize" }),
    });
    expect(result.passed).toBe(true);
    expect(result.applied).toBe("generalize");
    expect(result.levels).toEqual({ age_band: 1, region: 1 });
    expect(result.suppressedLearners).toEqual([]);
    expect(result.after).toMatchObject({ learners: 12, classes: 4, k: 3, averageRisk: 4 / 12 });
    expect(result.recoded.size).toBe(12);
    expect(result.recoded.get("p00")).toEqual({ age_band: "18-34", region: "Ouest" });
    expect(result.recoded.get("p03")).toEqual({ age_band: "18-34", region: "Est" });
    expect(result.recoded.get("p08")).toEqual({ age_band: "35-54", region: "Ouest" });
    expect(result.recoded.get("p11")).toEqual({ age_band: "35-54", region: "Est" });
    expect(result.report.search).toMatchObject({ metric: "loss", latticeSize: 9, optimal: true });
  });

  it("suppresses an outlier within the fraction rather than generalizing further", () => {
    // One learner aged 55-64 is alone at [band, area] (55+ × Ouest); without suppression the optimum
    // must drop the age ([*, area]: Ouest 7, Est 6); with one learner allowed, [band, area] holds.
    const rows = [...GRID, { learner: "p12", age_band: "55-64", region: "Bretagne" }];
    const strict = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ maxAverageRisk: 0.34, action: "generalize" }),
    });
    expect(strict.levels).toEqual({ age_band: 2, region: 1 });
    expect(strict.suppressedLearners).toEqual([]);
    expect(strict.after).toMatchObject({ k: 6, classes: 2 });
    expect(strict.recoded.get("p12")).toEqual({ age_band: "*", region: "Ouest" });
    const lenient = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ maxAverageRisk: 0.34, action: "generalize", maxSuppressedFraction: 0.1 }),
      metric: { name: "height" },
    });
    expect(lenient.levels).toEqual({ age_band: 1, region: 1 });
    expect(lenient.suppressedLearners).toEqual(["p12"]);
    expect(lenient.recoded.has("p12")).toBe(false);
    expect(lenient.after).toMatchObject({ learners: 12, k: 3, classes: 4 });
  });

  it("is deterministic: the same result whatever the rows' order", () => {
    const input = {
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ maxAverageRisk: 0.34, action: "generalize" as const }),
    };
    const first = checkVersionRisk({ ...input, learners: GRID });
    for (const seed of [4, 5]) {
      const again = checkVersionRisk({ ...input, learners: shuffled(GRID, seed) });
      expect(again.levels).toEqual(first.levels);
      expect([...again.recoded].sort()).toEqual([...first.recoded].sort());
      expect(again.report).toEqual(first.report);
    }
  });

  it("refuses when even the lattice's top does not pass", () => {
    const result = checkVersionRisk({
      learners: GRID,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ minK: 20, action: "generalize", maxSuppressedFraction: 0.1 }),
    });
    expect(result.passed).toBe(false);
    expect(result.recoded.size).toBe(0);
    expect(result.suppressedLearners).toEqual([]);
    expect(result.refused).toBe(
      "k = 1 (min_k 20), average risk 0.916667 (max_average_risk 0.5), 12 of 12 learners in 11 classes below min_k; " +
        "no generalization of age_band, region meets the thresholds with at most 10% of learners suppressed " +
        "(max_suppressed_fraction): at the most general levels (age_band 2, region 2) 12 of 12 learners (100%) " +
        "would be suppressed, leaving no learner",
    );
    expect(result.report.search?.evaluated).toBeGreaterThan(0);
  });

  it("refuses, naming the attribute, when a quasi-identifier has no hierarchy", () => {
    const result = checkVersionRisk({
      learners: GRID,
      quasiIdentifiers: [{ name: "age_band", hierarchy: ageBand }, { name: "region" }],
      thresholds: thresholds({ action: "generalize" }),
    });
    expect(result.passed).toBe(false);
    expect(result.refused).toContain(
      "generalization needs a hierarchy for every quasi-identifier, none was given for region",
    );
  });
});

describe("risk check: hierarchies", () => {
  it("a hierarchy without a row for a value of the data is an error naming the attribute", () => {
    const rows = [...GRID, { learner: "p12", age_band: "65-74", region: "Bretagne" }];
    expect(() =>
      checkVersionRisk({
        learners: rows,
        quasiIdentifiers: bothHierarchies,
        thresholds: thresholds({ action: "generalize" }),
      }),
    ).toThrow('the hierarchy of age_band has no row for 1 value(s) of the data: "65-74"');
  });

  it("loadHierarchy names the file it cannot read", () => {
    expect(() => loadHierarchy(join(FIXTURES, "hierarchy_none.csv"), "none")).toThrow(
      /hierarchy of none, .*hierarchy_none\.csv: ENOENT/,
    );
  });
});

describe("risk check: null values and no quasi-identifier", () => {
  it("null and missing values form one value, unknown, in measures and in generalization", () => {
    const rows = learners([
      ...many(3, { age_band: "18-24", region: "Bretagne" }),
      ...many(3, { age_band: "25-34", region: "Alsace" }),
      { age_band: null, region: "Bretagne" },
      { region: "Bretagne" },
      { age_band: null, region: "Pays de la Loire" },
    ]);
    const measured = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({}),
    });
    // unknown × Bretagne holds p06 and p07 (null and missing alike), unknown × Pays de la Loire p08.
    expect(measured.before).toMatchObject({
      classes: 4,
      k: 1,
      classSizes: [
        { size: 1, count: 1 },
        { size: 2, count: 1 },
        { size: 3, count: 2 },
      ],
    });
    expect(measured.report.unknownValue).toBe(UNKNOWN_VALUE);
    // The hierarchy has no row for unknown: it gets one, unknown up to the top value `*`.
    const generalized = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ action: "generalize" }),
    });
    expect(generalized.passed).toBe(true);
    expect(generalized.levels).toEqual({ age_band: 0, region: 1 });
    expect(generalized.recoded.get("p08")).toEqual({ age_band: "unknown", region: "Ouest" });
    expect(generalized.after).toMatchObject({ k: 3, classes: 3 });
  });

  it("with no quasi-identifier, every learner is one class: k = learners, and the report says so", () => {
    const rows = learners(many(10, {}));
    const result = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: [],
      thresholds: thresholds({ minK: 5, maxAverageRisk: 0.2 }),
    });
    expect(result.passed).toBe(true);
    expect(result.before).toMatchObject({ learners: 10, classes: 1, k: 10, averageRisk: 0.1 });
    expect(result.levels).toEqual({});
    expect(result.report.quasiIdentifiers).toEqual([]);
    expect(result.report.scope).toContain("no quasi-identifier was declared");
    expect(result.report.scope).toContain("attributes not declared is not measured");
    // Too few learners to hide in even the one class: the thresholds still apply.
    const few = checkVersionRisk({
      learners: learners(many(3, {})),
      quasiIdentifiers: [],
      thresholds: thresholds({ minK: 5 }),
    });
    expect(few.passed).toBe(false);
    expect(few.refused).toContain("k = 3 (min_k 5)");
  });
});

describe("risk check: report and chart", () => {
  it("the report is JSON with the figures, thresholds and counts, and never a pseudonym", () => {
    const rows = GRID.map((r) => ({ ...r, learner: `secret-${r.learner}` }));
    const result = checkVersionRisk({
      learners: rows,
      quasiIdentifiers: bothHierarchies,
      thresholds: thresholds({ maxAverageRisk: 0.34, action: "generalize", maxSuppressedFraction: 0.1 }),
      populationFraction: 0.1,
    });
    const json = JSON.stringify(result.report);
    expect(json).not.toContain("secret-");
    expect(JSON.parse(json)).toMatchObject({
      format: "learnpool-version-risk/1",
      thresholds: { minK: 3, maxAverageRisk: 0.34, action: "generalize", maxSuppressedFraction: 0.1 },
      passed: true,
      applied: "generalize",
      levels: { age_band: 1, region: 1 },
      suppressed: 0,
      before: { k: 1, classes: 11 },
      after: { k: 3, classes: 4 },
    });
    expect(result.before.populationUniqueness?.samplingFraction).toBeCloseTo(0.1, 6);
    expect(result.chart.text).toContain("Records by equivalence-class size");
    // Before: 10 of 12 learners in classes of one; after: none.
    expect(result.chart.text).toContain("83.33%");
    expect(result.chart.svg.startsWith("<svg")).toBe(true);
  });
});
