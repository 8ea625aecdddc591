import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { anonymizeCommands, anonymizeFile } from "../../src/cli/anonymize.js";
import {
  anonymize,
  createMetric,
  dateHierarchy,
  detectDelimiter,
  Evaluator,
  encodeDataset,
  intervalHierarchy,
  METRIC_NAMES,
  maskingHierarchy,
  orderedHierarchy,
  parseHierarchyCsv,
  parseTable,
  readHierarchy,
} from "../../src/privacy/anonymize/index.js";

const fixtures = join(import.meta.dirname, "fixtures/anonymize");
const dir = mkdtempSync(join(tmpdir(), "learnpool-anonymize-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = parseTable(readFileSync(join(fixtures, "people.csv"), "utf8"));
const encode = (qis: string[], sensitive?: string) =>
  encodeDataset(table, { quasiIdentifiers: qis, sensitive, identifying: ["name"] }, (a) =>
    a === sensitive ? undefined : readHierarchy(fixtures, a),
  );

describe("hierarchies", () => {
  it("reads ARX's layout and rejects rows of unequal depth and missing values", () => {
    expect(readHierarchy(fixtures, "age").rows[3]).toEqual(["31", "30-39", "20-39", "*"]);
    expect(() => readHierarchy(join(fixtures, "bad"), "age")).toThrow(
      /row 2 \(25\) has 2 levels, the first row has 3/,
    );
    expect(() => readHierarchy(fixtures, "disease")).toThrow(/no file \*hierarchy_disease.csv/);
    const h = parseHierarchyCsv("sex", "F;*\n");
    expect(() => encodeDataset(table, { quasiIdentifiers: ["sex"] }, () => h)).toThrow(
      /hierarchy of sex has no row for 1 value\(s\) of the data: "M"/,
    );
  });
  it("builds intervals, dates, masks and ordered groupings, each ending in *", () => {
    expect(intervalHierarchy("age", ["23", "47"], [5, 10, 20]).rows).toEqual([
      ["23", "20-24", "20-29", "20-39", "*"],
      ["47", "45-49", "40-49", "40-59", "*"],
    ]);
    expect(() => intervalHierarchy("age", ["x"], [5])).toThrow(/not an integer/);
    expect(() => intervalHierarchy("age", ["1"], [5, 7])).toThrow(/must nest/);
    expect(dateHierarchy("d", ["2024-03-05"]).rows).toEqual([["2024-03-05", "2024-03", "2024", "*"]]);
    expect(maskingHierarchy("zip", ["75011"], 3).rows).toEqual([["75011", "7501*", "750**", "75***", "*"]]);
    expect(orderedHierarchy("n", ["3", "1", "2", "10"], [2]).rows).toEqual([
      ["1", "1-2", "*"],
      ["2", "1-2", "*"],
      ["3", "3-10", "*"],
      ["10", "3-10", "*"],
    ]);
  });
});

describe("evaluation", () => {
  it("detects the delimiter", () => {
    expect(detectDelimiter("a;b;c\n1;2;3")).toBe(";");
    expect(detectDelimiter("a,b\n1,2")).toBe(",");
  });
  it("groups rows into classes and suppresses those below k within the limit", () => {
    const data = encode(["age", "sex"]);
    const ev = new Evaluator(data, { k: 2, suppressionLimit: 0.25 });
    const bottom = ev.evaluate([0, 0]);
    expect(bottom.classes).toBe(12);
    expect(bottom.anonymous).toBe(false);
    const e = ev.evaluate([1, 0]); // decades × sex: 20s F1 M2, 30s F3, 40s F1 M2, 50s F1 M2
    expect(e.classes).toBe(7);
    expect(e.suppressedRows).toBe(3);
    expect(e.anonymous).toBe(true); // floor(0.25 × 12) = 3 rows may be suppressed
    expect(new Evaluator(data, { k: 2, suppressionLimit: 0.2 }).evaluate([1, 0]).anonymous).toBe(false);
  });
  it("checks l-diversity and t-closeness on the sensitive attribute", () => {
    const data = encode(["age"], "disease");
    const distinct = new Evaluator(data, { l: { l: 3, variant: "distinct" }, suppressionLimit: 0 });
    expect(distinct.evaluate([2]).anonymous).toBe(true); // 20-39 and 40-59 hold the 3 diseases
    expect(distinct.evaluate([1]).anonymous).toBe(false); // the 20s hold 2
    expect(distinct.evaluate([0]).anonymous).toBe(false);
    const close = new Evaluator(data, { t: { t: 0.01, distance: "equal" }, suppressionLimit: 0 });
    expect(close.evaluate([3]).anonymous).toBe(true); // one class: the distribution itself
    expect(close.evaluate([1]).anonymous).toBe(false);
  });
});

describe("search and CLI", () => {
  it("finds the optimum under k=2 and writes the table and the report", () => {
    const out = join(dir, "out.csv");
    const reportPath = join(dir, "report.json");
    const report = anonymizeFile({
      in: join(fixtures, "people.csv"),
      hierarchies: fixtures,
      qi: ["age", "zip", "sex"],
      identifying: ["name"],
      k: 2,
      suppression: 0,
      metric: "height",
      out,
      report: reportPath,
    });
    expect(report.transformation).toEqual({ age: 2, zip: 1, sex: 0 });
    expect(report.score).toBe(3);
    const written = parseTable(readFileSync(out, "utf8"));
    expect(written.header).toEqual(["age", "zip", "sex", "disease"]);
    const counts = new Map<string, number>();
    for (const r of written.rows)
      counts.set(r.slice(0, 3).join("|"), (counts.get(r.slice(0, 3).join("|")) ?? 0) + 1);
    expect(Math.min(...counts.values())).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(readFileSync(reportPath, "utf8")).riskBefore.highest).toBe(1);
    expect(report.riskAfter!.highest).toBeLessThanOrEqual(0.5);
  });
  it("the optimal search finds brute force's best score for every metric", () => {
    const data = encode(["age", "zip", "sex"]);
    const models = { k: 3, suppressionLimit: 0.25 };
    for (const name of METRIC_NAMES) {
      for (const monotonic of [false, true]) {
        const r = anonymize(data, { models, metric: { name, monotonic } });
        const ev = new Evaluator(data, models);
        const metric = createMetric(data, { name, monotonic });
        let best = Number.POSITIVE_INFINITY;
        for (let a = 0; a < 4; a++)
          for (let z = 0; z < 4; z++)
            for (let s = 0; s < 2; s++) {
              const e = ev.evaluate([a, z, s]);
              if (e.anonymous) best = Math.min(best, metric.score(e));
            }
        expect(r.report.score, `${name}${monotonic ? " monotonic" : ""}`).toBe(best);
        const heuristic = anonymize(data, {
          models,
          metric: { name, monotonic },
          search: { heuristic: true },
        });
        expect(heuristic.report.score).toBeGreaterThanOrEqual(best);
      }
    }
  });
  it("says which privacy model is missing", () => {
    expect(() =>
      anonymizeFile({
        in: "x",
        hierarchies: fixtures,
        qi: ["age"],
        suppression: 0,
        metric: "height",
        out: "o",
        report: "r",
      }),
    ).toThrow(/no privacy model/);
    expect(anonymizeCommands()[0]!.name()).toBe("anonymize");
  });
});
