/**
 * xAPI itself, free of I/O: statement types, validation against every rule of xAPI 2.0
 * (IEEE 9274.1.1-2023) and 1.0.3, identifiers (IRIs, UUIDs, agents' IFIs), language maps, the
 * statement formats (exact, ids, canonical), statement comparison, multipart/mixed bodies and
 * signed statements.
 */

export * from "./compare.js";
export * from "./format.js";
export * from "./ifi.js";
export * from "./multipart.js";
export * from "./normalize.js";
export * from "./problem.js";
export * from "./signature.js";
export * from "./types.js";
export * from "./validate.js";
