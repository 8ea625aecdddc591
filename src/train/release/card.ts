import type { NextPolicy } from "../../contract/enforcement/rules.js";
import type { EarlyDetectionPoint } from "../evaluate/early.js";
import type { Gap } from "../evaluate/groups.js";
import type { DpReport } from "./dp-logistic.js";
import type { MembershipInference } from "./mia.js";

/**
 * The model card that travels with a released model: Markdown with YAML front matter in the manner of
 * Hugging Face model cards (license, tags, datasets, metrics), then intended use, data, metrics,
 * fairness, privacy, limits, what a recipient must do (the agreement's nextPolicy) and what was
 * withheld and why. It is written from what the gate released only: a withheld slice never appears,
 * except by name in the withheld list. No learner, pseudonym or row is ever in it.
 */

/** One group of a fairness attribute as released: counts are null where they would give away a withheld group. */
export interface ReleasedGroup {
  readonly group: string;
  readonly n: number | null;
  readonly positiveRate: number | null;
  readonly auc: number | null;
  readonly averagePrecision: number | null;
  readonly brier: number;
}

export interface ReleasedGroupReport {
  readonly attribute: string;
  readonly groups: readonly ReleasedGroup[];
  /** Recomputed over the released groups only. */
  readonly gaps: readonly Gap[];
  readonly largestGap: Gap | null;
  /** True when a group was withheld: the others' counts are hidden so that it cannot be recovered by difference. */
  readonly countsHidden: boolean;
}

export interface WithheldItem {
  readonly name: string;
  readonly reason: string;
}

export interface ReleaseThresholds {
  readonly minCohort: number;
  readonly minCohortSource: string;
  readonly maxAdvantage: number;
  readonly maxAdvantageSource: string;
  readonly maxEpsilon?: number;
}

export interface ModelCardInput {
  /** What the model predicts, in a few words ("withdrawal or failure by day 28"). */
  readonly title: string;
  readonly model: {
    readonly kind: "logistic" | "gbdt";
    readonly features: readonly string[];
    readonly released: boolean;
    /** Why, when it was not. */
    readonly reason?: string;
  };
  readonly agreement: {
    readonly id: string;
    /** The purposes the agreement grants (DPV IRIs or words). */
    readonly purposes: readonly string[];
    readonly nextPolicies: readonly NextPolicy[];
  };
  readonly data: {
    readonly dataset: string;
    readonly view: string;
    readonly label: string;
    /** Learners per split (train, validation, test): each at least the minimum cohort, or the gate withholds it. */
    readonly splits: Readonly<Record<string, number>>;
  };
  /** Overall test metrics, null when withheld. */
  readonly metrics: Readonly<Record<string, number>> | null;
  readonly fairness: readonly ReleasedGroupReport[];
  readonly early: readonly EarlyDetectionPoint[];
  readonly membership?: MembershipInference;
  readonly dp?: DpReport;
  readonly thresholds: ReleaseThresholds;
  readonly withheld: readonly WithheldItem[];
  /** Limits the job states beyond those the card always states. */
  readonly limits?: readonly string[];
  readonly pictures?: readonly string[];
}

const METRIC_NAMES: Record<string, string> = {
  auc: "ROC-AUC",
  averagePrecision: "Average precision",
  brier: "Brier score",
  logLoss: "Log loss",
  ece: "Expected calibration error",
};
const HF_METRICS: Record<string, string> = {
  auc: "roc_auc",
  averagePrecision: "average_precision",
  brier: "brier_score",
  logLoss: "log_loss",
  ece: "expected_calibration_error",
};

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || Number.isNaN(v)
    ? "—"
    : Number.isInteger(v)
      ? String(v)
      : v.toFixed(digits);
