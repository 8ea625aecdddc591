/**
 * Module `train`: models trained where the data lie, their evaluation and their pictures.
 * It owns (today) the pure parts, on plain numeric tables (`table.ts`): regularized logistic
 * regression and histogram gradient-boosted trees (`models/`), our JSON form and the ONNX export
 * (`onnx/`), metrics — AUC, PR, Brier, calibration, per-group gaps, early detection (`evaluate/`),
 * and SVG/PNG/text charts (`pictures/`); knowledge tracing from `sequences` — baseline, PFA, BKT
 * (`kt.ts`); the cold-start study, own data against the pool (`cold-start.ts`); the release gate —
 * membership inference, DP logistic regression charged to the ledger, the model card, the agreement's
 * terms, what leaves and what is withheld (`release/`). Training jobs do the I/O around these (`jobs/`).
 */

export type {
  ColdStartInput,
  ColdStartModel,
  ColdStartOptions,
  ColdStartRow,
  ColdStartSkip,
  ColdStartStudy,
} from "./cold-start.js";
export { coldStartMarkdown, coldStartStudy } from "./cold-start.js";
export { TrainError } from "./errors.js";
export type { EarlyDetectionCurve, EarlyDetectionPoint } from "./evaluate/early.js";
export { earlyDetectionCurve, earlyDetectionFromScores, firstDayReaching } from "./evaluate/early.js";
export type { Gap, GapMetric, GroupMetrics, GroupReport } from "./evaluate/groups.js";
export { groupMetrics, UNKNOWN_GROUP } from "./evaluate/groups.js";
export type { Calibration, CalibrationBin, PrPoint, RocPoint, Summary } from "./evaluate/metrics.js";
export {
  averagePrecision,
  brierScore,
  calibration,
  logLoss,
  prCurve,
  rocAuc,
  rocCurve,
  summarize,
} from "./evaluate/metrics.js";
export type { LearnerTable, LearnerTableOptions, PeriodMode } from "./features.js";
export { alignFeatures, learnerTable, readVersionView, versionViewFiles } from "./features.js";
export * from "./jobs/index.js";
export type {
  Attempt,
  BktModel,
  BktSkill,
  KtComparison,
  KtMetrics,
  KtSkillMetrics,
  PfaModel,
  PfaParams,
  PfaSkill,
  SequenceRow,
  SkillRateModel,
} from "./kt.js";
export {
  attemptsFromSequences,
  compareKnowledgeTracing,
  fitBkt,
  fitPfa,
  fitSkillRate,
  ktMetrics,
  predictBkt,
  predictPfa,
  predictSkillRate,
} from "./kt.js";
export type { GbdtModel, GbdtParams, GbdtTree, Validation } from "./models/gbdt.js";
export { featureImportance, fitGbdt, predictGbdt } from "./models/gbdt.js";
export type { Model, ModelJson } from "./models/json.js";
export { MODEL_FORMAT, MODEL_FORMAT_VERSION, modelFromJson, modelToJson, predict } from "./models/json.js";
export type { LogisticModel, LogisticParams } from "./models/logistic.js";
export { fitLogistic, originalScale, predictLogistic } from "./models/logistic.js";
export { ONNX_INPUT, ONNX_OUTPUT, toOnnx } from "./onnx/export.js";
export {
  calibrationSvg,
  coldStartSvg,
  earlyDetectionSvg,
  fairnessGapsSvg,
  fairnessSvg,
  prSvg,
  rocSvg,
} from "./pictures/charts.js";
export { asciiCurve, sparkline } from "./pictures/console.js";
export { svgToPng } from "./pictures/png.js";
export type { Bar, BarChartSpec, LineChartSpec, LineSeries, Point } from "./pictures/svg.js";
export { barChart, lineChart } from "./pictures/svg.js";
export * from "./release/index.js";
export type { SyntheticOptions, SyntheticTable } from "./synthetic.js";
export { syntheticTable } from "./synthetic.js";
export type { ClassWeights, FeatureTable } from "./table.js";
export { checkFeatures, checkLabels, checkTable, rowWeights, selectRows, tableFromRows } from "./table.js";
