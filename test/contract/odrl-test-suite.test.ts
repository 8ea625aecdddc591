/**
 * Cases of the W3C ODRL community group's formal-semantics test suite (SolidLabResearch/ODRL-Test-Suite),
 * run through `evaluateFiles` (what `learnpool odrl evaluate` calls). Reports are compared on what the
 * model states, not on node identifiers: policy, request, and per rule report its type, rule, rule
 * request, attempt and activation states, and its premise reports (type, satisfaction, constraint, left
 * operand value), and the duties' condition reports (type, rule, performance and deontic states).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser } from "n3";
import { describe, expect, it } from "vitest";
import { evaluateFiles } from "../../src/contract/index.js";

const dir = join(import.meta.dirname, "fixtures", "odrl-test-suite");
const R = "https://w3id.org/force/compliance-report#";
const TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/** `context` is the state of the world: the suite's expected reports point at its duty reports. */
function project(turtle: string, context = "") {
  const quads = [...new Parser().parse(turtle), ...new Parser().parse(context)];
  const props = new Map<string, Map<string, string[]>>();
  for (const q of quads) {
    const m = props.get(q.subject.value) ?? new Map<string, string[]>();
    props.set(q.subject.value, m);
    m.set(q.predicate.value, [...(m.get(q.predicate.value) ?? []), q.object.value]);
  }
  const get = (s: string, p: string) => props.get(s)?.get(p) ?? [];
  const top = [...props].find(
    ([, m]) => m.get(TYPE)?.includes(`${R}PolicyReport`) && m.has(`${R}policyRequest`),
  )![0];
  const premise = (id: string): string =>
    [
      get(id, TYPE)[0],
      get(id, `${R}satisfactionState`)[0],
      get(id, `${R}constraint`)[0] ?? "",
      get(id, `${R}constraintLeftOperand`)[0] ?? "",
    ]
      .map((v) => (v ?? "").replace(R, ""))
      .join(" ");
  const condition = (id: string): string =>
    [
      get(id, TYPE)[0],
      get(id, `${R}rule`)[0],
      get(id, `${R}performanceState`)[0],
      get(id, `${R}deonticState`)[0],
    ]
      .map((v) => (v ?? "").replace(R, ""))
      .join(" ");
  return {
    policy: get(top, `${R}policy`),
    policyRequest: get(top, `${R}policyRequest`),
    rules: get(top, `${R}ruleReport`)
      .map((id) => ({
        type: get(id, TYPE)[0]!.replace(R, ""),
        rule: get(id, `${R}rule`)[0],
        ruleRequest: get(id, `${R}ruleRequest`)[0],
        attemptState: get(id, `${R}attemptState`)[0]?.replace(R, ""),
        activationState: get(id, `${R}activationState`)[0]!.replace(R, ""),
        premises: get(id, `${R}premiseReport`).map(premise).sort(),
        conditions: get(id, `${R}conditionReport`).map(condition).sort(),
      }))
      .sort((a, b) => String(a.rule).localeCompare(String(b.rule))),
  };
}

/**
 * Cases where we assert our answer, not the suite's. Each such case keeps the suite's files unchanged
 * and adds `expected-learnpool.ttl`, our expected report; the test also checks that the suite's own
 * expectation still differs, so that a fix upstream is noticed.
 *
 * - 065, 066, 067, 068 (duty, "given that eventually the duty is fulfilled"): the state of the world
 *   carries a duty report about urn:uuid:a0b12cb7…, the duty of testcase 060's policy
 *   (report:policy urn:uuid:5aa7f98c…), not about this policy's duty urn:uuid:4129123f…; the suite's
 *   expected report nevertheless takes it as this permission's condition report. A report about another
 *   policy's duty says nothing about this one: we report the policy's own duty, performance Unknown,
 *   deontic state NonSet (as in testcase 059). Activation is the same as the suite's in all four.
 *   065's expected report is moreover truncated in every revision of the suite (three premise reports are
 *   named and never stated); ours states them.
 * - 071, 073, 075, 079 (purpose eq / isAnyOf / isA, deliveryChannel eq) and 076 (purpose isNoneOf):
 *   the request states no value for the left operand. The suite reads the absence as the empty set
 *   (closed world): "" is not AccountManagement, so eq/isAnyOf/isA are Unsatisfied, and "" is none of
 *   {AccountManagement, DataQualityManagement}, so 076's isNoneOf is Satisfied and the permission Active.
 *   The formal semantics make satisfaction two-valued and leave open how the state of the world
 *   represents what it does not say (it "does not formally specify how to represent the necessary
 *   entities"); the ODRL Information Model says nothing of an absent operand either. Closed world on
 *   request parameters would let a requester escape every "not for purpose X" (isNoneOf, neq) by not
 *   declaring a purpose. We therefore keep absent values unknown: the constraint is report:Unknown (the
 *   report model's term for an explicit "not known", with lp:reason naming the missing left operand),
 *   a permission with an unknown constraint is inactive and a prohibition active (fail closed). We
 *   assume a closed world only where it errs towards denial (collection membership, duty states).
 *   Activation and decision are the suite's in 071, 073, 075 and 079 (Inactive, Deny); in 076 we deny
 *   where the suite permits.
 */
const OURS = "expected-learnpool.ttl";

const cases = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe("W3C ODRL CG formal semantics test suite", () => {
  it.each(cases)("testcase %s", (name) => {
    const file = (f: string) => readFileSync(join(dir, name, f), "utf8");
    const { report } = evaluateFiles({
      policy: file("policy.ttl"),
      request: file("request.ttl"),
      state: file("sotw.ttl"),
    });
    const ours = existsSync(join(dir, name, OURS));
    expect(project(report)).toEqual(project(file(ours ? OURS : "expected.ttl"), file("sotw.ttl")));
    if (ours) expect(project(report)).not.toEqual(project(file("expected.ttl"), file("sotw.ttl")));
  });

  it("a member of a party collection (state partOf its source) is covered", () => {
    const file = (f: string) => readFileSync(join(dir, "..", "party-collection-member", f), "utf8");
    const { evaluation } = evaluateFiles({
      policy: file("policy.ttl"),
      request: file("request.ttl"),
      state: file("sotw.ttl"),
    });
    expect(evaluation.decision).toBe("Permit");
  });

  it("prints JSON-LD when asked", () => {
    const file = (f: string) => readFileSync(join(dir, "031-alice-read-x-past", f), "utf8");
    const { report, evaluation } = evaluateFiles({
      policy: file("policy.ttl"),
      request: file("request.ttl"),
      state: file("sotw.ttl"),
      format: "jsonld",
    });
    expect(evaluation.decision).toBe("Deny");
    const json = JSON.parse(report) as { "@graph": { "@type": string }[] };
    expect(json["@graph"][0]!["@type"]).toBe("report:PolicyReport");
  });

  it("a malformed policy is a Deny with its reason, still as a report", () => {
    const { evaluation, report } = evaluateFiles({ policy: "{ nope", request: '{"action":"read"}' });
    expect(evaluation.decision).toBe("Deny");
    expect(evaluation.reason).toContain("malformed");
    expect(report).toContain("report:PolicyReport");
  });
});
