/**
 * Views of a pooled dataset, derived in DuckDB from the de-identified, linked statements:
 * - `statements`: each statement flattened into columns, its JSON kept (`statements.ts`);
 * - `learner_periods`: features per learner and day or week, before a cut-off, all providers and each
 *   side by side (`learner-periods.ts`);
 * - `sequences`: interactions with items or skills and their outcome, for knowledge tracing (`sequences.ts`);
 * - writing any view as deterministic shards in the Hugging Face layout (`write.ts`).
 * Selection, consent, de-identification and labels happen before or beside this folder, not in it.
 */
export {
  buildLearnerPeriods,
  type LearnerPeriodsOptions,
  type LearnerPeriodsSql,
  learnerPeriodsSql,
  type PresentValues,
  presentValuesSql,
  READING_VERBS,
  type ViewColumn,
} from "./learner-periods.js";
export { buildSequences, type SequencesOptions, sequencesSql } from "./sequences.js";
export { iriColumns, iriSlug, sqlDay, sqlIdentifier, sqlString } from "./sql.js";
export {
  COMPETENCIES_EXTENSION,
  COMPETENCY_TYPES,
  createStatementsSql,
  flattenSql,
  loadStatements,
  type ProviderFile,
  STATEMENT_COLUMNS,
  type StatementColumn,
  VIDEO_PROGRESS_EXTENSION,
} from "./statements.js";
export { type ShardFormat, shardName, type WriteOptions, type WrittenShard, writeShards } from "./write.js";
