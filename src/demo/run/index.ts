/**
 * `demo/run`: the demonstration data space made end to end through the real modules (`runDemo`), its
 * plan (participants, offers, agreement, profile, specs, consent choices: pure), its folder's rules
 * (reuse, or afresh) and its summary.
 */
export * from "./plan.js";
export {
  DemoError,
  type DemoOptions,
  type DemoReporter,
  type DemoResult,
  type DemoSecrets,
  demoPaths,
  runDemo,
} from "./run.js";
export { oneServerPeers, type SignIn, signIns } from "./signin.js";
export { clearFolder, judgeFolder, MARKER, SECRETS, writePrivate } from "./space.js";
export { type DemoSummary, type ProviderFigures, summaryLines } from "./summary.js";
