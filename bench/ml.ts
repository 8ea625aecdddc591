/**
 * `npm run bench:ml`: the real-data benchmark of module `train`, each figure beside its floor.
 * - GBDT against ml-xgboost (XGBoost in WebAssembly) on the same seeded 100,000 × 50 table, same run,
 *   matched parameters (100 trees, depth 6, learning rate 0.1, λ = 1, 255 bins beside XGBoost's max_bin 256): training time and AUC
 *   on a second seeded table of 20,000 rows;
 * - OULAD (../shared/data/oulad): converted by the interop module, one provider per module, pooled
 *   through the pool's views; train on 2013B/2013J, test on 2014B/2014J; at-risk (Withdrawn or Fail)
 *   and withdrawn-only AUC at day 28 for GBDT and the plain logistic regression, against the issue's
 *   floors; the early-detection curve from day 0 to 140; the cold-start study at day 28.
 * Pictures (SVG and PNG) and results.json go to --out (default bench-results/ml). Without ../shared the
 * OULAD part is skipped, said plainly, and the run still exits 0.
 * Options: --out DIR, --oulad DIR (default ../shared/data/oulad), --days 0,7,…,140, --rows 100000 (synthetic), --skip-oulad, --skip-xgboost,
 * --share 1 (share of OULAD's students, for a quick run), --select.
 * The models' parameters are the recorded result of a selection that never sees 2014 (two folds,
 * 2013B → 2013J and 2013J → 2013B, day 28; OULAD_GBDT and OULAD_LOGISTIC); --select reruns it (about 4 minutes),
 * prints its grid and uses what it chooses for the rest of the run.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { coldStartStudy } from "../src/train/cold-start.js";
import {
  asciiCurve,
  earlyDetectionCurve,
  earlyDetectionSvg,
  type FeatureTable,
  fitGbdt,
  type GbdtParams,
  predictGbdt,
  rocAuc,
  selectRows,
  sparkline,
  svgToPng,
  syntheticTable,
} from "../src/train/index.js";
import {
  OULAD_GBDT,
  OULAD_LABELS,
  OULAD_LOGISTIC,
  OULAD_SELECTION_FOLDS,
  type OuladDayAuc,
  type OuladLabel,
  type OuladLogistic,
  ouladDayAuc,
  ouladRowsAt,
  ouladTables,
  poolOulad,
  selectOuladGbdt,
  selectOuladLogistic,
} from "../src/train/oulad.js";
import { fitXgboost } from "./ml/xgboost.js";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "bench-results/ml" },
    oulad: { type: "string" },
    days: { type: "string" },
    rows: { type: "string", default: "100000" },
    share: { type: "string", default: "1" },
    "skip-oulad": { type: "boolean", default: false },
    "skip-xgboost": { type: "boolean", default: false },
    select: { type: "boolean", default: false },
  },
});
const root = new URL("../..", import.meta.url).pathname;
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
const days = values.days ? values.days.split(",").map(Number) : Array.from({ length: 21 }, (_, k) => k * 7);
for (const d of days) {
  if (!(Number.isInteger(d) && d >= 0)) throw new Error(`--days: ${d} is not an integer ≥ 0`);
}
const results: Record<string, unknown> = { started: new Date().toISOString() };
const tty = process.stderr.isTTY === true;

function line(text = ""): void {
  if (tty) process.stderr.write("\r\x1b[K");
  process.stdout.write(`${text}\n`);
}
function progress(text: string): void {
  if (tty) process.stderr.write(`\r\x1b[K${text}`);
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const f3 = (v: number) => v.toFixed(3);
function picture(name: string, svg: string): void {
  writeFileSync(join(out, `${name}.svg`), svg);
  writeFileSync(join(out, `${name}.png`), svgToPng(svg));
}

function withoutNaN<T extends { table: FeatureTable }>(t: T): T {
  for (const column of t.table.columns as Float64Array[]) {
    for (let i = 0; i < column.length; i++) if (Number.isNaN(column[i]!)) column[i] = -999;
  }
  return t;
}

async function xgboostComparison(): Promise<void> {
  const rows = Number(values.rows);
  line(
    `GBDT against ml-xgboost (WebAssembly), ${rows.toLocaleString("en")} × 50, 100 trees, depth 6, lr 0.1`,
  );
  // ml-xgboost's C wrapper builds its matrix without `missing = NaN` and aborts on a NaN, so both
  // libraries get the table with its missing values as -999 (a value below all others: a tree routes
  // it as it would route "missing" to the left).
  const train = withoutNaN(syntheticTable({ rows, features: 50, seed: 1 }));
  const test = withoutNaN(syntheticTable({ rows: 20_000, features: 50, seed: 2 }));
  global.gc?.();
  let t = performance.now();
  progress("training our GBDT…");
  const ours = fitGbdt(train.table, train.labels, {
    trees: 100,
    maxDepth: 6,
    learningRate: 0.1,
    minChildWeight: 1,
    lambda: 1,
    maxBins: 255,
    seed: 1,
  });
  const oursMs = performance.now() - t;
  const oursAuc = rocAuc(predictGbdt(ours, test.table), test.labels);
  global.gc?.();
  progress("training ml-xgboost (hist)…");
  t = performance.now();
  const xgb = await fitXgboost(train.table, train.labels, { trees: 100, maxDepth: 6, learningRate: 0.1 });
  const xgbMs = performance.now() - t;
  const xgbAuc = rocAuc(xgb.predict(test.table), test.labels);
  xgb.free();
  line(`  ours        ${seconds(oursMs).padStart(8)}   AUC ${oursAuc.toFixed(4)}`);
  line(`  ml-xgboost  ${seconds(xgbMs).padStart(8)}   AUC ${xgbAuc.toFixed(4)}   (tree_method hist)`);
  const faster = oursMs <= xgbMs;
  const asGood = oursAuc >= xgbAuc - 0.0005;
  line(
    `  → ours is ${(xgbMs / oursMs).toFixed(2)}× ml-xgboost's speed, AUC ${oursAuc >= xgbAuc ? "+" : ""}${(oursAuc - xgbAuc).toFixed(4)}: ${faster && asGood ? "meets" : "MISSES"} the issue's bar (as fast, equal or better AUC)`,
  );
  results.xgboost = { rows, features: 50, oursMs, oursAuc, xgbMs, xgbAuc };
}

const FLOORS: Record<OuladLabel, { gbdt: number; logistic: number }> = {
  at_risk: { gbdt: 0.73, logistic: 0.71 },
  withdrawn: { gbdt: 0.68, logistic: 0.67 },
};

type Models = Record<OuladLabel, { gbdt: GbdtParams; logistic: OuladLogistic }>;

const gbdtText = (p: GbdtParams) =>
  `${p.trees} trees, lr ${p.learningRate}, depth ${p.maxDepth}, min child weight ${p.minChildWeight}, subsample ${p.subsample}, colsample ${p.colsample}`;
const logisticText = (p: OuladLogistic) =>
  `l2 ${p.params.l2 ?? "default"}, counts ${p.log1pCounts ? "as log1p" : "raw"}`;

function sameParams(a: object, b: object): boolean {
  const entries = (o: object) => JSON.stringify(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
  return entries(a) === entries(b);
}

/** The recorded selection (the constants), printed. */
function recorded(): Models {
  line(
    "OULAD models: the recorded selection (folds 2013B → 2013J and 2013J → 2013B, day 28; --select reruns it)",
  );
  const models = {} as Models;
  for (const label of OULAD_LABELS) {
    models[label] = { gbdt: OULAD_GBDT[label], logistic: OULAD_LOGISTIC[label] };
    line(
      `  ${label.padEnd(10)} GBDT ${gbdtText(OULAD_GBDT[label])}; logistic ${logisticText(OULAD_LOGISTIC[label])}`,
    );
  }
  results.ouladModels = { source: "recorded", models };
  return models;
}

