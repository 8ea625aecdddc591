/**
 * Module `pool`: turning the providers' fragments into a training dataset under one agreement. Today it
 * holds a first build (`build/`: the audited dataset-build decision, selection of consenting learners,
 * `learner_periods` with labels and splits, the version's documents and lineage, and its verification)
 * and the pieces it is made of; de-identification inside the build, the risk check, and the other views
 * in a version come next.
 * - `prepare/`: the build spec (`spec.yaml`) and its checks, labels from a declared definition with the
 *   cut-off and the anti-leakage check, seeded splits by learner, provider or time, and the plan of
 *   differentially private cohort statistics;
 * - `views/`: the `statements`, `learner_periods` and `sequences` views in DuckDB, and deterministic
 *   Parquet shards in the Hugging Face layout;
 * - `docs/`: what documents a version: Croissant 1.1 metadata with its checker, the dataset card, the
 *   datasheet, and the lineage manifest with its Merkle root and verification.
 */
export * from "./build/index.js";
export * from "./docs/index.js";
export * from "./prepare/index.js";
export * from "./views/index.js";
