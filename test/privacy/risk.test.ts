import { describe, expect, it } from "vitest";
import {
  chartsSvg,
  chartText,
  classSizeFrequencies,
  equivalenceClasses,
  journalistRisk,
  marketerRisk,
  PopulationModelError,
  populationClassSizes,
  populationSizeOf,
  populationUniqueness,
  prosecutorRisk,
  RiskInputError,
  riskCharts,
  riskDistribution,
  riskProfile,
  sizeDistribution,
  zayatzUniques,
} from "../../src/privacy/risk/index.js";

/** ARX's test table (DataProvider): every record unique on age, gender, zipcode. */
const arxExample = [
  ["34", "male", "81667"],
  ["45", "female", "81675"],
  ["66", "male", "81925"],
  ["70", "female", "81931"],
  ["34", "female", "81931"],
  ["70", "male", "81931"],
  ["45", "male", "81931"],
];

describe("equivalence classes", () => {
  it("groups rows sharing every quasi-identifier value, in order of first appearance", () => {
    const rows = [
      ["a", "1", "x"],
      ["a", "1", "y"],
      ["b", "1", "x"],
      ["a", "1", "x"],
    ];
    const classes = equivalenceClasses(rows, [0, 1]);
    expect(Array.from(classes.sizes)).toEqual([3, 1]);
    expect(Array.from(classes.classOfRow)).toEqual([0, 0, 1, 0]);
    expect(Array.from(equivalenceClasses(rows, [0, 2]).sizes)).toEqual([2, 1, 1]);
  });

  it("does not confuse values that concatenate alike", () => {
    const classes = equivalenceClasses(
      [
        ["ab", "c"],
        ["a", "bc"],
      ],
      [0, 1],
    );
    expect(Array.from(classes.sizes)).toEqual([1, 1]);
  });

  it("leaves out rows whose quasi-identifiers are all the suppression marker", () => {
    const rows = [
      ["*", "*", "kept"],
      ["a", "*", "x"],
      ["*", "*", "y"],
    ];
    const classes = equivalenceClasses(rows, [0, 1], { suppressedValue: "*" });
    expect(classes.suppressed).toBe(2);
    expect(Array.from(classes.sizes)).toEqual([1]);
    expect(Array.from(classes.classOfRow)).toEqual([-1, 0, -1]);
    expect(equivalenceClasses(rows, [0, 1]).suppressed).toBe(0);
  });

  it("names the row that lacks a quasi-identifier column", () => {
    expect(() => equivalenceClasses([["a", "b"], ["c"]], [0, 1])).toThrow("row 2 has no column 2");
    expect(() => equivalenceClasses([["a"]], [])).toThrow(RiskInputError);
  });

  it("counts class sizes into ascending frequencies", () => {
    const f = classSizeFrequencies([3, 1, 2, 1, 0, 3, 1]);
    expect(Array.from(f.sizes)).toEqual([1, 2, 3]);
    expect(Array.from(f.counts)).toEqual([3, 1, 2]);
    expect(f.records).toBe(11);
    expect(f.classes).toBe(6);
    expect(() => classSizeFrequencies([1.5])).toThrow("class size 1.5 at position 0");
  });
});

describe("prosecutor risk (ARX RiskModelSampleSummary)", () => {
  it("is 1 everywhere when every record is unique (ARX's example before anonymization)", () => {
    const sizes = equivalenceClasses(arxExample, [0, 1, 2]).sizes;
    expect(prosecutorRisk(sizes)).toEqual({ recordsAtRisk: 1, highestRisk: 1, averageRisk: 1 });
  });

  it("matches ARX's 2-anonymous example: average 3/7, highest 1/2", () => {
    const risk = prosecutorRisk([2, 3, 2], 0.2);
    expect(risk.averageRisk).toBe(0.42857142857142855);
    expect(risk.highestRisk).toBe(0.5);
    expect(risk.recordsAtRisk).toBe(1);
    // 1/3 is not above 0.4: only the two classes of 2 (4 records) are at risk.
    expect(prosecutorRisk([2, 3, 2], 0.4).recordsAtRisk).toBe(4 / 7);
  });

  it("counts a record at risk only when its risk is strictly above the threshold", () => {
    expect(prosecutorRisk([1, 2, 3, 5], 0.2).recordsAtRisk).toBe(6 / 11);
    expect(prosecutorRisk([5, 5], 0.2).recordsAtRisk).toBe(0);
    expect(prosecutorRisk([5, 5], 0.19).recordsAtRisk).toBe(1);
  });

  it("is 0 for an empty table", () => {
    expect(prosecutorRisk([])).toEqual({ recordsAtRisk: 0, highestRisk: 0, averageRisk: 0 });
    expect(riskProfile([]).sampleUniqueness).toBe(0);
  });
});

