/**
 * Splits, seeded and deterministic. A learner's split comes from a keyed hash of the seed and the
 * pseudonym (HMAC-SHA256, first 48 bits as a number in [0, 1)), never from a PRNG stream: a stream would
 * make the assignment depend on the input's order, and on who else is in the pool. With the hash, the
 * same seed gives the same assignment in any order, and a learner who withdraws changes no one else's
 * split in the next version (except under stratification, see below).
 *
 * A linked learner is one pseudonym, whatever the number of providers: rows of the same learner are
 * merged first, so a learner present at two providers lands in one split only.
 * - by learner: cumulative ratios over the hash. Stratified (by label): within each label, learners are
 *   ranked by hash and cut at the ratios (largest remainders), so every split has the label's share
 *   within one learner; a withdrawal then moves at most the neighbours of one rank in that label.
 * - by provider: learners at a held-out provider are the `test` split (cold start). A learner also seen
 *   at a training provider is, by default, a test learner only: none of their rows trains the model, so
 *   the test set measures learners the model has not seen. With `exclude` they are dropped from both
 *   sides, leaving test learners the pool has seen nowhere else. `validation` carves the given share of
 *   the remaining learners out of `train`, by hash.
 * - by time: a learner's example is anchored at the end of its cut-off day (start + C + 1 days) and its
 *   label window ends N (or H) days later. `train` holds those whose window ends at or before the date, `test` those whose
 *   cut-off is at or after it; the others straddle the date and are excluded, so that no training label
 *   looks past the date. Without a label, the anchor is the start itself.
 */
import { createHmac } from "node:crypto";
import { DAY_MS } from "./labels.js";
import type { SplitPolicy } from "./spec.js";

export interface SplitLearner {
  learner: string;
  providers: readonly string[];
  /** Needed by time splits. */
  start?: Date;
  /** Needed by stratified splits. */
  label?: string | number;
}

export type SplitExclusion = "shared-with-held-out" | "straddles-date";

export interface SplitResult {
  /** Learner → split name. */
  assignment: ReadonlyMap<string, string>;
  /** Split name → its learners, sorted. */
  splits: Readonly<Record<string, readonly string[]>>;
  excluded: { learner: string; reason: SplitExclusion }[];
  report: {
    policy: SplitPolicy["by"];
    seed: number;
    counts: Record<string, number>;
    /** Per split, learners per label (only when labels are given). */
    labels?: Record<string, Record<string, number>>;
    excluded: Record<SplitExclusion, number>;
  };
}

export class SplitInputError extends Error {}

/** The learner's position in [0, 1) under the seed: uniform, independent of everything else. */
export function splitHash(seed: number, learner: string): number {
  const digest = createHmac("sha256", `learnpool-split:${seed}`).update(learner, "utf8").digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function merge(learners: readonly SplitLearner[]): Map<string, SplitLearner> {
  const merged = new Map<string, SplitLearner>();
  for (const l of learners) {
    const prior = merged.get(l.learner);
    if (!prior) {
      merged.set(l.learner, { ...l, providers: [...new Set(l.providers)].sort() });
      continue;
    }
    if (prior.label !== undefined && l.label !== undefined && String(prior.label) !== String(l.label))
      throw new SplitInputError(
        `learner ${l.learner} has two labels (${prior.label}, ${l.label}): labels are per linked learner`,
      );
    const starts = [prior.start, l.start].filter((d): d is Date => d !== undefined);
    merged.set(l.learner, {
      learner: l.learner,
      providers: [...new Set([...prior.providers, ...l.providers])].sort(),
      ...(starts.length > 0 && { start: new Date(Math.min(...starts.map((d) => d.getTime()))) }),
      ...((prior.label ?? l.label) !== undefined && { label: (prior.label ?? l.label) as string | number }),
    });
  }
  return merged;
}

/** Which split a position in [0, 1) falls into, under ratios taken in their order. */
function byRatio(u: number, ratios: readonly [string, number][]): string {
  let acc = 0;
  for (const [name, r] of ratios) {
    acc += r;
    if (u < acc) return name;
  }
  return (ratios[ratios.length - 1] as [string, number])[0]; // u just under 1 past a sum of 0.9999…
}

/** Sizes for n learners under the ratios, by largest remainders (ties: the split listed first). */
function allocate(n: number, ratios: readonly [string, number][]): number[] {
  const exact = ratios.map(([, r]) => r * n);
  const sizes = exact.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, frac: x - Math.floor(x) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    sizes[i] = (sizes[i] as number) + 1;
    left--;
  }
  return sizes;
}

