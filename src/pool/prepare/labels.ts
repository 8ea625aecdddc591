/**
 * Labels from a declared definition, per linked learner, and the anti-leakage rule for features.
 *
 * Time is counted in days since each learner's start: day d is [start + d·24h, start + (d+1)·24h). The
 * cut-off day C belongs to the past: features may use days 0…C, labels look only at days after C.
 * The data ends at the span's end (exclusive), so the last fully observed day is
 * ⌊(end − start) / 24h⌋ − 1.
 *
 * Who gets a label, and who does not (each excluded learner is counted under its first reason, in this
 * order, and left out of the labelled table):
 * 1. `cutoff-not-observed`: day C is not fully observed (the learner started too late in the span);
 * 2. `ended-by-cutoff`: a withdrawal or completion on or before day C, or an event of the label's own
 *    kind (a failure, for the failure label): the learner was no longer at risk, or the outcome is
 *    already known at the cut-off;
 * 3. dropout only: `no-activity-by-cutoff` (no activity on days 0…C) and `inactive-at-cutoff` (none on
 *    days C−K+1…C, K = active_within_days): already gone by the definition itself;
 * 4. `window-not-observed`: the label's window (C, C+N] for dropout, (C, C+H] with a horizon, is not
 *    fully inside the data. Every such learner is excluded, not only those without later activity:
 *    keeping the censored learners who came back would bias the label toward staying.
 * The labels: dropout is 1 when the learner has no activity in (C, C+N]; withdrawal, failure and
 * completion are 1 when an event of that kind falls in (C, C+H] (without a horizon: after C, until the
 * data end).
 */
import type { OutcomeKind } from "./outcomes.js";
import type { LabelDefinition, Period } from "./spec.js";

export const DAY_MS = 86_400_000;

/** What the pool knows of one linked learner, already reduced to days (a plain per-learner summary). */
export interface LearnerActivity {
  /** The learner's pseudonym in the agreement's linkage domain (one per linked learner). */
  learner: string;
  /** The providers (store ids) holding records of this learner. */
  providers: readonly string[];
  /** The learner's start: the first enrolment or activity at any provider. */
  start: Date;
  /** Days since start on which the learner did anything (integers ≥ 0, any order, repeats allowed). */
  activityDays: readonly number[];
  outcomes: readonly { kind: OutcomeKind; day: number }[];
}

export type ExclusionReason =
  | "cutoff-not-observed"
  | "ended-by-cutoff"
  | "no-activity-by-cutoff"
  | "inactive-at-cutoff"
  | "window-not-observed";

export const EXCLUSION_REASONS: readonly ExclusionReason[] = [
  "cutoff-not-observed",
  "ended-by-cutoff",
  "no-activity-by-cutoff",
  "inactive-at-cutoff",
  "window-not-observed",
];

export interface LearnerLabel {
  learner: string;
  providers: readonly string[];
  start: Date;
  label: 0 | 1;
}

export interface LabelReport {
  kind: LabelDefinition["kind"];
  cutoffDay: number;
  labelled: number;
  positive: number;
  negative: number;
  excluded: Record<ExclusionReason, number>;
}

export interface LabelResult {
  /** Sorted by learner, so that the table is the same whatever the input order. */
  labels: LearnerLabel[];
  excluded: { learner: string; reason: ExclusionReason }[];
  report: LabelReport;
}

export class LabelInputError extends Error {}

/** The day an instant falls on, counted from the learner's start. */
export function dayOf(start: Date, instant: Date): number {
  return Math.floor((instant.getTime() - start.getTime()) / DAY_MS);
}

/** The last day fully observed before the data end (−1 when not even day 0 is). */
export function lastObservedDay(start: Date, dataEnd: Date): number {
  return Math.floor((dataEnd.getTime() - start.getTime()) / DAY_MS) - 1;
}

/** How many days after the cut-off the label looks at; undefined: until the data end. */
export function labelWindowDays(definition: LabelDefinition): number | undefined {
  return definition.kind === "dropout" ? definition.inactivityDays : definition.horizonDays;
}

function checkDay(day: number, learner: number, what: string): void {
  if (!(Number.isSafeInteger(day) && day >= 0))
    throw new LabelInputError(`learner #${learner + 1}: ${what} day must be an integer ≥ 0, got ${day}`);
}

