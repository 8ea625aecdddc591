/**
 * Module `pool`: turning the providers' fragments into a training dataset under one agreement. Today it
 * holds the pieces a build is made of, each tested on its own; the build itself (selection under the
 * agreement and consent, linkage, the risk check, writing a version) and `learnpool dataset` come next.
 * - `prepare/`: the build spec (`spec.yaml`) and its checks, labels from a declared definition with the
 *   cut-off and the anti-leakage check, seeded splits by learner, provider or time, and the plan of
 *   differentially private cohort statistics;
 * - `views/`: the `statements`, `learner_periods` and `sequences` views in DuckDB, and deterministic
 *   Parquet shards in the Hugging Face layout;
 * - `docs/`: what documents a version: Croissant 1.1 metadata with its checker, the dataset card, the
 *   datasheet, and the lineage manifest with its Merkle root and verification.
 */
export * from "./docs/index.js";
export * from "./prepare/index.js";
export * from "./views/index.js";