/** Reruns the selection on 2013 (never 2014) at day 28 and prints its grid compactly. */
async function selection(rows: Record<string, unknown>[]): Promise<Models> {
  const t = performance.now();
  const folds = OULAD_SELECTION_FOLDS.map((f) => `${f.train.join("+")} → ${f.test.join("+")}`);
  line(`OULAD model selection at day 28, folds ${folds.join(" and ")} (2014 unseen)`);
  const models = {} as Models;
  const gbdt = OULAD_LABELS.map((label) =>
    selectOuladGbdt(rows, label, {
      onTrial: (_, i, n) => progress(`OULAD: selection, ${label}: GBDT ${i + 1}/${n}…`),
    }),
  );
  const logistic = OULAD_LABELS.map((label) => selectOuladLogistic(rows, label));
  line(
    `  ${gbdt[0]!.nTrain.join(" / ")} training and ${gbdt[0]!.nValidation.join(" / ")} validation learners; mean validation AUC over the folds (trees kept by AUC):`,
  );
  line(`  depth  lr    mcw  sub   ${OULAD_LABELS.map((l) => l.padEnd(16)).join(" ")}`);
  gbdt[0]!.trials.forEach((trial, i) => {
    const cells = gbdt.map((s) => {
      const x = s.trials[i]!;
      return `${f3(x.validationAuc)} (${String(x.trees).padStart(4)})${x === s.best ? "*" : " "}  `;
    });
    line(
      `  ${String(trial.maxDepth).padEnd(5)}  ${String(trial.learningRate).padEnd(4)}  ${String(trial.minChildWeight).padEnd(3)}  ${String(trial.subsample).padEnd(3)}   ${cells.join(" ")}`,
    );
  });
  line(`  logistic l2  counts  ${OULAD_LABELS.map((l) => l.padEnd(9)).join(" ")}`);
  logistic[0]!.trials.forEach((trial, i) => {
    const cells = logistic.map(
      (s) => `${f3(s.trials[i]!.validationAuc)}${s.trials[i] === s.best ? "*" : " "}    `,
    );
    line(
      `  ${String(trial.l2).padEnd(11)}  ${(trial.log1pCounts ? "log1p" : "raw").padEnd(6)}  ${cells.join(" ")}`,
    );
  });
  OULAD_LABELS.forEach((label, k) => {
    models[label] = { gbdt: gbdt[k]!.chosen, logistic: logistic[k]!.chosen };
    const same =
      sameParams(gbdt[k]!.chosen, OULAD_GBDT[label]) &&
      sameParams(logistic[k]!.chosen.params, OULAD_LOGISTIC[label].params) &&
      logistic[k]!.chosen.log1pCounts === OULAD_LOGISTIC[label].log1pCounts;
    line(
      `  chosen ${label.padEnd(10)} GBDT ${gbdtText(gbdt[k]!.chosen)}; logistic ${logisticText(logistic[k]!.chosen)} — ${same ? "as recorded" : "DIFFERS from the recorded constants"}`,
    );
  });
  line(`  selection in ${seconds(performance.now() - t)}`);
  results.ouladModels = { source: "selected", models, gbdt, logistic };
  line();
  return models;
}

