import type { ColdStartRow } from "../cold-start.js";
import { TrainError } from "../errors.js";
import type { EarlyDetectionPoint } from "../evaluate/early.js";
import type { Gap, GapMetric, GroupReport } from "../evaluate/groups.js";
import type { Calibration, PrPoint, RocPoint } from "../evaluate/metrics.js";
import { type Model, modelToJson } from "../models/json.js";
import { toOnnx } from "../onnx/export.js";
import { calibrationSvg, coldStartSvg, earlyDetectionSvg, prSvg, rocSvg } from "../pictures/charts.js";
import { svgToPng } from "../pictures/png.js";
import { barChart } from "../pictures/svg.js";
import {
  type ModelCardInput,
  modelCard,
  type ReleasedGroup,
  type ReleasedGroupReport,
  type ReleaseThresholds,
  type WithheldItem,
} from "./card.js";
import type { DpReport } from "./dp-logistic.js";
import { type MembershipInference, membershipInference } from "./mia.js";
import type { AgreementForRelease } from "./thresholds.js";

/**
 * The release gate of a training job: what may leave the trusted environment. Pure: the job's runner
 * gives it the evaluation, the model, the losses and the agreement's terms, and gets back each item
 * released (with its content) or withheld (with the reason), and the figures it decided on.
 *
 * Rules:
 * 1. Minimum cohort: every metric slice — the test set as a whole, each group of each fairness
 *    attribute, each day of the early-detection curve, each calibration bin — has at least
 *    `minCohort` learners, else it is withheld from the metrics, the pictures and the card. The
 *    strictest of the agreement's `lp:minK` and the job's value applies; without either,
 *    DEFAULT_MIN_COHORT (10: the order of the small-cell thresholds of official statistics). When a
 *    group of an attribute is withheld, the counts and positive rates of its other groups are hidden
 *    too: with the overall count they would give the withheld group's by difference.
 * 2. Membership inference: the loss-threshold attack's advantage (held-in against held-out learners)
 *    must be at most `maxAdvantage` — the stricter of the agreement's and the job's, else
 *    DEFAULT_MAX_ADVANTAGE (0.1: an attacker at most 10 points better than a coin between members and
 *    non-members). Above it, or without the test, the model (JSON and ONNX) is withheld; the metrics,
 *    card and pictures may still leave, since they pass rule 1 on their own.
 * 3. Differential privacy, when the job trained with it: the ledger charge must be on record, and ε
 *    within the agreement's `lp:maxEpsilon`; else the model is withheld.
 * Nothing else leaves: in particular no per-learner score, loss, row or identifier.
 */
export const DEFAULT_MIN_COHORT = 10;
export const DEFAULT_MAX_ADVANTAGE = 0.1;

export type ReleaseKind = "model" | "card" | "picture" | "metrics";

export interface ReleasedItem {
  readonly name: string;
  readonly kind: ReleaseKind;
  readonly reason: string;
  readonly mediaType: string;
  readonly content: string | Uint8Array;
}

export interface ReleaseGateInput {
  /** What the model predicts, for the card's title. */
  readonly title: string;
  readonly model: Model;
  readonly data: ModelCardInput["data"];
  readonly agreement: AgreementForRelease;
  /** The job's own bounds: they may only tighten the agreement's. */
  readonly job?: { readonly minCohort?: number; readonly maxAdvantage?: number };
  readonly evaluation: {
    /** Overall test metrics (auc, averagePrecision, brier, logLoss, ece…) with the learner count n. */
    readonly overall: { readonly n: number; readonly positives?: number } & Readonly<Record<string, number>>;
    readonly groups?: readonly GroupReport[];
    readonly early?: readonly EarlyDetectionPoint[];
    /** The cold-start study's rows: each provider's own-data AUC against the pooled one. */
    readonly coldStart?: readonly ColdStartRow[];
    readonly curves?: {
      readonly roc?: readonly RocPoint[];
      readonly pr?: readonly PrPoint[];
      readonly calibration?: Calibration;
    };
  };
  /** Per-learner losses of the model on its training (held-in) and test (held-out) learners. */
  readonly membership?: { readonly lossesIn: ArrayLike<number>; readonly lossesOut: ArrayLike<number> };
  readonly dp?: DpReport;
  readonly limits?: readonly string[];
  /** Also release each picture as PNG (resvg, loaded on first use); SVG only by default. */
  readonly png?: boolean;
}

