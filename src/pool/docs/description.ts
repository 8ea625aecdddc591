/**
 * The plain description of a built dataset version: everything the documents (Croissant, dataset card,
 * datasheet, lineage manifest) say comes from here, so that they cannot disagree with one another.
 * The build fills it; nothing here reads files or clocks.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type FileFormat = "parquet" | "csv" | "jsonl";

/** One file of the version, as written (path relative to the version's root, e.g. `data/train-00000-of-00001.parquet`). */
export interface VersionFile {
  path: string;
  /** Absent for a file of no split: aggregates over all of them (e.g. `data/cohort_statistics.parquet`). */
  split?: string;
  format: FileFormat;
  sha256: string;
  bytes: number;
  rows: number;
  /** The record set whose rows the file holds; the first record set when absent. */
  recordSet?: string;
}

/** Croissant's atomic types, as used by our views. */
export type FieldDataType = "sc:Text" | "sc:Integer" | "sc:Float" | "sc:Boolean" | "sc:Date" | "sc:DateTime";

export interface FieldDescription {
  name: string;
  dataType: FieldDataType;
  description: string;
}

export interface RecordSetDescription {
  name: string;
  description: string;
  fields: FieldDescription[];
  /** Field names whose values identify a record (e.g. pseudonym and period). */
  key?: string[];
}

/** A split; `kind` says what it is for, whatever its name. */
export interface SplitDescription {
  name: string;
  kind: "train" | "validation" | "test";
  description?: string;
}

export interface LabelDescription {
  recordSet: string;
  field: string;
  /** In words: e.g. "dropout: no activity for 30 days after the cut-off day". */
  definition: string;
}

export interface CutOffDescription {
  /** ISO 8601 date or a rule relative to each learner's start (e.g. "day 28 since the learner's start"). */
  at: string;
  /** How leakage from after the cut-off is prevented. */
  antiLeakage: string;
}

export interface SplitPolicyDescription {
  by: "learner" | "provider" | "time";
  description: string;
}

export interface ProfileRef {
  name: string;
  version: string;
}

export interface Suppression {
  learners: number;
  records: number;
  description: string;
}

export interface ConsentCoverage {
  provider: string;
  asked: number;
  consented: number;
  refused: number;
  withdrew: number;
}

export interface RiskSummary {
  k: number;
  averageRisk: number;
  highestRisk: number;
  suppressed: number;
}

export interface SourceCount {
  provider: string;
  statements: number;
  learners: number;
}

export interface Party {
  name: string;
  url?: string;
}

export interface VersionDescription {
  /** A slug: letters, digits, `-`, `_`, `.`. */
  name: string;
  prettyName?: string;
  description: string;
  version: string;
  /** Where the version is published (the console page or the API's URL for it). */
  url: string;
  creator: Party[];
  /** SPDX identifier or URL; when absent the agreement governs use and its id stands as the licence. */
  license?: string;
  agreement: { id: string; policy: JsonObject };
  files: VersionFile[];
  recordSets: RecordSetDescription[];
  splits: SplitDescription[];
  label: LabelDescription;
  cutOff: CutOffDescription;
  splitPolicy: SplitPolicyDescription;
  deidentification: ProfileRef;
  pseudonymization: { domain: string; method: string };
  suppression: Suppression;
  consent: ConsentCoverage[];
  risk: RiskSummary;
  sources: SourceCount[];
  consentReceipts: string[];
  biases: string[];
  limitations: string[];
  /** The purpose(s) the agreement permits, in words. */
  uses: string[];
  timeFrame: { start: string; end: string };
  seed: string | number;
  /** ISO 8601 instant of the build: the only time any document carries. */
  created: string;
  taskCategories?: string[];
  tags?: string[];
  /** Who keeps the versions and how withdrawals reach them. */
  maintenance?: string;
}
