/**
 * The Lightning heuristic (heuristic.ts) against the optimal search: the same optimum with an unlimited
 * budget, an anonymous node (or none) with any budget, and ARX's Adult optimum within 5% by default.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lightningSearch } from "../../src/privacy/anonymize/heuristic.js";
import {
  createMetric,
  type EncodedDataset,
  Evaluator,
  encodeDataset,
  intervalHierarchy,
  type MetricOptions,
  maskingHierarchy,
  orderedHierarchy,
  type PrivacyModels,
  parseTable,
  readHierarchy,
  search,
} from "../../src/privacy/anonymize/index.js";
import { seededRandom } from "../../src/privacy/seeded.js";

const fixtures = join(import.meta.dirname, "fixtures/anonymize");
const people = parseTable(readFileSync(join(fixtures, "people.csv"), "utf8"));
const peopleData = (sensitive?: string) =>
  encodeDataset(people, { quasiIdentifiers: ["age", "zip", "sex"], sensitive, identifying: ["name"] }, (a) =>
    a === sensitive ? undefined : readHierarchy(fixtures, a),
  );

// A generated table of 300 rows and 5 quasi-identifiers (a lattice of 5·6·2·3·4 = 720 nodes).
function syntheticData(sensitive?: string): EncodedDataset {
  const random = seededRandom(5);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const rows: string[][] = [];
  for (let i = 0; i < 300; i++) {
    rows.push([
      String(18 + Math.floor(random() * random() * 60)),
      `750${pick(["1", "1", "2", "3"])}${Math.floor(random() * 10)}`,
      pick(["F", "M"]),
      pick(["none", "school", "school", "bachelor", "master", "phd"]),
      String(pick([0, 0, 0, 1, 1, 2, 3, 5])),
      pick(["flu", "cold", "asthma", "cancer", "none", "none"]),
    ]);
  }
  const table = { header: ["age", "zip", "sex", "education", "attempts", "disease"], rows };
  const column = (a: string) => rows.map((r) => r[table.header.indexOf(a)]!);
  const qis = ["age", "zip", "sex", "education", "attempts"];
  return encodeDataset(table, { quasiIdentifiers: qis, sensitive }, (a) => {
    if (a === "age") return intervalHierarchy(a, column(a), [5, 10, 20]);
    if (a === "zip") return maskingHierarchy(a, column(a), 4);
    if (a === "sex") return orderedHierarchy(a, column(a), []);
    if (a === "education") return orderedHierarchy(a, column(a), [2]);
    if (a === "attempts") return intervalHierarchy(a, column(a), [2, 4]);
    return undefined;
  });
}

const unlimited = { heuristic: true, maxSteps: 1e9, maxMs: 1e9 };
const metricCases: MetricOptions[] = [
  { name: "loss" },
  { name: "entropy" },
  { name: "entropy", monotonic: true },
  { name: "discernibility" },
  { name: "discernibility", monotonic: true },
  { name: "precision" },
  { name: "precision", monotonic: true },
  { name: "aecs" },
  { name: "height" },
];
const label = (m: MetricOptions) => `${m.name}${m.monotonic ? " (monotonic)" : ""}`;

interface Case {
  name: string;
  data: () => EncodedDataset;
  models: PrivacyModels;
}
const cases: Case[] = [
  { name: "people k=2 0%", data: () => peopleData(), models: { k: 2, suppressionLimit: 0 } },
  { name: "people k=3 25%", data: () => peopleData(), models: { k: 3, suppressionLimit: 0.25 } },
  {
    name: "people distinct 2-diversity 10%",
    data: () => peopleData("disease"),
    models: { l: { l: 2, variant: "distinct" }, suppressionLimit: 0.1 },
  },
  { name: "synthetic k=5 4%", data: () => syntheticData(), models: { k: 5, suppressionLimit: 0.04 } },
  { name: "synthetic k=3 0%", data: () => syntheticData(), models: { k: 3, suppressionLimit: 0 } },
  {
    name: "synthetic k=2 entropy 2-diversity 5%",
    data: () => syntheticData("disease"),
    models: { k: 2, l: { l: 2, variant: "entropy" }, suppressionLimit: 0.05 },
  },
  {
    name: "synthetic equal 0.3-closeness 10%",
    data: () => syntheticData("disease"),
    models: { t: { t: 0.3, distance: "equal" }, suppressionLimit: 0.1 },
  },
  {
    name: "synthetic average risk 0.2 10%",
    data: () => syntheticData(),
    models: { maxAverageRisk: 0.2, suppressionLimit: 0.1 },
  },
];

/** The node found must be anonymous on a fresh evaluation, with the score reported. */
function expectAnonymous(data: EncodedDataset, models: PrivacyModels, m: MetricOptions, levels: number[]) {
  const e = new Evaluator(data, models).evaluate(levels);
  expect(e.anonymous).toBe(true);
  return createMetric(data, m).score(e);
}

