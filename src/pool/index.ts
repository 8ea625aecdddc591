/**
 * Module `pool`: turning the providers' fragments into a training dataset under one agreement, and
 * keeping its versions over time.
 * - `build/`: one build: the audited dataset-build decision; per provider, the learners' pseudonyms in
 *   the linkage domain, consent checked on them, de-identification under the agreement's profile with
 *   the leak check, skill translation (`select.ts`); views, labels and splits (`record-sets.ts`); the
 *   risk check with suppression or generalization (`risk.ts`, `risk-stage.ts`); cohort statistics
 *   charged to the privacy budget (`cohort-release.ts`); shards, documents and lineage
 *   (`write-version.ts`); verification (`verify.ts`); a build run and recorded (`run.ts`);
 * - `prepare/`: the build spec (`spec.yaml`) and its checks, labels from a declared definition with the
 *   cut-off and the anti-leakage check, seeded splits by learner, provider or time, and the plan of
 *   differentially private cohort statistics;
 * - `views/`: the `statements`, `learner_periods` and `sequences` views in DuckDB, and deterministic
 *   Parquet shards in the Hugging Face layout;
 * - `docs/`: what documents a version: Croissant 1.1 metadata with its checker, the dataset card, the
 *   datasheet, and the lineage manifest with its Merkle root and verification;
 * - `versions/`: the registry of versions (no DuckDB): numbering, decided and audited downloads,
 *   superseding on withdrawal with the holders notified, deletion at the agreement's end with evidence.
 */
export * from "./build/index.js";
export * from "./docs/index.js";
export * from "./prepare/index.js";
export * from "./versions/index.js";
export * from "./views/index.js";
