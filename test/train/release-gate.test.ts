import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/contract/index.js";
import {
  calibration,
  fitGbdt,
  fitLogistic,
  type GroupReport,
  groupMetrics,
  type Model,
  prCurve,
  predict,
  rocCurve,
  summarize,
  syntheticTable,
} from "../../src/train/index.js";
import type { DpReport } from "../../src/train/release/index.js";
import {
  agreementForRelease,
  DEFAULT_MAX_ADVANTAGE,
  DEFAULT_MIN_COHORT,
  modelCard,
  perExampleLosses,
  type ReleaseGateInput,
  releaseGate,
} from "../../src/train/release/index.js";

const EX = "https://example.org/";
const policy = parsePolicy(
  readFileSync(new URL("fixtures/release/agreement.jsonld", import.meta.url), "utf8"),
);
const agreement = agreementForRelease("agr-7", policy);

const text = (content: string | Uint8Array) =>
  typeof content === "string" ? content : Buffer.from(content).toString("latin1");

describe("the agreement's terms for release", () => {
  it("reads the strictest lp:minK, lp:maxEpsilon, lp:maxAdvantage, the purposes and the nextPolicy duty", () => {
    expect(agreement).toEqual({
      id: "agr-7",
      purposes: ["https://w3id.org/dpv#TrainAIModel"],
      nextPolicies: [
        { duty: `${EX}duties/next`, from: `${EX}rules/release`, policy: `${EX}policies/model-terms` },
      ],
      // gteq 12 and gt 4 (= at least 5): 12 is the stricter.
      minCohort: 12,
      maxEpsilon: 2,
      // lteq 0.08 and lt 0.2: 0.08 is the stricter.
      maxAdvantage: 0.08,
    });
  });
});

/** A trained model with its evaluation, as a job's runner hands it to the gate. */
function job(
  model: Model,
  train: ReturnType<typeof syntheticTable>,
  test: ReturnType<typeof syntheticTable>,
) {
  const pIn = predict(model, train.table);
  const pOut = predict(model, test.table);
  const s = summarize(pOut, test.labels);
  // A group attribute with a tiny group: every 40th learner is "zeta".
  const gender = Array.from({ length: test.table.rows }, (_, i) =>
    i % 40 === 0 ? "zeta" : i % 2 ? "f" : "m",
  );
  const groups = groupMetrics(pOut, test.labels, gender, { attribute: "gender" });
  return {
    title: "at risk by day 28",
    model,
    data: {
      dataset: "dropout-v3",
      view: "day28",
      label: "atRisk",
      splits: { train: train.table.rows, test: test.table.rows },
    },
    agreement,
    evaluation: {
      overall: { ...s },
      groups: [groups],
      early: [
        { day: 7, auc: 0.61, n: test.table.rows },
        { day: 28, auc: s.auc, n: test.table.rows },
      ],
      curves: {
        roc: rocCurve(pOut, test.labels),
        pr: prCurve(pOut, test.labels),
        calibration: calibration(pOut, test.labels),
      },
    },
    membership: {
      lossesIn: perExampleLosses(pIn, train.labels),
      lossesOut: perExampleLosses(pOut, test.labels),
    },
  } satisfies ReleaseGateInput;
}

