import { describe, expect, it } from "vitest";
import {
  checkNoLeak,
  classifyOutcome,
  computeLabels,
  DAY_MS,
  DEFAULT_OUTCOME_RULES,
  findLeaks,
  type LabelDefinition,
  LeakError,
  type LearnerActivity,
  lastPeriodBefore,
  periodDays,
  VERBS,
} from "../../src/pool/prepare/index.js";

const start = new Date("2024-01-01T00:00:00Z");
const dataEnd = new Date(start.getTime() + 100 * DAY_MS); // days 0…99 observed
const dropout: LabelDefinition = {
  kind: "dropout",
  inactivityDays: 14,
  activeWithinDays: 14,
  outcomes: DEFAULT_OUTCOME_RULES,
};
const learner = (id: string, days: number[], more: Partial<LearnerActivity> = {}): LearnerActivity => ({
  learner: id,
  providers: ["a"],
  start,
  activityDays: days,
  outcomes: [],
  ...more,
});

describe("dropout labels", () => {
  const c = 28;
  const result = computeLabels(
    [
      learner("stays", [0, 10, 28, 30]), // active in (28, 42]
      learner("drops", [0, 20, 28]), // nothing in (28, 42]
      learner("back-late", [0, 27, 43]), // day 43 is past the window: still a dropout
      learner("edge", [0, 15, 42]), // day 42 is the window's last day
      learner("gone-early", [0, 5]), // nothing in days 15…28: already gone
      learner("never", []),
      learner("withdrew", [0, 20], { outcomes: [{ kind: "withdrawal", day: 25 }] }),
      learner("late-start", [0, 1], { start: new Date(dataEnd.getTime() - 20 * DAY_MS) }),
      learner("short-window", [0, 28], { start: new Date(dataEnd.getTime() - 35 * DAY_MS) }),
    ],
    { definition: dropout, cutoffDay: c, dataEnd },
  );
  const label = (id: string) => result.labels.find((l) => l.learner === id)?.label;
  const reason = (id: string) => result.excluded.find((e) => e.learner === id)?.reason;

  it("is 1 with no activity in (cut-off, cut-off + N], 0 otherwise", () => {
    expect(label("stays")).toBe(0);
    expect(label("drops")).toBe(1);
    expect(label("back-late")).toBe(1);
    expect(label("edge")).toBe(0);
  });

  it("gives no label to learners not at risk or not observed long enough, and counts them", () => {
    expect(reason("gone-early")).toBe("inactive-at-cutoff");
    expect(reason("never")).toBe("no-activity-by-cutoff");
    expect(reason("withdrew")).toBe("ended-by-cutoff");
    expect(reason("late-start")).toBe("cutoff-not-observed");
    expect(reason("short-window")).toBe("window-not-observed");
    expect(result.report).toEqual({
      kind: "dropout",
      cutoffDay: 28,
      labelled: 4,
      positive: 2,
      negative: 2,
      excluded: {
        "cutoff-not-observed": 1,
        "ended-by-cutoff": 1,
        "no-activity-by-cutoff": 1,
        "inactive-at-cutoff": 1,
        "window-not-observed": 1,
      },
    });
  });

  it("is the same table whatever the input order", () => {
    const input = [learner("b", [0, 20, 30]), learner("a", [0, 28]), learner("c", [1])];
    const one = computeLabels(input, { definition: dropout, cutoffDay: c, dataEnd });
    const two = computeLabels([...input].reverse(), { definition: dropout, cutoffDay: c, dataEnd });
    expect(two).toEqual(one);
    expect(one.labels.map((l) => l.learner)).toEqual(["a", "b"]);
  });

  it("refuses malformed summaries", () => {
    expect(() =>
      computeLabels([learner("x", [0]), learner("x", [1])], { definition: dropout, cutoffDay: c, dataEnd }),
    ).toThrow(/listed twice/);
    expect(() => computeLabels([learner("x", [-1])], { definition: dropout, cutoffDay: c, dataEnd })).toThrow(
      /integer ≥ 0/,
    );
  });
});

