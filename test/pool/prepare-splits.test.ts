import { describe, expect, it } from "vitest";
import { assignSplits, DAY_MS, type SplitLearner } from "../../src/pool/prepare/index.js";
import { seededRandom } from "../../src/privacy/index.js";

const pool: SplitLearner[] = Array.from({ length: 2000 }, (_, i) => ({
  learner: `p${String(i).padStart(4, "0")}`,
  providers: [i % 3 === 0 ? "a" : i % 3 === 1 ? "b" : "c"],
  start: new Date(Date.UTC(2024, 0, 1) + (i % 120) * DAY_MS),
  label: i % 5 === 0 ? 1 : 0,
}));

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const byLearner = {
  by: "learner",
  ratios: { train: 0.8, validation: 0.1, test: 0.1 },
  stratify: false,
} as const;

describe("splits by learner", () => {
  it("same seed → same assignment, whatever the input order; another seed → another one", () => {
    const one = assignSplits(pool, byLearner, { seed: 7 });
    const two = assignSplits(shuffled(pool, 1), byLearner, { seed: 7 });
    expect([...two.assignment].sort()).toEqual([...one.assignment].sort());
    expect(two.splits).toEqual(one.splits);
    const other = assignSplits(pool, byLearner, { seed: 8 });
    expect(other.splits.test).not.toEqual(one.splits.test);
    expect(one.report.counts.train).toBeGreaterThan(1500);
    expect(one.report.counts.train).toBeLessThan(1700);
  });

  it("a withdrawn learner leaves everyone else's split unchanged", () => {
    const all = assignSplits(pool, byLearner, { seed: 7 });
    const fewer = assignSplits(pool.slice(1), byLearner, { seed: 7 });
    for (const [l, s] of fewer.assignment) expect(all.assignment.get(l)).toBe(s);
  });

  it("a linked learner at two providers lands in one split only", () => {
    const linked = [
      ...pool.slice(0, 50),
      { learner: "p0001", providers: ["c"], label: 0 },
      { learner: "p0002", providers: ["a"], label: 0 },
    ];
    const r = assignSplits(linked, byLearner, { seed: 3 });
    const everywhere = Object.values(r.splits).flat();
    expect(everywhere.filter((l) => l === "p0001")).toHaveLength(1);
    expect(everywhere).toHaveLength(50);
  });

  it("stratified: each split holds the label's share, order-independently", () => {
    const policy = { ...byLearner, stratify: true };
    const r = assignSplits(pool, policy, { seed: 11 });
    // 400 positives and 1600 negatives: exactly 320/40/40 and 1280/160/160.
    expect(r.report.labels).toEqual({
      train: { "0": 1280, "1": 320 },
      validation: { "0": 160, "1": 40 },
      test: { "0": 160, "1": 40 },
    });
    expect(assignSplits(shuffled(pool, 2), policy, { seed: 11 }).splits).toEqual(r.splits);
  });
});

describe("splits by provider", () => {
  const learners: SplitLearner[] = [
    { learner: "only-a", providers: ["a"] },
    { learner: "only-c", providers: ["c"] },
    { learner: "a-and-c", providers: ["a"] },
    { learner: "a-and-c", providers: ["c"] },
  ];
  it("held-out provider's learners are test; shared learners are test only by default", () => {
    const r = assignSplits(
      learners,
      { by: "provider", heldOut: ["c"], sharedLearners: "test", validation: 0 },
      { seed: 1 },
    );
    expect(r.splits).toEqual({ train: ["only-a"], test: ["a-and-c", "only-c"] });
  });
  it("or excluded from both sides", () => {
    const r = assignSplits(
      learners,
      { by: "provider", heldOut: ["c"], sharedLearners: "exclude", validation: 0 },
      { seed: 1 },
    );
    expect(r.splits).toEqual({ train: ["only-a"], test: ["only-c"] });
    expect(r.excluded).toEqual([{ learner: "a-and-c", reason: "shared-with-held-out" }]);
  });
  it("validation is carved out of train by hash", () => {
    const r = assignSplits(
      pool,
      { by: "provider", heldOut: ["c"], sharedLearners: "test", validation: 0.25 },
      { seed: 5 },
    );
    expect(r.splits.test).toHaveLength(666);
    expect(r.report.counts.validation).toBeGreaterThan(250);
    expect(r.report.counts.validation).toBeLessThan(420);
  });
});

describe("splits by time", () => {
  it("train windows end before the date, test cut-offs start after it, the rest is excluded", () => {
    const day = (d: number) => new Date(Date.UTC(2024, 0, 1) + d * DAY_MS);
    const learners: SplitLearner[] = [
      { learner: "early", providers: ["a"], start: day(0) }, // cut-off ends day 8, window ends day 13
      { learner: "straddle", providers: ["a"], start: day(5) }, // window ends day 18
      { learner: "late", providers: ["a"], start: day(8) }, // cut-off ends day 16
    ];
    const policy = { by: "time", date: day(16), validation: 0 } as const;
    const r = assignSplits(learners, policy, { seed: 0, cutoffDay: 7, labelWindowDays: 5 });
    expect(r.splits).toEqual({ train: ["early"], test: ["late"] });
    expect(r.excluded).toEqual([{ learner: "straddle", reason: "straddles-date" }]);
    const noLabel = assignSplits(learners, policy, { seed: 0 });
    expect(noLabel.splits).toEqual({ train: ["early", "straddle", "late"].sort(), test: [] });
  });
});
