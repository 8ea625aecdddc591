import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import {
  checkKAnonymity,
  enforceMinimumCohort,
  type Row,
  suppressRareValues,
  suppressSmallGroups,
} from "../../src/privacy/cohorts.js";

const features = parse(readFileSync(new URL("./fixtures/cohorts/features.csv", import.meta.url)), {
  columns: true,
}) as Row[];

/** Activity traces: several rows per learner. */
const traces: Row[] = [
  ...["p1", "p1", "p2", "p3", "p4"].map((learner) => ({ learner, activity: "video-1", course: "AAA" })),
  { learner: "p1", activity: "quiz-7", course: "AAA" },
  { learner: "p2", activity: "quiz-7", course: "AAA" },
  { learner: "p5", activity: "forum-secret", course: "BBB" },
  { learner: "p5", activity: "forum-secret", course: "BBB" },
  { learner: "p6", activity: "", course: "BBB" },
];

describe("minimum cohort size", () => {
  it("groups with fewer distinct learners than the minimum are suppressed and reported", () => {
    const { rows, report } = enforceMinimumCohort(traces, {
      learnerColumn: "learner",
      groupBy: ["course"],
      minimum: 3,
    });
    // AAA has 4 learners (p1..p4), BBB has 2 (p5, p6) but 3 rows: learners count, not rows.
    expect(rows.every((r) => r.course === "AAA")).toBe(true);
    expect(report).toEqual({
      minimum: 3,
      groupBy: ["course"],
      groups: 2,
      releasedGroups: 1,
      suppressed: [{ key: ["BBB"], learners: 2, rows: 3 }],
      suppressedRows: 3,
    });
  });

  it("on aggregated groups too; bad input is named", () => {
    const groups = [
      { key: "a", learners: 12 },
      { key: "b", learners: 4 },
    ];
    expect(suppressSmallGroups(groups, 5)).toEqual({ released: [groups[0]], suppressed: [groups[1]] });
    expect(() =>
      enforceMinimumCohort(traces, { learnerColumn: "learner", groupBy: ["nope"], minimum: 3 }),
    ).toThrow(/minimum cohort: no column "nope"/);
    expect(() => suppressSmallGroups(groups, 0)).toThrow(/minimum cohort size must be a positive integer/);
  });
});

describe("rare activity values", () => {
  it("values seen for fewer than N distinct learners become the placeholder", () => {
    const { rows, report } = suppressRareValues(traces, {
      column: "activity",
      learnerColumn: "learner",
      minLearners: 2,
    });
    // forum-secret: one learner (twice) → suppressed; quiz-7: two learners → kept; the empty value untouched.
    expect(rows.map((r) => r.activity)).toEqual([
      "video-1",
      "video-1",
      "video-1",
      "video-1",
      "video-1",
      "quiz-7",
      "quiz-7",
      "*",
      "*",
      "",
    ]);
    expect(report).toEqual({
      column: "activity",
      minLearners: 2,
      placeholder: "*",
      distinctValues: 3,
      suppressedValues: [{ value: "forum-secret", learners: 1 }],
      rowsChanged: 2,
    });
    expect(traces[7]?.activity).toBe("forum-secret"); // the input is not modified
    const three = suppressRareValues(traces, {
      column: "activity",
      learnerColumn: "learner",
      minLearners: 3,
      placeholder: "(rare)",
    });
    expect(three.report.suppressedValues.map((v) => v.value)).toEqual(["forum-secret", "quiz-7"]);
  });
});

describe("k-anonymity of a learner-level feature table", () => {
  it("classes under k and the fraction of rows concerned", () => {
    const { report, rows } = checkKAnonymity(features, {
      quasiIdentifiers: ["gender", "age_band", "region"],
      k: 3,
    });
    expect(rows).toBeUndefined();
    expect(report.classes).toBe(5);
    expect(report.classesUnderK).toEqual([
      { key: ["F", "35-55", "South"], size: 2 },
      { key: ["F", "0-35", "South"], size: 1 },
      { key: ["M", "55<=", "South"], size: 1 },
    ]);
    expect(report.rowsUnderK).toBe(4);
    expect(report.fractionUnderK).toBeCloseTo(0.4, 12);
    expect(report.satisfied).toBe(false);
  });

  it("suppression leaves a k-anonymous table", () => {
    const { report, rows } = checkKAnonymity(features, {
      quasiIdentifiers: ["gender", "age_band", "region"],
      k: 3,
      suppress: true,
    });
    expect(report.suppressedRows).toBe(4);
    expect(rows?.map((r) => r.learner)).toEqual(["p01", "p02", "p03", "p04", "p05", "p06"]);
    const again = checkKAnonymity(rows as Row[], {
      quasiIdentifiers: ["gender", "age_band", "region"],
      k: 3,
    });
    expect(again.report.satisfied).toBe(true);
    expect(checkKAnonymity(features, { quasiIdentifiers: ["region"], k: 4 }).report.satisfied).toBe(true);
    expect(() => checkKAnonymity(features, { quasiIdentifiers: ["postcode"], k: 2 })).toThrow(
      /k-anonymity: no column "postcode"/,
    );
    expect(checkKAnonymity([], { quasiIdentifiers: ["a"], k: 2 }).report.fractionUnderK).toBe(0);
  });
});