async function oulad(): Promise<void> {
  const dir = resolve(values.oulad ?? join(root, "../shared/data/oulad"));
  if (!existsSync(join(dir, "studentRegistration.csv"))) {
    line(`OULAD: skipped — ${dir} is absent (it comes with ../shared; see the README's benchmarks).`);
    results.oulad = { skipped: "../shared/data/oulad absent" };
    return;
  }
  const work = mkdtempSync(join(tmpdir(), "learnpool-bench-ml-"));
  try {
    let t = performance.now();
    const pool = await poolOulad({
      dir,
      work,
      studentShare: Number(values.share),
      onProgress: (n) => progress(`OULAD: converting… ${n.toLocaleString("en")} records`),
    });
    const statements = Object.values(pool.statements).reduce((a, b) => a + b, 0);
    line(
      `OULAD: ${pool.records.read.toLocaleString("en")} records → ${statements.toLocaleString("en")} statements from ${Object.keys(pool.statements).length} providers (${Object.keys(pool.statements).join(", ")}) in ${seconds(performance.now() - t)}`,
    );
    try {
      let rows28: Record<string, unknown>[] | undefined;
      if (values.select) rows28 = await ouladRowsAt(pool, 28);
      const models = rows28 ? await selection(rows28) : recorded();
      const byDay: OuladDayAuc[] = [];
      t = performance.now();
      for (const day of [...days].sort((a, b) => a - b)) {
        progress(`OULAD: day ${day}: features…`);
        const rows = day === 28 && rows28 ? rows28 : await ouladRowsAt(pool, day);
        if (day === 28) rows28 = rows;
        for (const label of OULAD_LABELS) {
          progress(`OULAD: day ${day}: ${label}: training…`);
          byDay.push(ouladDayAuc(rows, day, label, models[label]));
        }
      }
      line(`OULAD: ${days.length} cut-off days × 2 labels × 2 models in ${seconds(performance.now() - t)}`);
      results.ouladCurve = byDay;
      line();
      line("Day 28, trained on 2013B+2013J, tested on 2014B+2014J (ROC-AUC):");
      for (const label of OULAD_LABELS) {
        const r = byDay.find((p) => p.day === 28 && p.label === label);
        if (!r) {
          line("  (day 28 is not among --days)");
          break;
        }
        const floor = FLOORS[label];
        line(
          `  ${label.padEnd(10)} GBDT ${f3(r.gbdt)} (floor ${floor.gbdt}: ${r.gbdt >= floor.gbdt ? "met" : "MISSED"})   logistic ${f3(r.logistic)} (the issue's plain LR: ${floor.logistic})   train ${r.nTrain}, test ${r.nTest} (${r.positivesTest} positive)`,
        );
      }
      line();
      const series = OULAD_LABELS.flatMap((label) =>
        (["gbdt", "logistic"] as const).map((model) => ({
          label: `${label === "at_risk" ? "at risk" : "withdrawn"}, ${model === "gbdt" ? "GBDT" : "logistic"}`,
          curve: earlyDetectionCurve(
            byDay.filter((p) => p.label === label).map((p) => ({ day: p.day, auc: p[model], n: p.nTest })),
          ),
        })),
      );
      for (const s of series) {
        line(
          `  ${s.label.padEnd(22)} ${sparkline(
            s.curve.points.map((p) => p.auc),
            [0.5, 1],
          )}  ${s.curve.points.map((p) => f3(p.auc)).join(" ")}`,
        );
      }
      if (series[0]!.curve.points.length > 1) {
        line();
        line(
          asciiCurve({
            title: "At risk, GBDT: AUC by cut-off day",
            xLabel: "day",
            yLabel: "AUC",
            points: series[0]!.curve.points.map((p) => ({ x: p.day, y: p.auc })),
            yDomain: [0.5, 1],
          }),
        );
      }
      picture(
        "early-detection",
        earlyDetectionSvg(series, "OULAD: AUC by cut-off day (train 2013, test 2014)"),
      );
      if (rows28) {
        line();
        line(
          "Cold start at day 28 (GBDT): each module's own 2013 learners vs the pool's, on its 2014 learners",
        );
        const cold: Record<string, unknown> = {};
        for (const label of OULAD_LABELS) {
          progress(`OULAD: cold start, ${label}…`);
          const { all } = ouladTables(rows28, label);
          const study = coldStartStudy(
            { table: all.table, labels: all.labels, providers: all.modules, splits: all.splits },
            { model: { kind: "gbdt", params: models[label].gbdt }, resamples: 200, seed: 1 },
          );
          cold[label] = study;
          line(`  ${label}: module  own-train  pool-train  test   AUC own  AUC pool   gain [95 % CI]`);
          for (const r of study.rows) {
            line(
              `    ${r.provider.padEnd(6)} ${String(r.n_train_own).padStart(9)} ${String(r.n_train_pool).padStart(11)} ${String(r.n_test).padStart(5)}   ${f3(r.auc_own)}    ${f3(r.auc_pool)}   ${r.gain >= 0 ? "+" : ""}${f3(r.gain)} [${r.gain_low === null ? "–" : f3(r.gain_low)}, ${r.gain_high === null ? "–" : f3(r.gain_high)}]`,
            );
          }
          // A module with no 2013 learners of its own is the pure cold start: the pool's model is its only one.
          let pooled: ((t: FeatureTable) => Float64Array) | undefined;
          const coldOnly: Record<string, number> = {};
          for (const s of study.skipped) {
            const test = all.modules.flatMap((m, i) =>
              m === s.provider && all.splits[i] === "test" ? [i] : [],
            );
            const labels = Uint8Array.from(test, (i) => all.labels[i]!);
            const positives = labels.reduce((a, b) => a + b, 0);
            if (s.n_train_own === 0 && positives > 0 && positives < labels.length) {
              if (!pooled) {
                const train = all.splits.flatMap((split, i) => (split === "train" ? [i] : []));
                const model = fitGbdt(
                  selectRows(all.table, train),
                  Uint8Array.from(train, (i) => all.labels[i]!),
                  models[label].gbdt,
                );
                pooled = (t) => predictGbdt(model, t);
              }
              coldOnly[s.provider] = rocAuc(pooled(selectRows(all.table, test)), labels);
              line(
                `    ${s.provider.padEnd(6)} ${"0".padStart(9)} ${String(all.splits.filter((x) => x === "train").length).padStart(11)} ${String(test.length).padStart(5)}   (none)   ${f3(coldOnly[s.provider]!)}   no model without the pool`,
              );
            } else line(`    ${s.provider.padEnd(6)} not studied: ${s.reason}`);
          }
          cold[`${label}_pool_only`] = coldOnly;
          if (study.svg) picture(`cold-start-${label}`, study.svg);
        }
        results.coldStart = cold;
      }
    } finally {
      pool.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (!values["skip-xgboost"]) await xgboostComparison();
line();
if (!values["skip-oulad"]) await oulad();
writeFileSync(join(out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
line();
line(`Pictures and results.json in ${out}`);