/** A Markdown table cell: pipes and line breaks would break the table. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
/** A YAML scalar: JSON strings are valid double-quoted YAML. */
const yaml = (text: string) => JSON.stringify(text);
const purposeName = (iri: string) => iri.replace(/^.*[#/]/, "");

export function modelCard(input: ModelCardInput): string {
  const { model, agreement, data, thresholds } = input;
  const tags = [
    "learnpool",
    "tabular-classification",
    model.kind === "logistic" ? "logistic-regression" : "gradient-boosted-trees",
    ...(input.dp ? ["differential-privacy"] : []),
  ];
  const metricKeys = input.metrics
    ? Object.keys(input.metrics).filter((k) => k !== "n" && k !== "positives")
    : [];
  const front = [
    "---",
    "license: other",
    `license_name: ${yaml(`learnpool-agreement-${agreement.id}`)}`,
    ...(agreement.nextPolicies[0] ? [`license_link: ${yaml(agreement.nextPolicies[0].policy)}`] : []),
    "library_name: learnpool",
    "pipeline_tag: tabular-classification",
    "tags:",
    ...tags.map((t) => `  - ${yaml(t)}`),
    "datasets:",
    `  - ${yaml(data.dataset)}`,
    ...(metricKeys.length > 0
      ? ["metrics:", ...metricKeys.map((k) => `  - ${yaml(HF_METRICS[k] ?? k)}`)]
      : []),
    "---",
  ];
  const out: string[] = [...front, "", `# Model card: ${input.title}`, ""];
  out.push(
    model.released
      ? `A ${model.kind === "logistic" ? "logistic regression" : "gradient-boosted tree ensemble"} on ${model.features.length} features, trained in Learnpool's trusted environment under agreement \`${agreement.id}\`.`
      : `**The model itself is withheld**: ${model.reason ?? "it did not pass the release gate"}. This card and the metrics below are what was released.`,
    "",
  );

  out.push("## Intended use", "");
  if (agreement.purposes.length > 0)
    out.push(
      `Only for the purposes agreement \`${agreement.id}\` grants: ${agreement.purposes.map((p) => `${purposeName(p)} (<${p}>)`).join(", ")}.`,
    );
  else out.push(`Only for the purposes agreement \`${agreement.id}\` grants.`);
  out.push(
    "It estimates a risk for a group of learners to act on (support, review); it is not for decisions about a single learner without a human review, nor for any purpose the agreement does not grant.",
    "",
  );

  out.push("## Data", "");
  out.push(
    `- Dataset version: \`${data.dataset}\``,
    `- View: \`${data.view}\``,
    `- Label: \`${data.label}\``,
  );
  for (const [split, n] of Object.entries(data.splits)) out.push(`- ${split}: ${n} learners`);
  out.push(`- Features (${model.features.length}): ${model.features.map((f) => `\`${f}\``).join(", ")}`, "");

  out.push("## Metrics", "");
  if (input.metrics) {
    out.push("On the held-out test learners:", "", "| Metric | Value |", "| --- | --- |");
    for (const k of metricKeys) out.push(`| ${cell(METRIC_NAMES[k] ?? k)} | ${fmt(input.metrics[k])} |`);
    out.push("");
  } else out.push("Withheld (see below).", "");
  if (input.early.length > 0) {
    out.push(
      "Early detection (ROC-AUC by cut-off day):",
      "",
      "| Day | ROC-AUC | Learners |",
      "| --- | --- | --- |",
    );
    for (const p of input.early) out.push(`| ${p.day} | ${fmt(p.auc)} | ${fmt(p.n)} |`);
    out.push("");
  }

  out.push("## Fairness", "");
  if (input.fairness.length === 0) out.push("No group attribute was evaluated, or none passed the gate.", "");
  for (const report of input.fairness) {
    out.push(`### By ${cell(report.attribute)}`, "");
    out.push(
      "| Group | Learners | Positive rate | ROC-AUC | Average precision | Brier |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const g of report.groups)
      out.push(
        `| ${cell(g.group)} | ${g.n === null ? `≥ ${thresholds.minCohort}` : g.n} | ${fmt(g.positiveRate)} | ${fmt(g.auc)} | ${fmt(g.averagePrecision)} | ${fmt(g.brier)} |`,
      );
    out.push("");
    if (report.largestGap)
      out.push(
        `Largest ROC-AUC gap: ${fmt(report.largestGap.value)} (${cell(report.largestGap.highest)} highest, ${cell(report.largestGap.lowest)} lowest).`,
      );
    else out.push("Fewer than two groups with an AUC to compare: no gap.");
    if (report.countsHidden)
      out.push(
        "A group of this attribute was withheld, so the counts and positive rates of the others are not shown: the withheld group would follow from them by difference.",
      );
    out.push("");
  }

  out.push("## Privacy", "");
  if (input.membership) {
    const m = input.membership;
    out.push(
      `Membership inference (loss-threshold attack, Yeom et al. 2018) on ${m.heldIn} training against ${m.heldOut} held-out learners: advantage ${fmt(m.advantage)} (attack AUC ${fmt(m.auc)}); the release bound is ${fmt(thresholds.maxAdvantage)} (${thresholds.maxAdvantageSource}). On samples of these sizes chance alone reaches about ${fmt(m.chanceLevel)} (5 % of the time).`,
    );
  } else out.push("No membership-inference test was run: the model cannot be released.");
  if (input.dp) {
    const dp = input.dp;
    out.push(
      "",
      `Trained with differential privacy: ${dp.mechanism}, (ε = ${dp.epsilon}, δ = ${dp.delta}) — ρ = ${dp.rho.toPrecision(6)} in zCDP — with per-learner gradient clipping at ${dp.clip}, noise multiplier ${dp.noiseMultiplier.toPrecision(4)}, ${dp.epochs} steps; charged to the privacy-budget ledger${dp.charge ? ` (charge ${dp.charge.id})` : ""}. One learner's presence changes the distribution of this model by at most that much.`,
    );
  }
  out.push("");

  out.push("## Limits", "");
  const limits = [
    `Every metric slice reported has at least ${thresholds.minCohort} learners (${thresholds.minCohortSource}); smaller ones are withheld, so a group absent here may exist.`,
    "Metrics come from one held-out split of one dataset version: they estimate, with sampling error, how the model does on learners like these; another provider, course or year may differ.",
    "A fairness gap is measured only for the attributes present in the data; it says nothing of others.",
    ...(input.dp
      ? [
          "The DP guarantee is per learner with one row per learner in the training table; the noise is the floating-point Gaussian (not the exact discrete sampler of the statistics), its tails cut beyond about 8σ.",
        ]
      : [
          "Without differential privacy the model may still carry traces of individual learners; the membership test bounds one attack, not all.",
        ]),
    ...(input.limits ?? []),
  ];
  for (const l of limits) out.push(`- ${l}`);
  out.push("");

  out.push("## What a recipient must do (next policy)", "");
  if (agreement.nextPolicies.length === 0)
    out.push(
      `Agreement \`${agreement.id}\` states no nextPolicy duty. Use stays bounded by that agreement: its purposes, dates and prohibitions apply to the model and all that is derived from it.`,
    );
  else {
    out.push(
      `Agreement \`${agreement.id}\` carries an ODRL nextPolicy duty: whoever receives this model, or anything derived from it, receives it under the following policy, must comply with it, and must pass it on with every further transfer.`,
      "",
    );
    for (const n of agreement.nextPolicies)
      out.push(`- <${n.policy}> (duty \`${n.duty}\` of permission \`${n.from}\`)`);
  }
  out.push("");

  if (input.pictures && input.pictures.length > 0) {
    out.push("## Pictures", "");
    for (const p of input.pictures) out.push(`- ![${p}](${p})`);
    out.push("");
  }

  out.push("## Withheld", "");
  if (input.withheld.length === 0) out.push("Nothing.");
  for (const w of input.withheld) out.push(`- \`${cell(w.name)}\`: ${w.reason}`);
  out.push("");
  return out.join("\n");
}
