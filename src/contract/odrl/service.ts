/**
 * The one call the command line (and later the server) makes: policy, request and state as text in,
 * the evaluation and its compliance report out. Anything malformed becomes a Deny with its reason.
 */
import { readRequestDocument, readStateDocument } from "./documents.js";
import { compilePolicy, type Evaluation, evaluate, type WorldState } from "./evaluate.js";
import { PolicyError, parsePolicy, type Syntax } from "./parse.js";
import { reportJsonLd, reportNodes, reportTurtle } from "./report.js";

export interface OdrlEvaluateInput {
  policy: string;
  request: string;
  state?: string;
  format?: Syntax;
  /** The clock, used when the state gives no dateTime. */
  now?: () => Date;
  newId?: () => string;
}

export function evaluateFiles(input: OdrlEvaluateInput): { evaluation: Evaluation; report: string } {
  let evaluation: Evaluation;
  let requestId: string | undefined;
  let ruleRequestId: string | undefined;
  let state: WorldState = {};
  let policyId = "urn:learnpool:unreadable-policy";
  try {
    const policy = parsePolicy(input.policy);
    policyId = policy.id;
    const doc = readRequestDocument(input.request);
    requestId = doc.requestId;
    ruleRequestId = doc.ruleRequestId;
    state = input.state ? readStateDocument(input.state) : {};
    if (state.dateTime === undefined && doc.dateTime) state = { ...state, dateTime: doc.dateTime };
    if (doc.types) state = { ...state, types: { ...doc.types, ...state.types } };
    if (state.dateTime === undefined)
      state = { ...state, dateTime: (input.now ?? (() => new Date()))().toISOString() };
    evaluation = evaluate(compilePolicy(policy), doc.request, state);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    evaluation = {
      decision: "Deny",
      reason: err.message,
      duties: [],
      remedies: [],
      ruleReports: [],
      policy: policyId,
    };
  }
  const nodes = reportNodes(evaluation, {
    ...(requestId ? { request: requestId } : {}),
    ...(ruleRequestId ? { ruleRequest: ruleRequestId } : {}),
    ...(state.dateTime ? { created: state.dateTime } : {}),
    state,
    ...(input.newId ? { newId: input.newId } : {}),
  });
  const report =
    input.format === "jsonld" ? `${JSON.stringify(reportJsonLd(nodes), null, 2)}\n` : reportTurtle(nodes);
  return { evaluation, report };
}
