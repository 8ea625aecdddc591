import { describe, expect, it } from "vitest";
import { ClkEncoder, parseLinkageSchema } from "../../src/privacy/clk.js";
import {
  learnerLinkageSchema,
  normalizeGender,
  normalizeName,
  normalizePostcode,
  parseLearnerDate,
  prepareRecord,
} from "../../src/privacy/clk-learners.js";
import {
  blocker,
  ClkSet,
  DEFAULT_BLOCKING,
  DEFAULT_THRESHOLD,
  dice,
  greedySolve,
  histogramText,
  link,
  popcount32,
  scorePairs,
  summaryText,
} from "../../src/privacy/linkage.js";
import { type SyntheticLearner, syntheticLinkage } from "../../src/privacy/linkage-synthetic.js";

/** A 64-bit filter with the given bits set (bit 0 = most significant bit of byte 0). */
function filter(bits: number[], l = 64): Uint8Array {
  const f = new Uint8Array(l / 8);
  for (const b of bits) f[b >>> 3]! |= 0x80 >>> (b & 7);
  return f;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("Dice coefficient", () => {
  it("is 2|A∧B| / (|A| + |B|) on known filters", () => {
    const a = ClkSet.of(["a0", "a1", "a2"], [filter(range(0, 10)), filter([]), filter(range(0, 64))], 64);
    const b = ClkSet.of(["b0", "b1"], [filter(range(5, 15)), filter(range(0, 10))], 64);
    expect(dice(a, 0, b, 0)).toBe(0.5); // 5 shared of 10 + 10
    expect(dice(a, 0, b, 1)).toBe(1);
    expect(dice(a, 1, b, 0)).toBe(0); // an empty filter shares nothing
    expect(dice(a, 2, b, 0)).toBeCloseTo((2 * 10) / 74, 12);
    expect(Array.from(a.counts)).toEqual([10, 0, 64]);
  });

  it("counts bits like a naive popcount", () => {
    for (const x of [0, 1, 0xffffffff, 0x80000000, 0x12345678, 0xdeadbeef]) {
      expect(popcount32(x)).toBe(x.toString(2).replace(/0/g, "").length);
    }
  });

  it("scores every pair when blocking is off, keeping those at or above the threshold", () => {
    const a = ClkSet.of(["x", "y"], [filter(range(0, 10)), filter(range(20, 30))], 64);
    const b = ClkSet.of(["p", "q", "r"], [filter(range(0, 9)), filter(range(20, 30)), filter([63])], 64);
    const scores = scorePairs(a, b, 0.9, blocker(a, b, { method: "none" }));
    expect(scores.compared).toBe(6);
    expect(scores.pairs).toEqual([
      { a: 0, b: 0, score: 18 / 19 },
      { a: 1, b: 1, score: 1 },
    ]);
    expect(scores.histogram.reduce((s, n) => s + n, 0)).toBe(6);
    expect(scores.histogram[0]).toBe(4);
  });
});

describe("greedy solving", () => {
  it("takes the best pairs first and uses each record once", () => {
    const matches = greedySolve([
      { a: 0, b: 0, score: 0.9 },
      { a: 0, b: 1, score: 0.95 },
      { a: 1, b: 1, score: 0.85 },
      { a: 1, b: 0, score: 0.8 },
      { a: 2, b: 0, score: 0.8 },
    ]);
    expect(matches).toEqual([
      { a: 0, b: 1, score: 0.95 },
      { a: 1, b: 0, score: 0.8 },
    ]);
  });
});

describe("learner normalization", () => {
  it("folds case, accents, apostrophes, hyphens and spaces in names", () => {
    expect(normalizeName("  Zoé  LEFÈVRE ")).toBe("zoe lefevre");
    expect(normalizeName("Jean-Marc")).toBe(normalizeName("jean marc"));
    expect(normalizeName("N'Diaye")).toBe("ndiaye");
    expect(normalizeName("Müller-Straße")).toBe("muller strasse");
    expect(normalizeName("Œdipe Æsir")).toBe("oedipe aesir");
  });

  it("reads dates written ISO, compact or day first", () => {
    const d = { year: 2004, month: 3, day: 7 };
    for (const text of [
      "2004-03-07",
      "2004-3-7",
      "20040307",
      "07/03/2004",
      "7.3.2004",
      "07-03-04",
      "2004-03-07T00:00:00Z",
    ]) {
      expect(parseLearnerDate(text), text).toEqual(d);
    }
    expect(parseLearnerDate("03/07/2004", "mdy")).toEqual(d);
    expect(parseLearnerDate("31/02/2004")).toBeUndefined();
    expect(parseLearnerDate("soon")).toBeUndefined();
  });

  it("normalizes postcodes, with masking, and genders", () => {
    expect(normalizePostcode(" 75 011")).toBe("75011");
    expect(normalizePostcode("sw1a 1aa")).toBe("SW1A1AA");
    expect(normalizePostcode("75011", 2)).toBe("75");
    expect(["F", "f", "Femme", "female", "féminin"].map(normalizeGender)).toEqual(["F", "F", "F", "F", "F"]);
    expect(["M", "homme", "Male"].map(normalizeGender)).toEqual(["M", "M", "M"]);
    expect(normalizeGender("non-binary")).toBe("X");
    expect(normalizeGender(" ")).toBe("");
  });

  it("prepares a record from a provider's columns, missing markers read as missing", () => {
    const schema = parseLinkageSchema(learnerLinkageSchema({ salt: "c2FsdA==" }));
    const row = {
      id: "42",
      given_names: "Zoé",
      family_name: "LEFÈVRE",
      birth_date: "07/03/2004",
      postcode: "N/A",
      gender: "Femme",
    };
    expect(prepareRecord(schema, row)).toEqual(["", "zoe lefevre", "2004-03-07", "", "F"]);
    expect(() => prepareRecord(schema, { ...row, birth_date: "07/13/2004" }, 5)).toThrow(
      'row 5, feature "birth_date": not a recognized date',
    );
  });
});

describe("linkage of a generated population", () => {
  const schema = parseLinkageSchema(learnerLinkageSchema({ salt: "bGVhcm5wb29s" }));
  const encoder = new ClkEncoder(schema, Buffer.from("the agreement's linkage secret"));
  const encode = (learners: SyntheticLearner[]) =>
    ClkSet.of(
      learners.map((l) => l.id),
      learners.map((l, k) => encoder.encode(prepareRecord(schema, { ...l }, k + 1))),
      schema.l,
    );
  const population = syntheticLinkage({ size: 2000, seed: 7 });
  const a = encode(population.a);
  const b = encode(population.b);

  it("finds the same learners with precision and recall ≥ 0.95 at the default threshold", () => {
    const { matches, report } = link(a, b, { truth: population.truth });
    const q = report.quality!;
    console.log([...summaryText(report), ...histogramText(report)].join("\n"));
    expect(report.threshold).toBe(DEFAULT_THRESHOLD);
    expect(q.truePairs).toBe(1600);
    expect(q.precision).toBeGreaterThanOrEqual(0.95);
    expect(q.recall).toBeGreaterThanOrEqual(0.95);
    expect(q.f1).toBeGreaterThanOrEqual(0.95);
    expect(matches.length).toBe(report.matches);
  });

  it("blocking misses few true pairs and avoids most of the cross product", () => {
    const { report } = link(a, b, { truth: population.truth });
    const q = report.quality!;
    // Measured on this population: 80 bands × 15 bits keep ≥ 99% of the true pairs, compare < 5%.
    expect(q.blockingRecall).toBeGreaterThanOrEqual(0.99);
    expect(report.reductionRatio).toBeGreaterThan(0.95);
    expect(report.blocking).toEqual(DEFAULT_BLOCKING);
    const full = link(a, b, { truth: population.truth, blocking: { method: "none" } });
    expect(full.report.candidatePairs).toBe(4_000_000);
    expect(full.report.quality!.blockingRecall).toBe(1);
    // What blocking loses in recall is what it drops among true pairs above the threshold.
    expect(full.report.quality!.recall - q.recall).toBeLessThanOrEqual(1 - q.blockingRecall + 1e-9);
  });

  it("keeps a learner whose given and family names were swapped", () => {
    const learner = population.a[0]!;
    const swapped = { ...learner, given_names: learner.family_name, family_name: learner.given_names };
    const clkA = encoder.encode(prepareRecord(schema, { ...learner }));
    const clkB = encoder.encode(prepareRecord(schema, swapped));
    const set = (c: Uint8Array) => ClkSet.of(["x"], [c], schema.l);
    expect(dice(set(clkA), 0, set(clkB), 0)).toBeGreaterThan(DEFAULT_THRESHOLD);
  });

  it("gives unrelated CLKs under another secret", () => {
    const other = new ClkEncoder(schema, Buffer.from("another agreement's linkage secret"));
    const records = population.a.slice(0, 200);
    const c = ClkSet.of(
      records.map((l) => l.id),
      records.map((l) => other.encode(prepareRecord(schema, { ...l }))),
      schema.l,
    );
    const { report } = link(a, c, { blocking: { method: "none" } });
    expect(report.matches).toBe(0);
  });

  it("writes every field of the report", () => {
    const { report } = link(a, b, { truth: population.truth, schema: schema.fingerprint });
    expect(Object.keys(report).sort()).toEqual(
      [
        "report",
        "threshold",
        "records",
        "schema",
        "blocking",
        "crossProduct",
        "candidatePairs",
        "reductionRatio",
        "pairsAboveThreshold",
        "matches",
        "scores",
        "quality",
        "timing",
      ].sort(),
    );
    expect(report.scores.bins).toHaveLength(20);
    expect(report.scores.bins.reduce((s, bin) => s + bin.count, 0)).toBe(report.candidatePairs);
    expect(report.scores.bins.reduce((s, bin) => s + bin.matched, 0)).toBe(report.matches);
    expect(report.scores.bins.reduce((s, bin) => s + (bin.truePairs ?? 0), 0)).toBe(1600);
    expect(Object.keys(report.quality!).sort()).toEqual(
      [
        "truePairs",
        "unknownPairs",
        "truePositives",
        "falsePositives",
        "falseNegatives",
        "precision",
        "recall",
        "f1",
        "blockingRecall",
      ].sort(),
    );
    const text = histogramText(report);
    expect(text).toHaveLength(21);
    expect(text.some((line) => line.includes("← threshold"))).toBe(true);
  });

  it("counts true pairs naming unknown ids apart", () => {
    const { report } = link(a, b, { truth: [...population.truth, ["nobody", "b-x"]] });
    expect(report.quality!.unknownPairs).toBe(1);
    expect(report.quality!.truePairs).toBe(1600);
  });
});