export function assignSplits(
  learners: readonly SplitLearner[],
  policy: SplitPolicy,
  options: { seed: number; cutoffDay?: number; labelWindowDays?: number },
): SplitResult {
  const { seed } = options;
  const pool = merge(learners);
  const assignment = new Map<string, string>();
  const excluded: { learner: string; reason: SplitExclusion }[] = [];
  const h = (learner: string) => splitHash(seed, learner);
  const carve = (learner: string, validation: number) =>
    validation > 0 && h(learner) < validation ? "validation" : "train";

  if (policy.by === "learner") {
    const ratios = Object.entries(policy.ratios);
    if (!policy.stratify) for (const l of pool.keys()) assignment.set(l, byRatio(h(l), ratios));
    else {
      const strata = new Map<string, string[]>();
      for (const l of pool.values()) {
        if (l.label === undefined)
          throw new SplitInputError(`learner ${l.learner} has no label to stratify by`);
        const key = String(l.label);
        strata.set(key, [...(strata.get(key) ?? []), l.learner]);
      }
      for (const members of strata.values()) {
        const ranked = members
          .map((l) => ({ l, u: h(l) }))
          .sort((a, b) => a.u - b.u || (a.l < b.l ? -1 : a.l > b.l ? 1 : 0));
        const sizes = allocate(ranked.length, ratios);
        let at = 0;
        sizes.forEach((size, i) => {
          for (const { l } of ranked.slice(at, at + size))
            assignment.set(l, (ratios[i] as [string, number])[0]);
          at += size;
        });
      }
    }
  } else if (policy.by === "provider") {
    const heldOut = new Set(policy.heldOut);
    for (const l of pool.values()) {
      const atHeldOut = l.providers.some((p) => heldOut.has(p));
      const elsewhere = l.providers.some((p) => !heldOut.has(p));
      if (atHeldOut && elsewhere && policy.sharedLearners === "exclude")
        excluded.push({ learner: l.learner, reason: "shared-with-held-out" });
      else assignment.set(l.learner, atHeldOut ? "test" : carve(l.learner, policy.validation));
    }
  } else {
    const date = policy.date.getTime();
    // The prediction instant is the end of the cut-off day (features use days 0…C); without a label,
    // the learner's start.
    const anchorDays = options.cutoffDay === undefined ? 0 : options.cutoffDay + 1;
    const windowDays = options.labelWindowDays ?? 0;
    for (const l of pool.values()) {
      if (!l.start) throw new SplitInputError(`learner ${l.learner} has no start: a time split needs it`);
      const anchor = l.start.getTime() + anchorDays * DAY_MS;
      const end = anchor + windowDays * DAY_MS;
      if (end <= date) assignment.set(l.learner, carve(l.learner, policy.validation));
      else if (anchor >= date) assignment.set(l.learner, "test");
      else excluded.push({ learner: l.learner, reason: "straddles-date" });
    }
  }

  const splits: Record<string, string[]> = {};
  const names =
    policy.by === "learner"
      ? Object.keys(policy.ratios)
      : ["train", ...("validation" in policy && policy.validation > 0 ? ["validation"] : []), "test"];
  for (const name of names) splits[name] = [];
  for (const [l, s] of assignment) splits[s]?.push(l);
  for (const list of Object.values(splits)) list.sort();
  excluded.sort((a, b) => (a.learner < b.learner ? -1 : a.learner > b.learner ? 1 : 0));
  const counts = Object.fromEntries(Object.entries(splits).map(([s, l]) => [s, l.length]));
  const labelled = [...pool.values()].some((l) => l.label !== undefined);
  const labels = labelled
    ? Object.fromEntries(
        Object.entries(splits).map(([s, list]) => {
          const tally: Record<string, number> = {};
          for (const l of list) {
            const key = String(pool.get(l)?.label);
            tally[key] = (tally[key] ?? 0) + 1;
          }
          return [s, tally];
        }),
      )
    : undefined;
  return {
    assignment,
    splits,
    excluded,
    report: {
      policy: policy.by,
      seed,
      counts,
      ...(labels && { labels }),
      excluded: {
        "shared-with-held-out": excluded.filter((e) => e.reason === "shared-with-held-out").length,
        "straddles-date": excluded.filter((e) => e.reason === "straddles-date").length,
      },
    },
  };
}