export interface ReleaseFigures {
  readonly thresholds: ReleaseThresholds;
  readonly membership: MembershipInference | null;
  readonly model: { readonly released: boolean; readonly reason: string };
  readonly slices: { readonly released: number; readonly withheld: number };
  readonly earlyDays: { readonly released: number; readonly withheld: number };
  readonly coldStart: { readonly released: number; readonly withheld: number };
  readonly dp: {
    readonly epsilon: number;
    readonly delta: number;
    readonly rho: number;
    readonly charged: boolean;
  } | null;
}

export interface ReleaseDecision {
  readonly released: ReleasedItem[];
  readonly withheld: WithheldItem[];
  readonly decisions: ReleaseFigures;
}

function thresholdsOf(input: ReleaseGateInput): ReleaseThresholds {
  const check = (v: number | undefined, where: string, ok: (v: number) => boolean, what: string) => {
    if (v !== undefined && !ok(v)) throw new TrainError(`releaseGate.${where}: ${what}`);
    return v;
  };
  const isCohort = (v: number) => Number.isInteger(v) && v >= 1;
  const isAdvantage = (v: number) => v >= 0 && v <= 1;
  const aK = check(input.agreement.minCohort, "agreement.minCohort", isCohort, "an integer ≥ 1");
  const jK = check(input.job?.minCohort, "job.minCohort", isCohort, "an integer ≥ 1");
  const aA = check(input.agreement.maxAdvantage, "agreement.maxAdvantage", isAdvantage, "a number in [0, 1]");
  const jA = check(input.job?.maxAdvantage, "job.maxAdvantage", isAdvantage, "a number in [0, 1]");
  // The agreement's terms, or the defaults where it is silent, are the floor a job may only tighten.
  const baseK =
    aK === undefined
      ? { value: DEFAULT_MIN_COHORT, source: `the default of ${DEFAULT_MIN_COHORT}` }
      : { value: aK, source: `agreement ${input.agreement.id} (lp:minK)` };
  const minCohort = jK !== undefined && jK > baseK.value ? { value: jK, source: "the job" } : baseK;
  const baseA =
    aA === undefined
      ? { value: DEFAULT_MAX_ADVANTAGE, source: `the default of ${DEFAULT_MAX_ADVANTAGE}` }
      : { value: aA, source: `agreement ${input.agreement.id} (lp:maxAdvantage)` };
  const maxAdvantage = jA !== undefined && jA < baseA.value ? { value: jA, source: "the job" } : baseA;
  return {
    minCohort: minCohort.value,
    minCohortSource: minCohort.source,
    maxAdvantage: maxAdvantage.value,
    maxAdvantageSource: maxAdvantage.source,
    ...(input.agreement.maxEpsilon !== undefined && { maxEpsilon: input.agreement.maxEpsilon }),
  };
}