describe("journalist and marketer risk", () => {
  // Sample classes of 2, 1, 3, 1 records; in the population they hold 3, 3, 3, 2.
  const sample = [2, 1, 3, 1];
  const population = [3, 3, 3, 2];

  it("take each class's size in the population", () => {
    const journalist = journalistRisk(sample, population, 0.4);
    expect(journalist.highestRisk).toBe(0.5);
    expect(journalist.recordsAtRisk).toBe(1 / 7);
    // max(classes / Σ population sizes, Σ (sample / population) / records) = max(4/11, 2.5/7)
    expect(journalist.averageRisk).toBe(4 / 11);
    expect(marketerRisk(sample, population)).toBeCloseTo(2.5 / 7, 15);
  });

  it("equal the prosecutor risk when no population is given, as in ARX", () => {
    const profile = riskProfile(sample, { threshold: 0.4 });
    expect(profile.journalist).toEqual(profile.prosecutor);
    expect(profile.marketer.averageRisk).toBe(profile.prosecutor.averageRisk);
    const withPopulation = riskProfile(sample, { threshold: 0.4, populationClassSizes: population });
    expect(withPopulation.journalist.averageRisk).toBe(4 / 11);
    expect(withPopulation.prosecutor.averageRisk).toBe(4 / 7);
  });

  it("joins a sample to its population table on the quasi-identifiers", () => {
    const s = [
      ["m", "1"],
      ["m", "1"],
      ["a", "2"],
    ];
    const p = [...s, ["m", "1"], ["a", "2"], ["z", "9"]];
    const joined = populationClassSizes(s, [0, 1], p, [0, 1]);
    expect(Array.from(joined.sample.sizes)).toEqual([2, 1]);
    expect(Array.from(joined.populationSizes)).toEqual([3, 2]);
    expect(() => populationClassSizes(s, [0, 1], [["m", "1"]], [0, 1])).toThrow(
      "row 1 of the sample: its class has 2 records in the sample but 1 in the population",
    );
  });

  it("refuse population sizes smaller than the sample's", () => {
    expect(() => journalistRisk([2], [1])).toThrow("class 0: 2 records in the sample but 1");
    expect(() => riskProfile([1, 2], { populationClassSizes: [1] })).toThrow(
      "1 population class sizes for 2",
    );
  });
});

describe("sample uniqueness and distributions", () => {
  it("is the share of records alone in their class", () => {
    expect(riskProfile([1, 1, 2, 3]).sampleUniqueness).toBe(2 / 7);
    expect(riskProfile([2, 2]).sampleUniqueness).toBe(0);
  });

  it("puts each record's risk in ARX's (low, high] intervals", () => {
    const d = riskDistribution(classSizeFrequencies([1, 2, 3, 5, 10, 1000]));
    const at = (high: number) => d.find((b) => b.high === high)!.records;
    const n = 1021;
    expect(at(1)).toBeCloseTo(1 / n, 15);
    expect(at(0.5)).toBeCloseTo(2 / n, 15); // 1/2 is in (0.334, 0.5]
    expect(at(0.334)).toBeCloseTo(3 / n, 15);
    expect(at(0.2)).toBeCloseTo(5 / n, 15); // 1/5 is in (0.167, 0.2]
    expect(at(0.1)).toBeCloseTo(10 / n, 15);
    expect(at(0.001)).toBeCloseTo(1000 / n, 15);
    expect(d.at(-1)!.cumulative).toBeCloseTo(1, 12);
  });

  it("counts classes and records per class-size bucket", () => {
    const d = sizeDistribution(classSizeFrequencies([1, 1, 2, 7, 8, 150]));
    expect(d[0]).toEqual({ from: 1, to: 1, classes: 2, records: 2 });
    expect(d.find((b) => b.from === 6)).toEqual({ from: 6, to: 10, classes: 2, records: 15 });
    expect(d.at(-1)).toEqual({ from: 101, to: null, classes: 1, records: 150 });
  });
});

