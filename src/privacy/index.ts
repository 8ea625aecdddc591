/**
 * Privacy at the provider, before any record leaves it: learners' identifiers normalized
 * (`identifiers.ts`) and replaced by pseudonyms of a pseudonymization domain, either keyed (HMAC-SHA256
 * under the domain key: `keyed.ts`) or through the RFC 9497 verifiable OPRF service that alone holds
 * the key of an agreement's linkage domain (`oprf.ts`, its ristretto255 group on libsodium in
 * `oprf-sodium.ts`); domain keys sealed under a master key, rotated and audited (`keys.ts`,
 * `domains.ts`); fuzzy linkage of records without a shared identifier by clkhash-compatible Bloom
 * filters and Dice matching (`clk.ts`, `clk-learners.ts`, `linkage.ts`); and the de-identification of
 * xAPI traces under a versioned profile, with free-text scrubbing and a leak check (`profile.ts`,
 * `scrub.ts`, `deidentify*.ts`); tabular anonymization as ARX does it, over the lattice of generalization
 * levels (`anonymize/`); re-identification risk, sample and population (`risk/`); differential
 * privacy for released statistics with its budget ledger (`dp/`); cohort-size and rare-value rules for
 * what datasets release (`cohorts.ts`).
 */

export * as anonymization from "./anonymize/index.js";
export * from "./clk.js";
export * from "./clk-learners.js";
export * as cohorts from "./cohorts.js";
export * from "./deidentify.js";
export * from "./deidentify-file.js";
export * from "./deidentify-leaks.js";
export * from "./domains.js";
export * as dp from "./dp/index.js";
export * from "./identifiers.js";
export * from "./keyed.js";
export * from "./keys.js";
export * from "./linkage.js";
export * from "./linkage-files.js";
export * from "./oprf.js";
export * from "./profile.js";
export * from "./pseudonymizer.js";
export * as risk from "./risk/index.js";
export * from "./scrub.js";
export * from "./seeded.js";
