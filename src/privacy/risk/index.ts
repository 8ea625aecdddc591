/**
 * Re-identification risk analysis: equivalence classes of a table on its quasi-identifiers, the
 * prosecutor, journalist and marketer risks and sample uniqueness (`sample.ts`), population uniqueness
 * by the Pitman, Zayatz and SNB models and Dankar's rule (`population.ts`), their distributions
 * (`distribution.ts`) and charts (`chart.ts`). All pure functions over class sizes, so that the
 * anonymization engine can call them on the classes it already has; `report.ts` assembles the report
 * the CLI writes.
 */
export { type ChartData, chartsSvg, chartText, riskCharts } from "./chart.js";
export {
  type ClassOptions,
  type ClassSizeFrequencies,
  classSizeFrequencies,
  type EquivalenceClasses,
  equivalenceClasses,
  populationClassSizes,
  RiskInputError,
} from "./classes.js";
export {
  type RiskBucket,
  type RiskDistribution,
  riskDistribution,
  type SizeBucket,
  type SizeDistribution,
  sizeDistribution,
} from "./distribution.js";
export { ARX_SOLVER_CONFIGURATION, type SolverConfiguration } from "./newton.js";
export {
  type PopulationModel,
  PopulationModelError,
  type PopulationUniqueness,
  type PopulationUniquenessModel,
  pitmanUniques,
  populationSizeOf,
  populationUniqueness,
  snbUniques,
  zayatzUniques,
} from "./population.js";
export {
  type RiskReport,
  riskReport,
  riskReportText,
  type Table,
  type TableRiskInput,
  tableRisk,
} from "./report.js";
export {
  DEFAULT_THRESHOLD,
  journalistRisk,
  marketerRisk,
  prosecutorRisk,
  type RiskProfile,
  type RiskProfileOptions,
  type RiskSummary,
  riskProfile,
} from "./sample.js";