describe("release gate on trained models", () => {
  const train = syntheticTable({ rows: 300, features: 16, seed: 5 });
  const test = syntheticTable({ rows: 400, features: 16, seed: 6 });

  it("a deliberately overfit GBDT (deep trees, tiny data) fails the membership test and is withheld", () => {
    const gbdt = fitGbdt(train.table, train.labels, {
      trees: 200,
      maxDepth: 10,
      learningRate: 0.5,
      minChildWeight: 0,
      lambda: 0,
    });
    const decision = releaseGate(job(gbdt, train, test));
    expect(decision.decisions.membership!.advantage).toBeGreaterThan(0.4);
    expect(decision.decisions.model.released).toBe(false);
    expect(decision.decisions.model.reason).toMatch(
      /membership-inference advantage 0\.\d{3} exceeds the bound 0\.08 \(agreement agr-7 \(lp:maxAdvantage\)\)/,
    );
    expect(decision.released.map((r) => r.name)).not.toContain("model.json");
    expect(decision.withheld.find((w) => w.name === "model.json")?.reason).toMatch(
      /^the model is withheld: /,
    );
    // The metrics that pass the cohort rule still leave, and the card says why the model does not.
    expect(decision.released.map((r) => r.kind)).toEqual(
      expect.arrayContaining(["card", "metrics", "picture"]),
    );
    const card = text(decision.released.find((r) => r.kind === "card")!.content);
    expect(card).toContain("**The model itself is withheld**");
  });

  it("a regularized logistic regression passes and is released as JSON and ONNX", () => {
    const logistic = fitLogistic(train.table, train.labels, { l2: 0.05 });
    const decision = releaseGate(job(logistic, train, test));
    expect(decision.decisions.membership!.advantage).toBeLessThanOrEqual(DEFAULT_MAX_ADVANTAGE);
    expect(decision.decisions.model).toMatchObject({ released: true });
    const names = decision.released.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "model.json",
        "model.onnx",
        "README.md",
        "metrics.json",
        "roc.svg",
        "pr.svg",
        "calibration.svg",
        "fairness-gender.svg",
        "early-detection.svg",
      ]),
    );
    expect(JSON.parse(text(decision.released.find((r) => r.name === "model.json")!.content))).toMatchObject({
      format: "learnpool.model",
      kind: "logistic",
    });
  });

  it("the small group is in no metric, picture or table of the card; the others' counts are hidden", () => {
    const logistic = fitLogistic(train.table, train.labels, { l2: 0.05 });
    const decision = releaseGate(job(logistic, train, test));
    // 10 "zeta" of 400: below the agreement's 12.
    expect(decision.decisions.thresholds).toMatchObject({
      minCohort: 12,
      minCohortSource: "agreement agr-7 (lp:minK)",
    });
    expect(decision.withheld).toContainEqual({
      name: "slice: gender = zeta",
      reason: "the group has fewer than the minimum cohort of 12 learners (agreement agr-7 (lp:minK))",
    });
    expect(decision.decisions.slices).toEqual({ released: 2, withheld: 1 });
    for (const item of decision.released.filter((r) => r.kind === "picture" || r.kind === "metrics"))
      expect(text(item.content), item.name).not.toContain("zeta");
    const metrics = JSON.parse(text(decision.released.find((r) => r.name === "metrics.json")!.content));
    expect(
      metrics.fairness[0].groups.map((g: { group: string; n: number | null }) => [g.group, g.n]),
    ).toEqual([
      ["f", null],
      ["m", null],
    ]);
    const card = text(decision.released.find((r) => r.kind === "card")!.content);
    const [body, withheldSection] = card.split("## Withheld");
    expect(body).not.toContain("zeta");
    expect(body).toContain("| f | ≥ 12 |");
    expect(withheldSection).toContain(
      "`slice: gender = zeta`: the group has fewer than the minimum cohort of 12",
    );
    // No per-learner value leaves: no loss, no score, no row count of the small group.
    expect(card).not.toMatch(/\| zeta \|/);
    expect(text(decision.released.find((r) => r.name === "metrics.json")!.content)).not.toContain("losses");
  });

  it("the card: YAML front matter, intended use, data, metrics, fairness, limits and the nextPolicy", () => {
    const logistic = fitLogistic(train.table, train.labels, { l2: 0.05 });
    const card = text(
      releaseGate(job(logistic, train, test)).released.find((r) => r.kind === "card")!.content,
    );
    const front = card.split("---\n")[1]!;
    expect(front).toContain("license: other");
    expect(front).toContain('license_name: "learnpool-agreement-agr-7"');
    expect(front).toContain(`license_link: "${EX}policies/model-terms"`);
    expect(front).toContain('datasets:\n  - "dropout-v3"');
    expect(front).toContain('metrics:\n  - "roc_auc"');
    expect(front).toContain(
      'tags:\n  - "learnpool"\n  - "tabular-classification"\n  - "logistic-regression"',
    );
    for (const heading of [
      "Intended use",
      "Data",
      "Metrics",
      "Fairness",
      "Privacy",
      "Limits",
      "What a recipient must do (next policy)",
      "Withheld",
    ])
      expect(card).toContain(`## ${heading}`);
    expect(card).toContain("TrainAIModel (<https://w3id.org/dpv#TrainAIModel>)");
    expect(card).toContain("- train: 300 learners");
    expect(card).toContain(`- <${EX}policies/model-terms> (duty \`${EX}duties/next\``);
    expect(card).toContain("must pass it on with every further transfer");
    expect(card).toMatch(
      /Membership inference \(loss-threshold attack, Yeom et al\. 2018\) on 300 training against 400 held-out learners/,
    );
  });
});