describe("event labels", () => {
  const withdrawal: LabelDefinition = {
    kind: "withdrawal",
    horizonDays: 30,
    outcomes: DEFAULT_OUTCOME_RULES,
  };
  it("counts the event in (cut-off, cut-off + H] and excludes known outcomes", () => {
    const r = computeLabels(
      [
        learner("w", [0], { outcomes: [{ kind: "withdrawal", day: 40 }] }),
        learner("w-late", [0], { outcomes: [{ kind: "withdrawal", day: 61 }] }),
        learner("done", [0], { outcomes: [{ kind: "completion", day: 10 }] }),
        learner("none", [0]),
      ],
      { definition: withdrawal, cutoffDay: 30, dataEnd },
    );
    expect(r.labels.map((l) => [l.learner, l.label])).toEqual([
      ["none", 0],
      ["w", 1],
      ["w-late", 0],
    ]);
    expect(r.excluded).toEqual([{ learner: "done", reason: "ended-by-cutoff" }]);
  });

  it("without a horizon, looks until the data end", () => {
    const failure: LabelDefinition = { kind: "failure", outcomes: DEFAULT_OUTCOME_RULES };
    const r = computeLabels(
      [
        learner("f", [0], { outcomes: [{ kind: "failure", day: 95 }] }),
        learner("failed-before", [0], { outcomes: [{ kind: "failure", day: 3 }] }),
      ],
      { definition: failure, cutoffDay: 30, dataEnd },
    );
    expect(r.labels).toEqual([expect.objectContaining({ learner: "f", label: 1 })]);
    expect(r.report.excluded["ended-by-cutoff"]).toBe(1);
  });
});

describe("outcome events from statements", () => {
  it("classifies the default verbs and honours result conditions", () => {
    expect(classifyOutcome({ verb: VERBS.unregistered }, DEFAULT_OUTCOME_RULES)).toEqual(["withdrawal"]);
    expect(classifyOutcome({ verb: VERBS.satisfied }, DEFAULT_OUTCOME_RULES)).toEqual(["completion"]);
    expect(classifyOutcome({ verb: "http://adlnet.gov/expapi/verbs/exited" }, DEFAULT_OUTCOME_RULES)).toEqual(
      [],
    );
    const rules = {
      ...DEFAULT_OUTCOME_RULES,
      failure: [{ verb: VERBS.failed }, { verb: VERBS.completed, result: { success: false } }],
    };
    expect(classifyOutcome({ verb: VERBS.completed, result: { success: false } }, rules)).toEqual([
      "failure",
      "completion",
    ]);
    expect(classifyOutcome({ verb: VERBS.completed, result: { success: true } }, rules)).toEqual([
      "completion",
    ]);
  });
});

describe("features only before the cut-off", () => {
  it("a feature computed after the cut-off fails the check", () => {
    const cutoff = 27;
    const fine = [0, 1, 2, 3].map((w) => ({ learner: "p1", ...periodDays("week", w) })); // days 0…27
    expect(() => checkNoLeak(fine, cutoff)).not.toThrow();
    const leaking = [...fine, { learner: "p1", ...periodDays("week", 4) }]; // days 28…34
    expect(() => checkNoLeak(leaking, cutoff)).toThrow(LeakError);
    expect(() => checkNoLeak(leaking, cutoff)).toThrow(
      /1 feature row end after the cut-off day 27 \(p1 days 28–34\)/,
    );
    expect(findLeaks([{ firstDay: 27, lastDay: 28 }], cutoff)).toHaveLength(1);
    expect(findLeaks([{ firstDay: 0, lastDay: Number.NaN }], cutoff)).toHaveLength(1);
  });

  it("the last usable period leaves a straddling week out", () => {
    expect(lastPeriodBefore("week", 27)).toBe(3);
    expect(lastPeriodBefore("week", 26)).toBe(2);
    expect(lastPeriodBefore("week", 5)).toBe(-1);
    expect(lastPeriodBefore("day", 27)).toBe(27);
    for (const c of [0, 6, 13, 20, 27, 30])
      expect(periodDays("week", lastPeriodBefore("week", c)).lastDay).toBeLessThanOrEqual(c);
  });
});
