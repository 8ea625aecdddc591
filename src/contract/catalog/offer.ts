/**
 * The policies an entry carries, read and checked before anything is stored (pure): the ODRL Offer
 * consumers negotiate from, and the optional access policy (an ODRL Set) deciding who may see the
 * entry. Both are JSON-LD as the policy engine reads it (the ODRL context, nothing fetched); every
 * problem is named.
 */
import { type CompiledPolicy, compilePolicy } from "../odrl/evaluate.js";
import { type ConstraintNode, type Policy, PolicyError, parsePolicy, type Rule } from "../odrl/parse.js";
import { actionAncestors, KNOWN_LEFT_OPERANDS, ODRL, OPERATORS } from "../odrl/vocab.js";
import { CatalogError } from "./errors.js";

export interface CheckedPolicy {
  /** The JSON-LD document as given. */
  document: Record<string, unknown>;
  policy: Policy;
  compiled: CompiledPolicy;
}

function documentOf(value: unknown, what: string): Record<string, unknown> {
  let doc = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch (err) {
      throw new CatalogError(400, `the ${what} is not JSON: ${(err as Error).message}`);
    }
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc))
    throw new CatalogError(400, `the ${what} must be one JSON-LD object (ODRL context)`);
  return doc as Record<string, unknown>;
}

function parsed(doc: Record<string, unknown>, what: string): Policy {
  try {
    return parsePolicy(JSON.stringify(doc), { syntax: "jsonld" });
  } catch (err) {
    if (err instanceof PolicyError)
      throw new CatalogError(400, `the ${what} is not a valid ODRL policy: ${err.message}`, [err.message]);
    throw err;
  }
}

function allRules(p: Policy): Rule[] {
  const walk = (r: Rule): Rule[] => [
    r,
    ...r.duties.flatMap(walk),
    ...r.consequences.flatMap(walk),
    ...r.remedies.flatMap(walk),
  ];
  return [...p.permissions, ...p.prohibitions, ...p.obligations].flatMap(walk);
}

const short = (iri: string) => (iri.startsWith(ODRL) ? `odrl:${iri.slice(ODRL.length)}` : iri);

/** Constraints the engine could never decide: they would make a permission unusable forever. */
function constraintProblems(rule: Rule): string[] {
  const out: string[] = [];
  const walk = (c: ConstraintNode) => {
    if (c.kind === "logical") return c.constraints.forEach(walk);
    if (!OPERATORS.has(c.operator))
      out.push(`constraint ${c.id} uses operator ${short(c.operator)}, which the engine does not know`);
    if (!KNOWN_LEFT_OPERANDS.has(c.leftOperand))
      out.push(
        `constraint ${c.id} uses left operand ${short(c.leftOperand)}, which the engine does not know`,
      );
    if (c.rightOperandReference)
      out.push(`constraint ${c.id} uses rightOperandReference, which the engine does not dereference`);
  };
  [...rule.constraints, ...rule.refinements].forEach(walk);
  return out;
}

function refuse(what: string, problems: string[]): never {
  throw new CatalogError(400, `the ${what} is refused: ${problems.join("; ")}`, problems);
}

/**
 * Reads a dataset's offer: one odrl:Offer with an IRI, at least one permission, the publishing
 * provider as the assigner of every rule, and no target but the dataset itself (Dataspace Protocol:
 * the target of an offer in a catalog is the dataset that holds it).
 */
export function readOffer(value: unknown, expected: { assigner: string; dataset: string }): CheckedPolicy {
  const document = documentOf(value, "offer");
  const policy = parsed(document, "offer");
  const problems: string[] = [];
  if (policy.type !== "Offer")
    problems.push(`its type is odrl:${policy.type}; the catalog takes an odrl:Offer`);
  if (policy.id.startsWith("_:"))
    problems.push("it has no uid (an IRI): every offer needs one to be negotiated (DSP @id)");
  if (policy.permissions.length === 0)
    problems.push("it permits nothing: an offer needs at least one permission");
  const rules = allRules(policy).filter(
    (r) => r.kind !== "duty" && r.kind !== "consequence" && r.kind !== "remedy",
  );
  const assigners = new Set(rules.flatMap((r) => r.assigners));
  if (rules.some((r) => r.assigners.length === 0))
    problems.push(`it names no assigner: the assigner must be the publishing provider, ${expected.assigner}`);
  for (const a of assigners)
    if (a !== expected.assigner)
      problems.push(`its assigner is ${a}, but the publishing provider is ${expected.assigner}`);
  for (const t of new Set(rules.flatMap((r) => r.targets)))
    if (t !== expected.dataset)
      problems.push(
        `it names target ${t}: in the catalog an offer's target is its dataset (leave target out)`,
      );
  for (const r of allRules(policy)) problems.push(...constraintProblems(r));
  if (problems.length > 0) refuse("offer", problems);
  return { document, policy, compiled: compilePolicy(policy) };
}

/** Reads an access policy: an odrl:Set (or odrl:Policy) with a permission that can grant odrl:read. */
export function readAccessPolicy(value: unknown): CheckedPolicy {
  const document = documentOf(value, "access policy");
  const policy = parsed(document, "access policy");
  const problems: string[] = [];
  if (policy.type !== "Set" && policy.type !== "Policy")
    problems.push(`its type is odrl:${policy.type}; an access policy is an odrl:Set`);
  const read = actionAncestors(`${ODRL}read`);
  if (!policy.permissions.some((r) => r.actions.length === 0 || r.actions.some((a) => read.includes(a))))
    problems.push(
      "no permission grants odrl:read (or odrl:use): nobody but the provider would see the entry",
    );
  for (const r of allRules(policy)) problems.push(...constraintProblems(r));
  if (problems.length > 0) refuse("access policy", problems);
  return { document, policy, compiled: compilePolicy(policy) };
}

/** A stored policy document, compiled again (it was checked when published). */
export function compileStored(text: string): CompiledPolicy {
  return compilePolicy(parsePolicy(text, { syntax: "jsonld" }));
}