/** P(X = x) of the hypergeometric distribution, by counting. */
function exactHypergeometric(N: number, m: number, n: number, x: number): number {
  const choose = (a: number, b: number) => {
    let r = 1;
    for (let i = 1; i <= b; i++) r = (r * (a - b + i)) / i;
    return r;
  };
  return (choose(m, x) * choose(N - m, n - x)) / choose(N, n);
}

describe("population uniqueness: hand-computed cases and limits", () => {
  it("Zayatz: c1 · P(unique | sampled unique) / f, by the hypergeometric draws", () => {
    // Classes of 1, 1, 2 records; 4 of a population of 8 (f = 1/2).
    const frequencies = classSizeFrequencies([1, 1, 2]);
    const N = 8;
    const n = 4;
    const p1 = (size: number) => exactHypergeometric(N, size, n, 1);
    const conditional = ((2 / 3) * p1(1)) / ((2 / 3) * p1(1) + (1 / 3) * p1(2));
    const expected = (2 * conditional) / 0.5;
    const uniques = zayatzUniques({ frequencies, populationSize: N, samplingFraction: 0.5 });
    expect(uniques).toBeCloseTo(expected, 12);
    const result = populationUniqueness(frequencies, { samplingFraction: 0.5 });
    expect(result.populationSize).toBe(8);
    expect(result.fractions.zayatz).toBeCloseTo(expected / 8, 12);
  });

  it("every estimate is 0 when no record is unique in the sample", () => {
    const result = populationUniqueness(classSizeFrequencies([2, 3, 2]), { samplingFraction: 0.1 });
    expect(result.fractions).toEqual({ pitman: 0, zayatz: 0, snb: 0, dankar: 0 });
    expect(result.dankarModel).toBe("none");
  });

  it("ARX's example: all 7 records unique, f = 0.2 → the whole population is unique", () => {
    const sizes = equivalenceClasses(arxExample, [0, 1, 2]).sizes;
    const result = populationUniqueness(classSizeFrequencies(sizes), { samplingFraction: 0.2 });
    expect(result.populationSize).toBe(35);
    // ARX compares four significant digits.
    expect(Math.trunc(result.fractions.dankar * 10000)).toBe(10000);
  });

  it("tends to sample uniqueness as the fraction tends to 1 (Zayatz, SNB, Dankar)", () => {
    for (const sizes of [
      [1, 1, 1, 2, 2, 3, 5, 8],
      [1, 2, 2, 2, 4, 4, 1, 1, 1, 1, 6],
    ]) {
      const profile = riskProfile(sizes, { population: { samplingFraction: 1 } });
      const pu = profile.populationUniqueness!;
      expect(pu.fractions.zayatz).toBeCloseTo(profile.sampleUniqueness, 12);
      expect(pu.fractions.dankar).toBeCloseTo(profile.sampleUniqueness, 12);
      if (pu.available.snb) expect(pu.fractions.snb).toBeCloseTo(profile.sampleUniqueness, 6);
    }
  });

  it("population uniqueness does not exceed sample uniqueness and falls with the fraction (Zayatz)", () => {
    const sizes = [1, 1, 1, 1, 2, 2, 3, 1, 4, 1, 2, 7];
    let previous = Number.POSITIVE_INFINITY;
    for (const f of [1, 0.5, 0.2, 0.05]) {
      const profile = riskProfile(sizes, { population: { samplingFraction: f } });
      const pu = profile.populationUniqueness!;
      expect(pu.fractions.zayatz).toBeLessThanOrEqual(profile.sampleUniqueness + 1e-12);
      expect(pu.fractions.zayatz).toBeLessThan(previous + 1e-12);
      previous = pu.fractions.zayatz;
    }
  });

  it("Dankar's rule: Pitman at or below 10%, the lower of Zayatz and SNB above", () => {
    const sizes = Array.from({ length: 400 }, (_, i) => 1 + (i % 7 === 0 ? 3 : i % 3));
    for (const f of [0.01, 0.05, 0.1, 0.3, 0.6]) {
      const pu = populationUniqueness(classSizeFrequencies(sizes), { samplingFraction: f });
      if (f <= 0.1) {
        expect(pu.dankarModel).toBe(pu.available.pitman ? "pitman" : "zayatz");
      } else if (pu.available.snb) {
        expect(pu.dankarModel).toBe(pu.uniques.zayatz < pu.uniques.snb ? "zayatz" : "snb");
      } else {
        expect(pu.dankarModel).toBe("zayatz");
      }
      expect(pu.uniques.dankar).toBe(pu.uniques[pu.dankarModel as "pitman" | "zayatz" | "snb"]);
    }
  });

  it("derives the population size as ARX does, and refuses impossible models", () => {
    expect(populationSizeOf({ samplingFraction: 0.1 }, 30162)).toBe(301620);
    expect(populationSizeOf({ samplingFraction: 0.3, sampleSize: 10 }, 9)).toBe(33);
    expect(populationSizeOf({ populationSize: 100 }, 9)).toBe(100);
    expect(() => populationSizeOf({ samplingFraction: 0 }, 5)).toThrow(PopulationModelError);
    expect(() => populationSizeOf({ samplingFraction: 1.5 }, 5)).toThrow("must be in (0, 1]");
    expect(() => populationSizeOf({ populationSize: 4 }, 5)).toThrow("at least the sample's 5 records");
  });
});

