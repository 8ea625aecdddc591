/**
 * Which statements are outcome events, and of which kind. The defaults follow the verbs the ADL
 * vocabulary, cmi5 and this project's converters emit:
 * - withdrawal: `http://id.tincanapi.com/verb/unregistered`, which the OULAD and Open edX converters
 *   write for a withdrawal and an enrollment deactivated. Not ADL `exited` nor cmi5 `terminated` or
 *   `abandoned`: those end a session, and every learner has many.
 * - failure: ADL `failed` (cmi5 sends it when an AU's score is under its mastery score).
 * - completion: ADL `completed`, and cmi5 `satisfied` (the course's moveOn criteria met).
 * - pass: ADL `passed`.
 * A rule may also require the statement's result.success or result.completion, e.g. a `completed`
 * with success false counted as a failure.
 */

export type OutcomeKind = "withdrawal" | "failure" | "completion" | "pass";
export const OUTCOME_KINDS: readonly OutcomeKind[] = ["withdrawal", "failure", "completion", "pass"];

export interface OutcomeRule {
  verb: string;
  /** When present, the statement's result must carry these values. */
  result?: { success?: boolean; completion?: boolean };
}

export type OutcomeRules = Readonly<Record<OutcomeKind, readonly OutcomeRule[]>>;

export const VERBS = {
  unregistered: "http://id.tincanapi.com/verb/unregistered",
  failed: "http://adlnet.gov/expapi/verbs/failed",
  completed: "http://adlnet.gov/expapi/verbs/completed",
  satisfied: "https://w3id.org/xapi/adl/verbs/satisfied",
  passed: "http://adlnet.gov/expapi/verbs/passed",
} as const;

export const DEFAULT_OUTCOME_RULES: OutcomeRules = {
  withdrawal: [{ verb: VERBS.unregistered }],
  failure: [{ verb: VERBS.failed }],
  completion: [{ verb: VERBS.completed }, { verb: VERBS.satisfied }],
  pass: [{ verb: VERBS.passed }],
};

/** The part of a statement an outcome rule reads. */
export interface OutcomeEvidence {
  verb: string;
  result?: { success?: boolean; completion?: boolean };
}

/**
 * The kinds a statement is evidence of (possibly several: `passed` with completion true is a pass and,
 * if a rule says so, a completion), in the order of OUTCOME_KINDS.
 */
export function classifyOutcome(statement: OutcomeEvidence, rules: OutcomeRules): OutcomeKind[] {
  const kinds: OutcomeKind[] = [];
  for (const kind of OUTCOME_KINDS) {
    const matches = rules[kind].some(
      (rule) =>
        rule.verb === statement.verb &&
        (rule.result?.success === undefined || statement.result?.success === rule.result.success) &&
        (rule.result?.completion === undefined || statement.result?.completion === rule.result.completion),
    );
    if (matches) kinds.push(kind);
  }
  return kinds;
}
