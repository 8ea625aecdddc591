/**
 * Module `contract`: what may be done with pooled data, decided by machine-readable agreements. Today it
 * owns the ODRL 2.2 policy engine: the policy model and its readers (Turtle, JSON-LD under the built-in
 * ODRL context), the pure evaluator (requests under a state of the world → Permit, Deny or
 * NotApplicable, duties to fulfil, and which rule and constraint decided), and the compliance report of
 * the W3C ODRL community group's formal semantics. Catalog, negotiation and signed agreements come next.
 */

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
