import { describe, expect, it } from "vitest";
import {
  CohortPlanError,
  type CohortStatisticsSpec,
  planCohortStatistics,
  runPlannedRelease,
  type SpecError,
  validateBuildSpec,
} from "../../src/pool/prepare/index.js";
import { dp } from "../../src/privacy/index.js";

const base = {
  name: "impact",
  agreement: "agr-1",
  providers: ["a"],
  span: { from: "2024-01-01", to: "2024-06-30" },
};

function cohortSpec(cohort: unknown): CohortStatisticsSpec {
  const spec = validateBuildSpec({ ...base, views: { cohort_statistics: cohort } });
  return spec.views.cohortStatistics as CohortStatisticsSpec;
}

function problems(cohort: unknown): string[] {
  try {
    validateBuildSpec({ ...base, views: { cohort_statistics: cohort } });
  } catch (error) {
    return (error as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("accepted");
}

describe("cohort statistics plan", () => {
  const spec = cohortSpec({
    budget: { epsilon: 1 },
    max_contributions: 4,
    group_by: ["programme", "period"],
    keys: { programme: ["licence", "master"], period: [0, 1] },
    statistics: ["count", { statistic: "mean", of: "score", bounds: [0, 100], epsilon: 0.4 }],
  });

  it("maps counts by group to one declared table and means to one release per cell", () => {
    const plan = planCohortStatistics(spec);
    const [table, ...means] = plan.releases;
    expect(table).toMatchObject({
      call: "dpTable",
      groupBy: ["programme", "period"],
      declared: [
        ["licence", "master"],
        ["0", "1"],
      ],
      statistic: "count by programme,period",
    });
    expect(table?.options.epsilon).toBeCloseTo(0.6); // what the mean leaves
    expect(means.map((m) => m.statistic)).toEqual([
      "mean of score where programme=licence, period=0",
      "mean of score where programme=licence, period=1",
      "mean of score where programme=master, period=0",
      "mean of score where programme=master, period=1",
    ]);
    for (const m of means)
      expect(m).toMatchObject({ call: "dpMean", options: { epsilon: 0.1, bounds: [0, 100] } });
    expect(plan.total.epsilon).toBeCloseTo(1);
    expect(plan.total.delta).toBe(0);
    // Laplace releases are priced ε²/2 in zCDP, per mechanism (the mean has two).
    expect(means[0]?.charge).toMatchObject({ epsilon: 0.1, delta: 0, mechanism: "discrete-laplace" });
    expect(means[0]?.charge.rho).toBeCloseTo(2 * (0.05 ** 2 / 2));
    expect(means[0]?.mechanisms.map((m) => m.role)).toEqual(["centred sum", "count"]);
  });

  it("runs a planned release through privacy/dp over the rows of its cell", () => {
    const plan = planCohortStatistics(spec);
    const rows = Array.from({ length: 400 }, (_, i) => ({
      learner: `p${i}`,
      programme: i % 2 ? "master" : "licence",
      period: i % 4 < 2 ? 0 : 1,
      score: i % 2 ? 80 : 40,
    }));
    const random = new dp.SeededRandom("test");
    const table = runPlannedRelease(plan.releases[0]!, rows, { random });
    expect((table.value as dp.Cell[]).map((c) => c.key)).toEqual([
      ["licence", "0"],
      ["licence", "1"],
      ["master", "0"],
      ["master", "1"],
    ]);
    const meanMaster = plan.releases.find((r) => r.where.programme === "master")!;
    const mean = runPlannedRelease(meanMaster, rows, { random });
    expect(mean.value as number).toBeGreaterThan(60);
  });

  it("undeclared groups use partition selection and need δ; Gaussian noise needs δ", () => {
    expect(
      problems({
        budget: { epsilon: 1 },
        max_contributions: 1,
        group_by: ["programme"],
        statistics: ["count"],
      }),
    ).toEqual([
      "views.cohort_statistics.budget.delta: a count by groups without declared keys (partition selection) needs δ > 0",
    ]);
    const plan = planCohortStatistics(
      cohortSpec({
        budget: { epsilon: 1, delta: 1e-6 },
        max_contributions: 1,
        group_by: ["programme"],
        statistics: ["count"],
      }),
    );
    expect(plan.releases[0]).toMatchObject({ call: "dpTable", options: { delta: 1e-6 } });
    expect(plan.releases[0]?.declared).toBeUndefined();
    expect(plan.releases[0]?.charge.rho).toBeUndefined(); // no zCDP guarantee: a zCDP ledger refuses it
    expect(
      problems({ budget: { epsilon: 1 }, noise: "gaussian", max_contributions: 1, statistics: ["count"] })[0],
    ).toMatch(/budget\.delta: Gaussian noise needs δ > 0/);
  });

  it("refuses what cannot be released, naming the statistic", () => {
    expect(
      problems({
        budget: { epsilon: 1 },
        max_contributions: 1,
        group_by: ["programme"],
        statistics: [{ statistic: "mean", of: "score", bounds: [0, 1] }],
      }),
    ).toEqual([
      "views.cohort_statistics.statistics[0].by: a mean by groups is released per declared cell: declare keys for programme",
    ]);
    expect(
      problems({
        budget: { epsilon: 1 },
        max_contributions: 1,
        statistics: [
          { statistic: "count", epsilon: 0.7 },
          { statistic: "sum", of: "x", bounds: [0, 1], epsilon: 0.5 },
        ],
      }),
    ).toEqual([
      "views.cohort_statistics.statistics: the statistics' ε add up to 1.2, more than the budget's 1",
    ]);
    expect(problems({ budget: { epsilon: 1 }, statistics: [{ statistic: "mean", of: "x" }] })).toEqual(
      expect.arrayContaining([
        "views.cohort_statistics.max_contributions: is required: the rows one learner may add (m)",
        "views.cohort_statistics.statistics[0].bounds: is required for mean: [lo, hi]",
      ]),
    );
    expect(
      problems({
        budget: { epsilon: 1 },
        max_contributions: 1,
        statistics: [{ statistic: "histogram", of: "x", bins: [3, 1] }],
      }),
    ).toEqual([
      "views.cohort_statistics.statistics[0].bins: must be at least two ascending edges, got [3,1]",
    ]);
    expect(() => planCohortStatistics({ ...spec, budget: { epsilon: 0.3, delta: 0 } })).toThrow(
      CohortPlanError,
    );
  });
});
