/**
 * Enforcement: the policy decision point asked at every step that touches data (catalog access,
 * negotiation, transfer and each of its pages, dataset build, training admission, model release,
 * export download), and the tracking of the duties permits open until they are met or violated.
 * It owns the usage counters, the tracked duties and their history (migration 9); it reads agreements
 * and participants' keys through the agreements part, and writes `contract.*` audit events.
 * Pure rules are in `rules.ts` and `evidence.ts`; SQL in `tracking.ts`; the service in `service.ts`.
 */

export {
  canonicalDeletion,
  DELETION_JWS_TYP,
  type DeletionStatement,
  signDeletion,
  verifyDeletion,
} from "./evidence.js";
export {
  type AnonymizationLevel,
  anonymizationLevelOf,
  DUTY_KINDS,
  type DutyKind,
  type DutyState,
  declaredPurposes,
  dueDateOf,
  dutyKindOf,
  type InformRecord,
  isStep,
  LP_MAX_RISK,
  meetsAnonymizationLevel,
  type NextPolicy,
  nextPoliciesOf,
  RELEASE_STEPS,
  type RiskReport,
  releaseBlockedBy,
  STEPS,
  type Step,
  transferRequestOf,
} from "./rules.js";
export {
  type AgreementParty,
  type AgreementSource,
  type DecisionInput,
  type EnforcementDecision,
  EnforcementError,
  type EnforcementOptions,
  type OfferDecision,
  type OfferDecisionInput,
  type ParticipantSource,
  PolicyEnforcement,
} from "./service.js";
export type { DutyHistoryEntry, DutyRecord, Usage } from "./tracking.js";
export {
  agreementDeletionDue,
  DEFAULT_WITHDRAWAL_GRACE_MS,
  WithdrawalDuties,
  type WithdrawalDutyAgreements,
  type WithdrawalDutyInput,
  type WithdrawalDutyOptions,
  withdrawalDutyIri,
  withdrawalGraceMs,
} from "./withdrawal-duties.js";
