import { declaredPurposes, type NextPolicy, nextPoliciesOf } from "../../contract/enforcement/rules.js";
import type { ConstraintNode, Policy } from "../../contract/odrl/parse.js";
import { LP_TERMS, ODRL } from "../../contract/odrl/vocab.js";

/**
 * What the release gate reads from an agreement's ODRL policy: the minimum cohort (`lp:minK`, the
 * profile's "at least k learners" — the same term the anonymization level reads), the largest ε
 * (`lp:maxEpsilon`), the largest membership-inference advantage (`lp:maxAdvantage`), the purposes
 * granted and the nextPolicy duties.
 */
export interface AgreementForRelease {
  readonly id: string;
  readonly purposes: readonly string[];
  readonly nextPolicies: readonly NextPolicy[];
  readonly minCohort?: number;
  readonly maxEpsilon?: number;
  readonly maxAdvantage?: number;
}

const LOWER = new Set([`${ODRL}gteq`, `${ODRL}gt`, `${ODRL}eq`]);
const UPPER = new Set([`${ODRL}lteq`, `${ODRL}lt`, `${ODRL}eq`]);

/** Right operands of `leftOperand` under these operators, through and/andSequence (an `or` bounds nothing for sure). */
function bounds(
  nodes: readonly ConstraintNode[],
  leftOperand: string,
  operators: Set<string>,
): { op: string; n: number }[] {
  const out: { op: string; n: number }[] = [];
  const walk = (node: ConstraintNode) => {
    if (node.kind === "logical") {
      if (node.operator === "and" || node.operator === "andSequence") node.constraints.forEach(walk);
      return;
    }
    if (node.leftOperand !== leftOperand || !operators.has(node.operator)) return;
    const n = Number(node.rightOperand[0]?.value);
    if (Number.isFinite(n)) out.push({ op: node.operator, n });
  };
  nodes.forEach(walk);
  return out;
}

export function agreementForRelease(id: string, policy: Policy): AgreementForRelease {
  const nodes = policy.permissions.flatMap((p) => [...p.constraints, ...p.refinements]);
  // `minK gt 9` asks for at least 10; the strictest of several wins.
  const minKs = bounds(nodes, LP_TERMS.minK, LOWER).map(({ op, n }) =>
    op === `${ODRL}gt` ? Math.floor(n) + 1 : Math.ceil(n),
  );
  const epsilons = bounds(nodes, LP_TERMS.maxEpsilon, UPPER).map(({ n }) => n);
  // An advantage `lt 0.05` is read as at most 0.05: the measured advantage is continuous.
  const advantages = bounds(nodes, LP_TERMS.maxAdvantage, UPPER).map(({ n }) => n);
  return {
    id,
    purposes: declaredPurposes(policy),
    nextPolicies: nextPoliciesOf(policy),
    ...(minKs.length > 0 && { minCohort: Math.max(...minKs) }),
    ...(epsilons.length > 0 && { maxEpsilon: Math.min(...epsilons) }),
    ...(advantages.length > 0 && { maxAdvantage: Math.min(...advantages) }),
  };
}