const craftedTable = syntheticTable({ rows: 200, features: 16, seed: 1 });
const craftedModel = fitLogistic(craftedTable.table, craftedTable.labels);

/** A crafted evaluation: figures chosen by hand, no model behind the metrics. */
function crafted(overrides: Partial<ReleaseGateInput> = {}): ReleaseGateInput {
  const region: GroupReport = {
    attribute: "region",
    minSize: 1,
    groups: [
      {
        group: "north",
        n: 40,
        positives: 10,
        positiveRate: 0.25,
        meanScore: 0.3,
        auc: 0.8,
        averagePrecision: 0.5,
        brier: 0.15,
        small: false,
      },
      {
        group: "south",
        n: 30,
        positives: 12,
        positiveRate: 0.4,
        meanScore: 0.35,
        auc: 0.7,
        averagePrecision: 0.55,
        brier: 0.18,
        small: false,
      },
      {
        group: "east",
        n: 25,
        positives: 5,
        positiveRate: 0.2,
        meanScore: 0.25,
        auc: 0.9,
        averagePrecision: 0.6,
        brier: 0.1,
        small: false,
      },
    ],
    gaps: [],
    largestGap: null,
  };
  return {
    title: "crafted",
    model: craftedModel,
    data: { dataset: "d-v1", view: "v", label: "y", splits: { train: 200, validation: 6, test: 95 } },
    agreement: { id: "agr-1", purposes: [], nextPolicies: [] },
    evaluation: {
      overall: { n: 95, positives: 27, auc: 0.8, averagePrecision: 0.5, brier: 0.15 },
      groups: [region],
      early: [
        { day: 0, auc: 0.55, n: 95 },
        { day: 14, auc: 0.7, n: 8 },
        { day: 28, auc: 0.8 },
      ],
    },
    // Equal losses in and out: advantage 0.
    membership: { lossesIn: [0.2, 0.5, 0.9, 1.1], lossesOut: [1.1, 0.9, 0.5, 0.2] },
    ...overrides,
  };
}

const names = (items: readonly { name: string }[]) => items.map((i) => i.name);

