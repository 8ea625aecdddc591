/**
 * Preparing a pooled dataset build, purely (no I/O): the build spec (`spec.ts`, read from
 * `learnpool dataset build <spec.yaml>`, with `check.ts` collecting every problem by key path); which
 * statements are outcome events (`outcomes.ts`); labels from the declared definition, per linked learner,
 * with who gets none and why, and the rule that features end by the cut-off (`labels.ts`); seeded,
 * order-independent splits by learner, provider or time (`splits.ts`); and the cohort statistics
 * planned onto the differential-privacy mechanisms and ledger of `privacy/dp` (`cohort.ts`).
 */
export { SpecError, type SpecIssue } from "./check.js";
export {
  type CohortPlan,
  CohortPlanError,
  type CohortRow,
  type CohortStatistic,
  type CohortStatisticRequest,
  type CohortStatisticsSpec,
  type PlannedRelease,
  planCohortStatistics,
  runPlannedRelease,
} from "./cohort.js";
export {
  checkNoLeak,
  computeLabels,
  DAY_MS,
  dayOf,
  EXCLUSION_REASONS,
  type ExclusionReason,
  type FeaturePeriod,
  findLeaks,
  LabelInputError,
  type LabelReport,
  type LabelResult,
  LeakError,
  type LearnerActivity,
  type LearnerLabel,
  labelWindowDays,
  lastObservedDay,
  lastPeriodBefore,
  periodDays,
} from "./labels.js";
export {
  classifyOutcome,
  DEFAULT_OUTCOME_RULES,
  OUTCOME_KINDS,
  type OutcomeEvidence,
  type OutcomeKind,
  type OutcomeRule,
  type OutcomeRules,
  VERBS,
} from "./outcomes.js";
export {
  type BuildSpec,
  DEFAULTS,
  type Format,
  type LabelDefinition,
  type LabelKind,
  type Period,
  parseBuildSpec,
  type RiskAction,
  type RiskThresholds,
  type SequenceUnit,
  type SplitPolicy,
  type Views,
  validateBuildSpec,
} from "./spec.js";
export {
  assignSplits,
  type SplitExclusion,
  SplitInputError,
  type SplitLearner,
  type SplitResult,
  splitHash,
} from "./splits.js";