/** Gaps over the released groups only (the evaluation's gaps may name a withheld one). */
function gapsOf(groups: readonly ReleasedGroup[]): Gap[] {
  const metrics: GapMetric[] = ["auc", "averagePrecision", "brier", "positiveRate"];
  const gaps: Gap[] = [];
  for (const metric of metrics) {
    const comparable = groups.filter((g) => g[metric as keyof ReleasedGroup] !== null);
    if (comparable.length < 2) continue;
    const value = (g: ReleasedGroup) => g[metric as keyof ReleasedGroup] as number;
    let hi = comparable[0]!;
    let lo = comparable[0]!;
    for (const g of comparable) {
      if (value(g) > value(hi)) hi = g;
      if (value(g) < value(lo)) lo = g;
    }
    gaps.push({ metric, value: value(hi) - value(lo), highest: hi.group, lowest: lo.group });
  }
  return gaps;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "attribute";

const three = (v: number) => v.toFixed(3);

export function releaseGate(input: ReleaseGateInput): ReleaseDecision {
  const thresholds = thresholdsOf(input);
  const { minCohort } = thresholds;
  const released: ReleasedItem[] = [];
  const withheld: WithheldItem[] = [];
  const below = `fewer than the minimum cohort of ${minCohort} learners (${thresholds.minCohortSource})`;
  const { overall } = input.evaluation;
  if (!(Number.isInteger(overall.n) && overall.n >= 0))
    throw new TrainError("releaseGate.evaluation.overall.n: an integer ≥ 0");

  // Rule 1 on the whole test set, then on each slice.
  const overallPasses = overall.n >= minCohort;
  if (!overallPasses) withheld.push({ name: "metrics: overall", reason: `the test set has ${below}` });
  const splits: Record<string, number> = {};
  for (const [split, n] of Object.entries(input.data.splits)) {
    if (n >= minCohort) splits[split] = n;
    else withheld.push({ name: `split size: ${split}`, reason: `the split has ${below}` });
  }

  let slicesReleased = 0;
  let slicesWithheld = 0;
  const fairness: ReleasedGroupReport[] = [];
  (input.evaluation.groups ?? []).forEach((report, r) => {
    const kept: ReleasedGroup[] = [];
    let dropped = 0;
    report.groups.forEach((g, k) => {
      if (!(Number.isInteger(g.n) && g.n >= 0))
        throw new TrainError(`releaseGate.evaluation.groups[${r}].groups[${k}].n: an integer ≥ 0`);
      if (overallPasses && g.n >= minCohort) {
        kept.push({
          group: g.group,
          n: g.n,
          positiveRate: g.positiveRate,
          auc: g.auc,
          averagePrecision: g.averagePrecision,
          brier: g.brier,
        });
      } else {
        dropped++;
        withheld.push({
          name: `slice: ${report.attribute} = ${g.group}`,
          reason: overallPasses ? `the group has ${below}` : `the test set has ${below}`,
        });
      }
    });
    slicesReleased += kept.length;
    slicesWithheld += dropped;
    if (kept.length === 0) return;
    const countsHidden = dropped > 0;
    const groups = countsHidden ? kept.map((g) => ({ ...g, n: null, positiveRate: null })) : kept;
    const gaps = gapsOf(groups);
    fairness.push({
      attribute: report.attribute,
      groups,
      gaps,
      largestGap: gaps.find((g) => g.metric === "auc") ?? null,
      countsHidden,
    });
  });

  const early: EarlyDetectionPoint[] = [];
  let earlyWithheld = 0;
  for (const p of input.evaluation.early ?? []) {
    if (p.n !== undefined && p.n >= minCohort) early.push(p);
    else {
      earlyWithheld++;
      withheld.push({
        name: `early detection: day ${p.day}`,
        reason:
          p.n === undefined ? "the number of learners at that day is not known" : `the day has ${below}`,
      });
    }
  }
  early.sort((a, b) => a.day - b.day);

  // A cold-start row reports a provider's own train and test counts and AUCs: both counts must reach
  // the minimum cohort.
  const coldStart: ColdStartRow[] = [];
  let coldStartWithheld = 0;
  for (const row of input.evaluation.coldStart ?? []) {
    if (row.n_test >= minCohort && row.n_train_own >= minCohort) coldStart.push(row);
    else {
      coldStartWithheld++;
      withheld.push({
        name: `cold start: provider ${row.provider}`,
        reason: `its ${row.n_test < minCohort ? "test" : "own training"} learners are ${below}`,
      });
    }
  }

  // Rules 2 and 3: the model itself.
  const membership = input.membership ? membershipInference(input.membership) : null;
  const modelReason = ((): { released: boolean; reason: string } => {
    if (!membership) return { released: false, reason: "no membership-inference test was run on it" };
    if (membership.advantage > thresholds.maxAdvantage)
      return {
        released: false,
        reason: `its membership-inference advantage ${three(membership.advantage)} exceeds the bound ${thresholds.maxAdvantage} (${thresholds.maxAdvantageSource})`,
      };
    const dp = input.dp;
    if (dp) {
      if (input.model.kind !== "logistic")
        return { released: false, reason: "a DP report comes with a logistic model only" };
      if (!dp.charge)
        return { released: false, reason: "its privacy cost was not charged to the budget ledger" };
      if (thresholds.maxEpsilon !== undefined && dp.epsilon > thresholds.maxEpsilon)
        return {
          released: false,
          reason: `its ε = ${dp.epsilon} exceeds the agreement's lp:maxEpsilon ${thresholds.maxEpsilon}`,
        };
    }
    return {
      released: true,
      reason: `membership-inference advantage ${three(membership.advantage)} within ${thresholds.maxAdvantage}${dp ? `; DP (ε = ${dp.epsilon}, δ = ${dp.delta}) charged` : ""}`,
    };
  })();
  if (modelReason.released) {
    released.push(
      {
        name: "model.json",
        kind: "model",
        reason: modelReason.reason,
        mediaType: "application/json",
        content: `${JSON.stringify(modelToJson(input.model), null, 2)}\n`,
      },
      {
        name: "model.onnx",
        kind: "model",
        reason: modelReason.reason,
        mediaType: "application/onnx",
        content: toOnnx(input.model),
      },
    );
  } else {
    withheld.push({ name: "model.json", reason: `the model is withheld: ${modelReason.reason}` });
    withheld.push({ name: "model.onnx", reason: `the model is withheld: ${modelReason.reason}` });
  }

  // Pictures, from released slices only.
  const pictures: ReleasedItem[] = [];
  const picture = (name: string, svg: string, reason: string) => {
    pictures.push({ name, kind: "picture", reason, mediaType: "image/svg+xml", content: svg });
    if (input.png)
      pictures.push({
        name: name.replace(/\.svg$/, ".png"),
        kind: "picture",
        reason,
        mediaType: "image/png",
        content: svgToPng(svg),
      });
  };
  const curves = input.evaluation.curves;
  const metricsOverall: Record<string, number> = {};
  if (overallPasses) {
    for (const [k, v] of Object.entries(overall))
      if (typeof v === "number" && Number.isFinite(v)) metricsOverall[k] = v;
    const passing = `the test set has ${overall.n} ≥ ${minCohort} learners`;
    if (curves?.roc && curves.roc.length > 0)
      picture(
        "roc.svg",
        rocSvg([{ label: "test", points: curves.roc, auc: overall.auc ?? Number.NaN }]),
        passing,
      );
    if (curves?.pr && curves.pr.length > 0)
      picture(
        "pr.svg",
        prSvg(
          [{ label: "test", points: curves.pr, averagePrecision: overall.averagePrecision ?? Number.NaN }],
          overall.positives === undefined ? undefined : overall.positives / overall.n,
        ),
        passing,
      );
    if (curves?.calibration) {
      const bins = curves.calibration.bins.filter((b) => b.count >= minCohort);
      const dropped = curves.calibration.bins.length - bins.length;
      if (dropped > 0)
        withheld.push({
          name: "calibration bins",
          reason: `${dropped} bin(s) with ${below}, left out of the picture`,
        });
      if (bins.length > 0)
        picture(
          "calibration.svg",
          calibrationSvg([{ label: "test", calibration: { ...curves.calibration, bins } }]),
          passing,
        );
    }
  } else if (curves && (curves.roc || curves.pr || curves.calibration)) {
    withheld.push({ name: "roc.svg, pr.svg, calibration.svg", reason: `the test set has ${below}` });
  }
  const used = new Set<string>();
  for (const report of fairness) {
    // "Age band" and "age-band" would share a file name: number the second.
    let name = `fairness-${slug(report.attribute)}`;
    for (let k = 2; used.has(name); k++) name = `fairness-${slug(report.attribute)}-${k}`;
    used.add(name);
    const bars = report.groups
      .filter((g) => g.auc !== null)
      .map((g) => ({ label: g.n === null ? g.group : `${g.group} (n=${g.n})`, value: g.auc! }));
    if (bars.length === 0) continue;
    picture(
      `${name}.svg`,
      barChart({
        title: `ROC-AUC by ${report.attribute}${report.largestGap ? ` (largest gap ${three(report.largestGap.value)})` : ""}`,
        valueLabel: "ROC-AUC",
        domain: [0, 1],
        format: three,
        bars,
      }),
      "released groups only",
    );
  }
  if (fairness.length > 1)
    picture(
      "fairness-gaps.svg",
      barChart({
        title: "Largest ROC-AUC gap between released groups",
        valueLabel: "Highest − lowest group ROC-AUC",
        format: three,
        bars: fairness.map((r) =>
          r.largestGap
            ? { label: r.attribute, value: r.largestGap.value }
            : { label: r.attribute, value: 0, muted: "fewer than two groups to compare" },
        ),
      }),
      "gaps between released groups only",
    );
  if (early.length > 0)
    picture(
      "early-detection.svg",
      earlyDetectionSvg([
        { label: "test", curve: { points: early, best: early.reduce((b, p) => (p.auc > b.auc ? p : b)) } },
      ]),
      "days with at least the minimum cohort only",
    );

  if (coldStart.length > 0)
    picture(
      "cold-start.svg",
      coldStartSvg(coldStart.map((r) => ({ provider: r.provider, own: r.auc_own, pooled: r.auc_pool }))),
      "providers with at least the minimum cohort of own and test learners only",
    );

  const releasedMetrics = overallPasses || fairness.length > 0 || early.length > 0 || coldStart.length > 0;
  const metricsDocument = {
    overall: overallPasses ? metricsOverall : null,
    fairness,
    earlyDetection: early,
    coldStart,
    membership,
    thresholds,
    ...(input.dp && {
      dp: {
        mechanism: input.dp.mechanism,
        epsilon: input.dp.epsilon,
        delta: input.dp.delta,
        rho: input.dp.rho,
      },
    }),
  };

  const card = modelCard({
    title: input.title,
    model: {
      kind: input.model.kind,
      features: input.model.featureNames,
      released: modelReason.released,
      ...(!modelReason.released && { reason: modelReason.reason }),
    },
    agreement: input.agreement,
    data: { ...input.data, splits },
    metrics: overallPasses ? metricsOverall : null,
    fairness,
    early,
    ...(membership && { membership }),
    ...(input.dp && { dp: input.dp }),
    thresholds,
    withheld,
    ...(input.limits && { limits: input.limits }),
    pictures: pictures.filter((p) => p.mediaType === "image/svg+xml").map((p) => p.name),
  });
  released.push({
    name: "README.md",
    kind: "card",
    reason: "the model card, written from released items only",
    mediaType: "text/markdown",
    content: card,
  });
  if (releasedMetrics)
    released.push({
      name: "metrics.json",
      kind: "metrics",
      reason: "slices with at least the minimum cohort only",
      mediaType: "application/json",
      content: `${JSON.stringify(metricsDocument, null, 2)}\n`,
    });
  released.push(...pictures);

  return {
    released,
    withheld,
    decisions: {
      thresholds,
      membership,
      model: modelReason,
      slices: { released: slicesReleased, withheld: slicesWithheld },
      earlyDays: { released: early.length, withheld: earlyWithheld },
      coldStart: { released: coldStart.length, withheld: coldStartWithheld },
      dp: input.dp
        ? {
            epsilon: input.dp.epsilon,
            delta: input.dp.delta,
            rho: input.dp.rho,
            charged: input.dp.charge !== undefined,
          }
        : null,
    },
  };
}