describe("Lightning with an unlimited budget", () => {
  for (const c of cases) {
    it(`finds the optimal search's optimum: ${c.name}, every metric`, () => {
      const data = c.data();
      for (const m of metricCases) {
        const metric = createMetric(data, m);
        const optimum = search(new Evaluator(data, c.models), metric);
        const found = search(new Evaluator(data, c.models), metric, unlimited);
        expect(found.algorithm).toBe("heuristic");
        expect(found.optimal, label(m)).toBe(true);
        expect(found.stoppedBy).toBeUndefined();
        expect(found.score, label(m)).toBe(optimum.score);
        if (found.levels) expect(expectAnonymous(data, c.models, m, found.levels)).toBe(found.score);
        else expect(optimum.levels).toBeUndefined();
      }
    });
  }
  it("finds it with every climb (stepping 1) and with none (pure best-first)", () => {
    const data = syntheticData();
    const models = { k: 5, suppressionLimit: 0.04 };
    for (const m of [{ name: "loss" }, { name: "entropy" }] as MetricOptions[]) {
      const metric = createMetric(data, m);
      const optimum = search(new Evaluator(data, models), metric);
      for (const stepping of [1, 2, 1e9]) {
        const found = search(new Evaluator(data, models), metric, { ...unlimited, stepping });
        expect(found.score, `${label(m)} stepping ${stepping}`).toBe(optimum.score);
        expect(found.optimal).toBe(true);
      }
    }
  });
  it("prunes by the lower bound: fewer checks than nodes when the bound is the score", () => {
    const data = syntheticData();
    const models = { k: 5, suppressionLimit: 0.04 };
    const found = search(new Evaluator(data, models), createMetric(data, { name: "height" }), unlimited);
    expect(found.latticeSize).toBe(720);
    expect(found.pruned).toBeGreaterThan(0);
    expect(found.evaluated).toBeLessThan(720);
  });
  it("reports a lattice without any anonymous node as covered and empty", () => {
    const data = peopleData();
    const models = { k: 13, suppressionLimit: 0 };
    const found = search(new Evaluator(data, models), createMetric(data, { name: "loss" }), unlimited);
    expect(found.levels).toBeUndefined();
    expect(found.optimal).toBe(true);
    expect(found.evaluated).toBe(32);
  });
});