describe("release gate rules on crafted inputs", () => {
  it("defaults: minimum cohort 10 and advantage 0.1, documented as such; all slices pass", () => {
    const d = releaseGate(crafted());
    expect(d.decisions.thresholds).toEqual({
      minCohort: DEFAULT_MIN_COHORT,
      minCohortSource: "the default of 10",
      maxAdvantage: DEFAULT_MAX_ADVANTAGE,
      maxAdvantageSource: "the default of 0.1",
    });
    expect(d.decisions.slices).toEqual({ released: 3, withheld: 0 });
    const metrics = JSON.parse(text(d.released.find((r) => r.name === "metrics.json")!.content));
    // Nothing withheld in the attribute: counts shown, gaps over the released groups.
    expect(metrics.fairness[0].groups.map((g: { n: number }) => g.n)).toEqual([40, 30, 25]);
    expect(metrics.fairness[0].largestGap).toMatchObject({ highest: "east", lowest: "south" });
    expect(metrics.fairness[0].largestGap.value).toBeCloseTo(0.2, 12);
  });

  it("early-detection days below the cohort, or of unknown size, are withheld from metrics and picture", () => {
    const d = releaseGate(crafted());
    expect(d.withheld).toEqual(
      expect.arrayContaining([
        {
          name: "early detection: day 14",
          reason: "the day has fewer than the minimum cohort of 10 learners (the default of 10)",
        },
        { name: "early detection: day 28", reason: "the number of learners at that day is not known" },
        {
          name: "split size: validation",
          reason: "the split has fewer than the minimum cohort of 10 learners (the default of 10)",
        },
      ]),
    );
    expect(d.decisions.earlyDays).toEqual({ released: 1, withheld: 2 });
    const metrics = JSON.parse(text(d.released.find((r) => r.name === "metrics.json")!.content));
    expect(metrics.earlyDetection).toEqual([{ day: 0, auc: 0.55, n: 95 }]);
    const card = text(d.released.find((r) => r.kind === "card")!.content);
    expect(card).toContain("| 0 | 0.550 | 95 |");
    expect(card).not.toContain("| 14 |");
    expect(card).not.toContain("validation: 6");
  });

  it("cold-start rows leave only when the provider's own train and test counts reach the cohort", () => {
    const row = (provider: string, own: number, test: number) => ({
      provider,
      n_train_own: own,
      n_train_pool: 300,
      n_test: test,
      auc_own: 0.6,
      auc_pool: 0.7,
      gain: 0.1,
      gain_low: 0.02,
      gain_high: 0.18,
      resamples_dropped: 0,
    });
    const base = crafted();
    const d = releaseGate(
      crafted({
        evaluation: {
          ...base.evaluation,
          coldStart: [row("big", 120, 40), row("few", 6, 30), row("tiny", 50, 9)],
        },
      }),
    );
    expect(d.decisions.coldStart).toEqual({ released: 1, withheld: 2 });
    const metrics = JSON.parse(text(d.released.find((r) => r.name === "metrics.json")!.content));
    expect(metrics.coldStart.map((r: { provider: string }) => r.provider)).toEqual(["big"]);
    const svg = text(d.released.find((r) => r.name === "cold-start.svg")!.content);
    expect(svg).toContain("big");
    expect(svg).not.toContain("few");
    expect(d.withheld).toEqual(
      expect.arrayContaining([
        {
          name: "cold start: provider few",
          reason:
            "its own training learners are fewer than the minimum cohort of 10 learners (the default of 10)",
        },
        {
          name: "cold start: provider tiny",
          reason: "its test learners are fewer than the minimum cohort of 10 learners (the default of 10)",
        },
      ]),
    );
    // Without a study, no picture and nothing withheld for it.
    expect(names(releaseGate(crafted()).released)).not.toContain("cold-start.svg");
  });

  it("the stricter of agreement and job applies: a job may tighten, never loosen", () => {
    const agreementWith = (minCohort: number, maxAdvantage?: number) => ({
      id: "agr-1",
      purposes: [],
      nextPolicies: [],
      minCohort,
      ...(maxAdvantage !== undefined && { maxAdvantage }),
    });
    const loose = releaseGate(
      crafted({ agreement: agreementWith(30), job: { minCohort: 5, maxAdvantage: 0.3 } }),
    );
    // The agreement is silent on the advantage: the default stands in for it, and the job's 0.3 is
    // looser, so it does not apply.
    expect(loose.decisions.thresholds).toMatchObject({
      minCohort: 30,
      maxAdvantage: 0.1,
      maxAdvantageSource: "the default of 0.1",
    });
    // 30 learners: south passes (30 ≥ 30), east (25) does not; the others' counts then hide.
    expect(names(loose.withheld)).toContain("slice: region = east");
    expect(names(loose.withheld)).not.toContain("slice: region = south");
    const strict = releaseGate(
      crafted({ agreement: agreementWith(10, 0.05), job: { minCohort: 41, maxAdvantage: 0.2 } }),
    );
    expect(strict.decisions.thresholds).toMatchObject({
      minCohort: 41,
      minCohortSource: "the job",
      maxAdvantage: 0.05,
      maxAdvantageSource: "agreement agr-1 (lp:maxAdvantage)",
    });
    expect(strict.decisions.slices).toEqual({ released: 0, withheld: 3 });
    expect(names(strict.released)).not.toContain("fairness-region.svg");
    expect(() => releaseGate(crafted({ job: { minCohort: 0 } }))).toThrow(
      "releaseGate.job.minCohort: an integer ≥ 1",
    );
    expect(() => releaseGate(crafted({ job: { maxAdvantage: 2 } }))).toThrow(
      "releaseGate.job.maxAdvantage: a number in [0, 1]",
    );
  });

  it("a test set below the cohort withholds every metric and picture; the card still says why", () => {
    const small = crafted();
    const d = releaseGate({ ...small, evaluation: { ...small.evaluation, overall: { n: 9, auc: 0.8 } } });
    expect(names(d.withheld)).toEqual(expect.arrayContaining(["metrics: overall", "slice: region = north"]));
    expect(d.decisions.slices).toEqual({ released: 0, withheld: 3 });
    expect(d.released.filter((r) => r.kind === "picture").map((r) => r.name)).toEqual([
      "early-detection.svg",
    ]);
    const card = text(d.released.find((r) => r.kind === "card")!.content);
    expect(card).toContain("## Metrics\n\nWithheld (see below).");
  });

  it("the model is withheld without a membership test, above the bound, or with an unaccounted DP report", () => {
    expect(releaseGate(crafted({ membership: undefined })).decisions.model).toEqual({
      released: false,
      reason: "no membership-inference test was run on it",
    });
    const leaky = releaseGate(
      crafted({ membership: { lossesIn: [0.01, 0.02, 0.03], lossesOut: [0.5, 0.7, 0.9] } }),
    );
    expect(leaky.decisions.model.reason).toBe(
      "its membership-inference advantage 1.000 exceeds the bound 0.1 (the default of 0.1)",
    );
    expect(leaky.decisions.membership).toMatchObject({ advantage: 1, auc: 1 });
    // Metrics still leave when the model does not.
    expect(names(leaky.released)).toEqual(expect.arrayContaining(["README.md", "metrics.json"]));
    const dp: DpReport = {
      epsilon: 3,
      delta: 1e-6,
      rho: 0.2,
      rhoGradients: 0.196,
      rhoCount: 0.004,
      noiseMultiplier: 10,
      countSigma: 11,
      clip: 1,
      epochs: 100,
      mechanism: "m",
      seeded: false,
    };
    expect(releaseGate(crafted({ dp })).decisions.model.reason).toBe(
      "its privacy cost was not charged to the budget ledger",
    );
    const charged = {
      ...dp,
      charge: {
        id: 1,
        at: "",
        actor: "a",
        statistic: "s",
        mechanism: "m",
        epsilon: "3.0",
        delta: "0.000001",
      },
    };
    const overEpsilon = releaseGate(
      crafted({ dp: charged, agreement: { id: "agr-1", purposes: [], nextPolicies: [], maxEpsilon: 2 } }),
    );
    expect(overEpsilon.decisions.model.reason).toBe("its ε = 3 exceeds the agreement's lp:maxEpsilon 2");
    const ok = releaseGate(crafted({ dp: { ...charged, epsilon: 1 } }));
    expect(ok.decisions.model).toEqual({
      released: true,
      reason: "membership-inference advantage 0.000 within 0.1; DP (ε = 1, δ = 0.000001) charged",
    });
    expect(ok.decisions.dp).toEqual({ epsilon: 1, delta: 1e-6, rho: 0.2, charged: true });
  });

  it("pictures as PNG too when asked, each beside its SVG", () => {
    const d = releaseGate(crafted({ png: true }));
    const pictures = d.released.filter((r) => r.kind === "picture");
    expect(pictures.map((r) => r.name)).toEqual([
      "fairness-region.svg",
      "fairness-region.png",
      "early-detection.svg",
      "early-detection.png",
    ]);
    const png = pictures.find((r) => r.mediaType === "image/png")!.content as Uint8Array;
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const card = text(d.released.find((r) => r.kind === "card")!.content);
    expect(card).toContain("![early-detection.svg](early-detection.svg)");
    expect(card).not.toContain(".png");
  });

  it("modelCard alone: no nextPolicy duty is said so; pipes in names do not break the tables", () => {
    const card = modelCard({
      title: "t",
      model: { kind: "gbdt", features: ["a"], released: true },
      agreement: { id: "agr-2", purposes: [], nextPolicies: [] },
      data: { dataset: "d", view: "v", label: "y", splits: { test: 50 } },
      metrics: { auc: 0.7 },
      fairness: [
        {
          attribute: "band|x",
          groups: [{ group: "a|b", n: 20, positiveRate: 0.5, auc: 0.7, averagePrecision: null, brier: 0.2 }],
          gaps: [],
          largestGap: null,
          countsHidden: false,
        },
      ],
      early: [],
      thresholds: { minCohort: 10, minCohortSource: "x", maxAdvantage: 0.1, maxAdvantageSource: "y" },
      withheld: [],
    });
    expect(card).toContain("Agreement `agr-2` states no nextPolicy duty.");
    expect(card).toContain("| a\\|b | 20 | 0.500 | 0.700 | — | 0.200 |");
    expect(card).toContain("No membership-inference test was run: the model cannot be released.");
    expect(card).toContain("## Withheld\n\nNothing.");
    expect(card).not.toContain("license_link");
  });
});