describe("charts", () => {
  const before = riskProfile([1, 1, 2, 3, 10]);
  const after = riskProfile([5, 6, 6]);
  const charts = riskCharts([
    { name: "before", profile: before },
    { name: "after", profile: after },
  ]);

  it("chart records by class size and by risk, and the measures, before beside after", () => {
    expect(charts.map((c) => c.title)).toEqual([
      "Risk measures",
      "Records by equivalence-class size",
      "Records by prosecutor risk",
    ]);
    const bySize = charts[1]!;
    expect(bySize.rows[0]).toEqual({ label: "1", values: [2 / 17, 0] });
    for (const chart of charts.slice(1)) {
      for (let s = 0; s < 2; s++) {
        expect(chart.rows.reduce((sum, row) => sum + row.values[s]!, 0)).toBeCloseTo(1, 12);
      }
    }
    const text = chartText(bySize, 20);
    expect(text).toContain("Records by equivalence-class size");
    expect(text).toMatch(/ {4}1 before │██ 11\.76%/);
    expect(text).toContain("after  │ 0.00%");
  });

  it("render as a standalone SVG with one bar per value and escaped labels", () => {
    const svg = chartsSvg(charts);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    const bars = charts.reduce((n, c) => n + c.rows.length * c.series.length, 0);
    // bars + legend squares (2 per chart) + the background
    expect(svg.match(/<rect /g)!.length).toBe(bars + 2 * charts.length + 1);
    const escaped = chartsSvg([
      { title: 'a<b & "c"', series: ["x"], rows: [{ label: "<1>", values: [0.5] }] },
    ]);
    expect(escaped).toContain("a&lt;b &amp; &quot;c&quot;");
    expect(escaped).toContain("&lt;1&gt;");
    expect(escaped).not.toContain("<1>");
  });
});
