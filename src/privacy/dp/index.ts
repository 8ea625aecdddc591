/**
 * Differential privacy for released statistics: exact discrete samplers on a secure source
 * (`samplers.ts`, `random.ts`), privacy accounting (`accounting.ts`), the mechanisms and their guarantees (`mechanisms.ts`), contribution
 * bounding (`bounding.ts`), partition selection (`partitions.ts`), the statistics (`statistics.ts`) and
 * the persisted budget ledger (`ledger.ts`).
 */
export * from "./accounting.js";
export * from "./bounding.js";
export * from "./ledger.js";
export * from "./mechanisms.js";
export * from "./partitions.js";
export * from "./random.js";
export * from "./samplers.js";
export * from "./statistics.js";