export function computeLabels(
  learners: readonly LearnerActivity[],
  options: { definition: LabelDefinition; cutoffDay: number; dataEnd: Date },
): LabelResult {
  const { definition, cutoffDay: c, dataEnd } = options;
  if (!(Number.isSafeInteger(c) && c >= 0))
    throw new LabelInputError(`the cut-off day must be an integer ≥ 0`);
  const window = labelWindowDays(definition);
  const seen = new Set<string>();
  const labels: LearnerLabel[] = [];
  const excluded: { learner: string; reason: ExclusionReason }[] = [];
  learners.forEach((a, i) => {
    if (seen.has(a.learner))
      throw new LabelInputError(
        `learner #${i + 1}: listed twice (the summary is one row per linked learner)`,
      );
    seen.add(a.learner);
    for (const d of a.activityDays) checkDay(d, i, "an activity");
    for (const o of a.outcomes) checkDay(o.day, i, `a ${o.kind}`);
    const reason = exclusion(a, definition, c, window, lastObservedDay(a.start, dataEnd));
    if (reason) {
      excluded.push({ learner: a.learner, reason });
      return;
    }
    const positive =
      definition.kind === "dropout"
        ? !a.activityDays.some((d) => d > c && d <= c + definition.inactivityDays)
        : a.outcomes.some(
            (o) => o.kind === definition.kind && o.day > c && (window === undefined || o.day <= c + window),
          );
    labels.push({ learner: a.learner, providers: a.providers, start: a.start, label: positive ? 1 : 0 });
  });
  const byLearner = (x: { learner: string }, y: { learner: string }) =>
    x.learner < y.learner ? -1 : x.learner > y.learner ? 1 : 0;
  labels.sort(byLearner);
  excluded.sort(byLearner);
  const counts = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;
  for (const e of excluded) counts[e.reason]++;
  const positive = labels.filter((l) => l.label === 1).length;
  return {
    labels,
    excluded,
    report: {
      kind: definition.kind,
      cutoffDay: c,
      labelled: labels.length,
      positive,
      negative: labels.length - positive,
      excluded: counts,
    },
  };
}

function exclusion(
  a: LearnerActivity,
  definition: LabelDefinition,
  c: number,
  window: number | undefined,
  lastDay: number,
): ExclusionReason | undefined {
  if (c > lastDay) return "cutoff-not-observed";
  const ended = a.outcomes.some(
    (o) => o.day <= c && (o.kind === "withdrawal" || o.kind === "completion" || o.kind === definition.kind),
  );
  if (ended) return "ended-by-cutoff";
  if (definition.kind === "dropout") {
    if (!a.activityDays.some((d) => d <= c)) return "no-activity-by-cutoff";
    if (!a.activityDays.some((d) => d <= c && d > c - definition.activeWithinDays))
      return "inactive-at-cutoff";
  }
  if (window !== undefined && c + window > lastDay) return "window-not-observed";
  return undefined;
}

/** A feature row's period, in days since the learner's start, both ends included. */
export interface FeaturePeriod {
  learner?: string;
  firstDay: number;
  lastDay: number;
}

/** The days of period `index` (day d, or week w = days 7w…7w+6). */
export function periodDays(period: Period, index: number): { firstDay: number; lastDay: number } {
  return period === "day"
    ? { firstDay: index, lastDay: index }
    : { firstDay: 7 * index, lastDay: 7 * index + 6 };
}

/**
 * The last period index a feature may use at cut-off day C (−1: none). A week that straddles the
 * cut-off is left out whole rather than cut short, so that every feature row covers a full period.
 */
export function lastPeriodBefore(period: Period, cutoffDay: number): number {
  return period === "day" ? cutoffDay : Math.floor((cutoffDay + 1) / 7) - 1;
}

/** The feature rows whose period ends after the cut-off: what would leak the future into the features. */
export function findLeaks<T extends FeaturePeriod>(features: Iterable<T>, cutoffDay: number): T[] {
  const leaks: T[] = [];
  for (const row of features) if (!(row.lastDay <= cutoffDay)) leaks.push(row);
  return leaks;
}

export class LeakError extends Error {
  constructor(
    readonly cutoffDay: number,
    readonly leaks: readonly FeaturePeriod[],
  ) {
    const first = leaks
      .slice(0, 3)
      .map((r) => `${r.learner ?? "?"} days ${r.firstDay}–${r.lastDay}`)
      .join("; ");
    super(
      `${leaks.length} feature row${leaks.length === 1 ? "" : "s"} end after the cut-off day ${cutoffDay} (${first}${leaks.length > 3 ? "; …" : ""}): features may only use days up to the cut-off`,
    );
    this.name = "LeakError";
  }
}

/** Throws LeakError when any feature row's period ends after the cut-off day (a NaN end counts as one). */
export function checkNoLeak(features: Iterable<FeaturePeriod>, cutoffDay: number): void {
  const leaks = findLeaks(features, cutoffDay);
  if (leaks.length > 0) throw new LeakError(cutoffDay, leaks);
}
