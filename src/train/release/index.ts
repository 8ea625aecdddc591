/**
 * The release gate of a training job (issue 9): what leaves the trusted environment. The
 * membership-inference test (`mia.ts`), differentially private logistic regression charged to the
 * budget ledger (`dp-logistic.ts`), the model card (`card.ts`), the agreement's terms for release
 * (`thresholds.ts`) and the gate itself (`gate.ts`).
 */
export type {
  ModelCardInput,
  ReleasedGroup,
  ReleasedGroupReport,
  ReleaseThresholds,
  WithheldItem,
} from "./card.js";
export { modelCard } from "./card.js";
export type { DpAccounting, DpCharge, DpLogisticParams, DpReport } from "./dp-logistic.js";
export { DP_MECHANISM, dpLogisticAccounting, fitDpLogistic, impliedEpsilon } from "./dp-logistic.js";
export type { ReleaseDecision, ReleasedItem, ReleaseFigures, ReleaseGateInput, ReleaseKind } from "./gate.js";
export { DEFAULT_MAX_ADVANTAGE, DEFAULT_MIN_COHORT, releaseGate } from "./gate.js";
export type { MembershipInference } from "./mia.js";
export { membershipInference, perExampleLoss, perExampleLosses } from "./mia.js";
export type { AgreementForRelease } from "./thresholds.js";
export { agreementForRelease } from "./thresholds.js";
