/**
 * Module `contract`: what may be done with pooled data, decided by machine-readable agreements. It owns
 * - the ODRL 2.2 policy engine (`odrl/`): Turtle and JSON-LD readers, the pure, fail-closed evaluator
 *   (Permit, Deny or NotApplicable, duties, and which rule and constraint decided), the compliance report;
 * - the catalog (`catalog/`): providers' DCAT dataset offers, derived from their stores, searched by
 *   consumers (by purpose through the engine), the Dataspace Protocol catalog binding;
 * - participants and signed agreements (`agreements/`): Ed25519 keys, multi-party ODRL agreements fixed
 *   at proposal and signed as JWS over their RFC 8785 form, termination and revocation as signed events;
 * - the Dataspace Protocol 2025-1 negotiation and transfer processes (`dsp/`), both sides, over HTTP;
 * - enforcement (`enforcement/`): the decision at every step that touches data, usage counters, duties
 *   tracked to completion, all written to the audit trail;
 * - the composition root (`environment.ts`): the parts built once and joined into one contract path.
 */

/** RFC 8785 canonical JSON: the form every signature and digest of the data space covers. */
export { canonicalJson } from "./agreements/canonical.js";
export * from "./agreements/index.js";
export * from "./catalog/index.js";
export * from "./dsp/index.js";
export * from "./enforcement/index.js";
export {
  type ContractEnvironment,
  type ContractSettings,
  catalogOffers,
  contractEnvironment,
  contractSettingsFromEnvironment,
  type DspPeer,
  keySigner,
  peerAuthorization,
  readSigningKeys,
} from "./environment.js";
export { type RequestDocument, readRequestDocument, readStateDocument } from "./odrl/documents.js";
export {
  type AccessRequest,
  type CompiledPolicy,
  type ContextValue,
  compilePolicy,
  type Decision,
  type DutyToFulfil,
  durationMs,
  type Evaluation,
  evaluate,
  expandName,
  type PremiseReport,
  type RuleReport,
  readRequest,
  type WorldState,
} from "./odrl/evaluate.js";
export {
  type ConflictStrategy,
  type Constraint,
  type ConstraintNode,
  type LogicalConstraint,
  type Policy,
  PolicyError,
  parsePolicies,
  parsePolicy,
  type Rule,
  type Syntax,
} from "./odrl/parse.js";
export { type ReportOptions, reportJsonLd, reportNodes, reportTurtle } from "./odrl/report.js";
export { evaluateFiles, type OdrlEvaluateInput } from "./odrl/service.js";
export {
  DPV,
  DPV_PURPOSES,
  EEA,
  EU,
  LP,
  LP_TERMS,
  ODRL,
  REGION_EEA,
  REGION_EU,
  REPORT,
} from "./odrl/vocab.js";