describe("Lightning within a budget", () => {
  it("never returns a non-anonymous node, whatever the step limit", () => {
    for (const c of cases) {
      const data = c.data();
      for (const m of [
        { name: "loss" },
        { name: "entropy" },
        { name: "discernibility" },
      ] as MetricOptions[]) {
        const metric = createMetric(data, m);
        const optimum = search(new Evaluator(data, c.models), metric);
        for (const maxSteps of [1, 2, 3, 5, 8, 13, 21, 34]) {
          const found = search(new Evaluator(data, c.models), metric, { heuristic: true, maxSteps });
          const where = `${c.name} ${label(m)} maxSteps ${maxSteps}`;
          expect(found.evaluated, where).toBeLessThanOrEqual(maxSteps);
          if (found.stoppedBy) expect(found.optimal, where).toBe(false);
          if (found.levels) {
            expect(expectAnonymous(data, c.models, m, found.levels), where).toBe(found.score);
            expect(found.score!, where).toBeGreaterThanOrEqual(optimum.score!);
          }
        }
      }
    }
  });
  it("returns no node when none is anonymous, and the bottom alone with one step", () => {
    const data = peopleData();
    const metric = createMetric(data, { name: "loss" });
    const none = search(new Evaluator(data, { k: 13, suppressionLimit: 0 }), metric, {
      heuristic: true,
      maxSteps: 3,
    });
    expect(none.levels).toBeUndefined();
    expect(none.optimal).toBe(false);
    expect(none.stoppedBy).toBe("steps");
    const bottom = search(new Evaluator(data, { k: 1, suppressionLimit: 0 }), metric, {
      heuristic: true,
      maxSteps: 1,
    });
    expect(bottom.levels).toEqual([0, 0, 0]);
    expect(bottom.evaluated).toBe(1);
  });
  it("a greedy climb reaches an anonymous node within dims × top level checks", () => {
    const data = syntheticData();
    const models = { k: 5, suppressionLimit: 0 };
    const metric = createMetric(data, { name: "loss" });
    const dims = data.qis.length;
    const top = data.qis.reduce((a, q) => a + q.depth - 1, 0);
    const found = lightningSearch(new Evaluator(data, models), metric, {
      stepping: 1,
      maxSteps: 1 + dims * top,
    });
    expect(found.levels).toBeDefined();
    expectAnonymous(data, models, { name: "loss" }, found.levels!);
  });
  it("stops on time", () => {
    const data = syntheticData();
    const models = { k: 5, suppressionLimit: 0.04 };
    let t = 0;
    const found = search(new Evaluator(data, models), createMetric(data, { name: "loss" }), {
      heuristic: true,
      maxMs: 20,
      clock: () => t++,
    });
    expect(found.stoppedBy).toBe("time");
    expect(found.optimal).toBe(false);
    expect(found.evaluated).toBeLessThan(30);
    if (found.levels) expectAnonymous(data, models, { name: "loss" }, found.levels);
  });
  it("rejects budgets that are not positive", () => {
    const data = peopleData();
    const ev = new Evaluator(data, { k: 2, suppressionLimit: 0 });
    const metric = createMetric(data, { name: "loss" });
    expect(() => lightningSearch(ev, metric, { maxSteps: 0 })).toThrow(/step limit 0/);
    expect(() => lightningSearch(ev, metric, { maxMs: -1 })).toThrow(/time limit -1 ms/);
    expect(() => lightningSearch(ev, metric, { stepping: 0.5 })).toThrow(/stepping 0.5/);
  });
});

const adultDir = join(import.meta.dirname, "../../../shared/data/adult");
const adultPresent = existsSync(join(adultDir, "adult.csv"));

describe.skipIf(!adultPresent)(`Lightning on Adult${adultPresent ? "" : " (needs ../shared)"}`, () => {
  it("k=5 4% monotonic entropy: within 5% of ARX's optimum 255559.85455731067 with the default budget", () => {
    const table = parseTable(readFileSync(join(adultDir, "adult.csv"), "utf8"));
    const data = encodeDataset(table, { quasiIdentifiers: table.header }, (a) => readHierarchy(adultDir, a));
    const models = { k: 5, suppressionLimit: 0.04 };
    const m: MetricOptions = { name: "entropy", monotonic: true };
    const found = search(new Evaluator(data, models), createMetric(data, m), { heuristic: true });
    const arx = 255559.85455731067;
    expect(found.levels).toBeDefined();
    expect(expectAnonymous(data, models, m, found.levels!)).toBe(found.score);
    expect(Math.abs(found.score! - arx) / arx).toBeLessThan(0.05);
  });
});
