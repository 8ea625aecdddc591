import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type AccessRequest,
  type ContextValue,
  compilePolicy,
  evaluate,
  PolicyError,
  parsePolicy,
  type WorldState,
} from "../../src/contract/index.js";

const fixtures = join(import.meta.dirname, "fixtures");
const EX = "https://example.org/";
const agreement = compilePolicy(
  parsePolicy(readFileSync(join(fixtures, "pooling-agreement.jsonld"), "utf8")),
);

const goodContext: Record<string, ContextValue> = {
  purpose: "dpv:AcademicResearch",
  spatial: "FR",
  "lp:consentStatus": "dpv:ConsentGiven",
  "lp:minK": 10,
  "lp:maxEpsilon": 0.5,
};
const state: WorldState = { dateTime: "2026-11-27T00:00:00Z", counts: {} };
function use(context: Record<string, ContextValue> = {}, extra: Partial<AccessRequest> = {}): AccessRequest {
  return {
    action: "http://www.w3.org/ns/odrl/2/derive",
    target: `${EX}datasets/moodle-traces`,
    assignee: `${EX}lab-ai`,
    context: { ...goodContext, ...context },
    ...extra,
  };
}

describe("the pooling agreement (JSON-LD, rule inheritance of target and parties)", () => {
  it("permits research use that meets every constraint, with the duties to fulfil", () => {
    const e = evaluate(agreement, use(), state);
    expect(e.decision).toBe("Permit");
    expect(e.decidingRule).toBe(`${EX}rules/train`);
    expect(e.duties.map((d) => d.duty)).toEqual([
      `${EX}duties/delete`,
      `${EX}duties/anonymize`,
      `${EX}duties/inform`,
    ]);
    expect(e.duties.every((d) => d.state === "pending")).toBe(true);
  });

  it("an action the agreement does not grant is not covered, and `use` covers read and write", () => {
    expect(evaluate(agreement, use({}, { action: "http://www.w3.org/ns/odrl/2/sell" }), state).decision).toBe(
      "NotApplicable",
    );
    const p = compilePolicy(
      parsePolicy(
        `@prefix odrl: <http://www.w3.org/ns/odrl/2/>. <urn:p> a odrl:Set; odrl:permission [ odrl:action odrl:use ].`,
      ),
    );
    for (const a of ["read", "write", "distribute"])
      expect(evaluate(p, { action: `http://www.w3.org/ns/odrl/2/${a}` }).decision).toBe("Permit");
    expect(evaluate(p, { action: "http://www.w3.org/ns/odrl/2/sell" }).decision).toBe("NotApplicable");
  });

  it("another assignee or target is not covered: NotApplicable", () => {
    expect(evaluate(agreement, use({}, { assignee: `${EX}someone` }), state).decision).toBe("NotApplicable");
    expect(evaluate(agreement, use({}, { target: `${EX}other` }), state).decision).toBe("NotApplicable");
  });

  it("a target in a collection (state partOf) is covered", () => {
    const e = evaluate(agreement, use({}, { target: `${EX}part` }), {
      ...state,
      partOf: { [`${EX}part`]: [`${EX}datasets/moodle-traces`] },
    });
    expect(e.decision).toBe("Permit");
  });
});

describe("purpose with the DPV hierarchy", () => {
  it.each([
    ["dpv:AcademicResearch", "Permit"],
    ["dpv:ResearchAndDevelopment", "Permit"],
    ["dpv:TrainAIModel", "Permit"],
    ["dpv:ProvideEducation", "Deny"],
    ["dpv:Purpose", "Deny"],
    ["https://example.org/unknown-purpose", "Deny"],
  ])("%s → %s", (purpose, decision) => {
    expect(evaluate(agreement, use({ purpose }), state).decision).toBe(decision);
  });

  it("a marketing purpose hits the prohibition, with its remedy", () => {
    const e = evaluate(agreement, use({ purpose: "dpv:PersonalisedAdvertising" }), state);
    expect(e.decision).toBe("Deny");
    expect(e.decidingRule).toBe(`${EX}rules/no-marketing`);
    expect(e.remedies).toEqual([`${EX}remedies/delete`]);
  });

  it("names the deciding constraint", () => {
    const e = evaluate(agreement, use({ purpose: "dpv:ProvideEducation" }), state);
    expect(e.decidingConstraint).toBe(`${EX}c/purpose`);
    expect(e.reason).toContain("purpose");
  });
});

describe("dateTime, count, spatial, profile terms", () => {
  it("after the end date: Deny by ex:c/until", () => {
    const e = evaluate(agreement, use(), { ...state, dateTime: "2027-07-01T00:00:00Z" });
    expect(e.decision).toBe("Deny");
    expect(e.decidingConstraint).toBe(`${EX}c/until`);
  });

  it("without a clock, dateTime is unknown: Deny (fail closed)", () => {
    const e = evaluate(agreement, use(), { counts: {} });
    expect(e.decision).toBe("Deny");
    expect(e.reason).toContain("no value");
  });

  it("count: the 100th use passes, the 101st is denied; no counters → Deny", () => {
    const rule = `${EX}rules/train`;
    expect(evaluate(agreement, use(), { ...state, counts: { [rule]: 99 } }).decision).toBe("Permit");
    const e = evaluate(agreement, use(), { ...state, counts: { [rule]: 100 } });
    expect(e.decision).toBe("Deny");
    expect(e.decidingConstraint).toBe(`${EX}c/count`);
    expect(evaluate(agreement, use(), { dateTime: state.dateTime! }).decision).toBe("Deny");
  });

  it.each([
    ["FR", "Permit"],
    ["NO", "Permit"],
    ["urn:iso:std:iso:3166:DE", "Permit"],
    ["US", "Deny"],
    ["CH", "Deny"],
  ])("spatial %s → %s", (spatial, decision) => {
    expect(evaluate(agreement, use({ spatial }), state).decision).toBe(decision);
  });

  it.each([
    ["lp:consentStatus", "dpv:ConsentWithdrawn", `${EX}c/consent`],
    ["lp:minK", 3, `${EX}c/k`],
    ["lp:maxEpsilon", 2, `${EX}c/eps`],
    ["lp:minK", "many", `${EX}c/k`],
  ])("%s = %s → Deny by its constraint", (key, value, constraint) => {
    const e = evaluate(agreement, use({ [key]: value }), state);
    expect(e.decision).toBe("Deny");
    expect(e.decidingConstraint).toBe(constraint);
  });

  const release = (context: Record<string, ContextValue>) =>
    evaluate(agreement, use(context, { action: "http://www.w3.org/ns/odrl/2/distribute" }), state);
  it("release type, age band, recipient", () => {
    const ok = { "lp:releaseType": "lp:Model", "lp:ageBand": "lp:adult", recipient: `${EX}ministry` };
    expect(release(ok).decision).toBe("Permit");
    expect(release({ ...ok, "lp:releaseType": "lp:Dataset" }).decidingConstraint).toBe(`${EX}c/release`);
    expect(release({ ...ok, "lp:ageBand": "lp:under15" }).decidingConstraint).toBe(`${EX}c/age`);
    expect(release({ ...ok, recipient: `${EX}broker` }).decidingConstraint).toBe(`${EX}c/recipient`);
  });
});

const TTL = `@prefix odrl: <http://www.w3.org/ns/odrl/2/>. @prefix ex: <https://example.org/>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>. @prefix lp: <https://w3id.org/learnpool/odrl/>.`;
const policyOf = (body: string) => compilePolicy(parsePolicy(`${TTL}\n${body}`));
const read = (context: Record<string, ContextValue> = {}): AccessRequest => ({
  action: "http://www.w3.org/ns/odrl/2/read",
  target: `${EX}x`,
  assignee: `${EX}alice`,
  context,
});

describe("Turtle, conflicts, logical constraints, elapsedTime, malformed input", () => {
  const both = (conflict: string) =>
    policyOf(`ex:p a odrl:Set; ${conflict} odrl:permission [ odrl:action odrl:read; odrl:target ex:x ];
      odrl:prohibition [ odrl:action odrl:use; odrl:target ex:x ].`);
  it("conflict: prohibit by default, perm, invalid", () => {
    expect(evaluate(both(""), read()).decision).toBe("Deny");
    expect(evaluate(both("odrl:conflict odrl:prohibit;"), read()).decision).toBe("Deny");
    expect(evaluate(both("odrl:conflict odrl:perm;"), read()).decision).toBe("Permit");
    const invalid = evaluate(both("odrl:conflict odrl:invalid;"), read());
    expect(invalid.decision).toBe("Deny");
    expect(invalid.reason).toContain("invalid");
  });

  it("an unknown conflict strategy is malformed", () => {
    expect(() => both("odrl:conflict odrl:whatever;")).toThrow(PolicyError);
  });

  const logical = (op: string) =>
    policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:read; odrl:target ex:x;
      odrl:constraint [ odrl:${op} ( [ odrl:leftOperand lp:minK; odrl:operator odrl:gteq; odrl:rightOperand 5 ]
                                   [ odrl:leftOperand lp:maxEpsilon; odrl:operator odrl:lteq; odrl:rightOperand 1.0 ] ) ] ].`);
  it.each([
    ["or", { "lp:minK": 10, "lp:maxEpsilon": 5 }, "Permit"],
    ["or", { "lp:minK": 1, "lp:maxEpsilon": 5 }, "Deny"],
    ["xone", { "lp:minK": 10, "lp:maxEpsilon": 5 }, "Permit"],
    ["xone", { "lp:minK": 10, "lp:maxEpsilon": 0.5 }, "Deny"],
    ["and", { "lp:minK": 10, "lp:maxEpsilon": 0.5 }, "Permit"],
    ["and", { "lp:minK": 10, "lp:maxEpsilon": 5 }, "Deny"],
    ["andSequence", { "lp:minK": 10, "lp:maxEpsilon": 0.5 }, "Permit"],
    ["andSequence", { "lp:minK": 1 }, "Deny"],
  ])("%s with %o → %s", (op, context, decision) => {
    expect(evaluate(logical(op), read(context)).decision).toBe(decision);
  });

  it("elapsedTime against the state's start", () => {
    const p = policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
      odrl:constraint [ odrl:leftOperand odrl:elapsedTime; odrl:operator odrl:lteq; odrl:rightOperand "P30D"^^xsd:duration ] ].`);
    expect(
      evaluate(p, read(), { dateTime: "2026-01-20T00:00:00Z", since: "2026-01-01T00:00:00Z" }).decision,
    ).toBe("Permit");
    expect(
      evaluate(p, read(), { dateTime: "2026-03-01T00:00:00Z", since: "2026-01-01T00:00:00Z" }).decision,
    ).toBe("Deny");
    expect(evaluate(p, read({ elapsedTime: "PT2H" })).decision).toBe("Permit");
    expect(evaluate(p, read()).decision).toBe("Deny");
  });

  it("every operator on terms and sets", () => {
    const op = (operator: string, right: string, context: Record<string, ContextValue>) =>
      evaluate(
        policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
          odrl:constraint [ odrl:leftOperand odrl:recipient; odrl:operator odrl:${operator}; odrl:rightOperand ${right} ] ].`),
        read(context),
      ).decision;
    expect(op("eq", "ex:a", { recipient: `${EX}a` })).toBe("Permit");
    expect(op("neq", "ex:a", { recipient: `${EX}b` })).toBe("Permit");
    expect(op("neq", "ex:a", { recipient: `${EX}a` })).toBe("Deny");
    expect(op("isAnyOf", "ex:a, ex:b", { recipient: `${EX}b` })).toBe("Permit");
    expect(op("isNoneOf", "ex:a, ex:b", { recipient: `${EX}c` })).toBe("Permit");
    expect(op("isNoneOf", "ex:a, ex:b", { recipient: `${EX}a` })).toBe("Deny");
    expect(op("isAllOf", "ex:a, ex:b", { recipient: [`${EX}a`, `${EX}b`] })).toBe("Permit");
    expect(op("isAllOf", "ex:a, ex:b", { recipient: [`${EX}a`] })).toBe("Deny");
    expect(op("hasPart", "ex:a", { recipient: [`${EX}a`, `${EX}c`] })).toBe("Permit");
    expect(op("isPartOf", "ex:a, ex:b", { recipient: [`${EX}a`] })).toBe("Permit");
    expect(op("isA", "ex:a", { recipient: `${EX}a` })).toBe("Permit");
    expect(op("lt", "ex:a", { recipient: `${EX}a` })).toBe("Deny");
    expect(op("gt", "ex:a", { recipient: `${EX}a` })).toBe("Deny");
    expect(op("unknownOp", "ex:a", { recipient: `${EX}a` })).toBe("Deny");
  });

  it("ordered operators on numbers, dates and durations", () => {
    const num = (operator: string, v: number) =>
      evaluate(
        policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
          odrl:constraint [ odrl:leftOperand lp:minK; odrl:operator odrl:${operator}; odrl:rightOperand 5 ] ].`),
        read({ "lp:minK": v }),
      ).decision;
    expect([
      num("lt", 4),
      num("lt", 5),
      num("lteq", 5),
      num("gt", 5),
      num("gt", 6),
      num("gteq", 5),
      num("eq", 5),
    ]).toEqual(["Permit", "Deny", "Permit", "Deny", "Permit", "Permit", "Permit"]);
  });

  it("an unknown left operand without a value, and a malformed right operand, deny; a prohibition fails closed", () => {
    const unknown = policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
      odrl:constraint [ odrl:leftOperand ex:mystery; odrl:operator odrl:eq; odrl:rightOperand "a" ] ].`);
    expect(evaluate(unknown, read()).reason).toContain("does not know");
    const malformed = policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
      odrl:constraint [ odrl:leftOperand odrl:dateTime; odrl:operator odrl:lt; odrl:rightOperand "tomorrow" ] ].`);
    const e = evaluate(malformed, read(), { dateTime: "2026-01-01T00:00:00Z" });
    expect(e.decision).toBe("Deny");
    expect(e.reason).toContain("malformed");
    const prohibited = policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x ];
      odrl:prohibition [ odrl:action odrl:use; odrl:target ex:x;
        odrl:constraint [ odrl:leftOperand odrl:purpose; odrl:operator odrl:isA; odrl:rightOperand <https://w3id.org/dpv#Marketing> ] ].`);
    expect(evaluate(prohibited, read()).decision).toBe("Deny");
    expect(evaluate(prohibited, read({ purpose: "dpv:AcademicResearch" })).decision).toBe("Permit");
  });

  it("malformed documents throw PolicyError", () => {
    expect(() => parsePolicy("not turtle at all {")).toThrow(PolicyError);
    expect(() => parsePolicy("{ not json")).toThrow(PolicyError);
    expect(() => parsePolicy(`{"@context": "https://example.org/remote.jsonld", "@type": "Set"}`)).toThrow(
      PolicyError,
    );
    expect(() => parsePolicy(`${TTL} ex:a ex:b ex:c.`)).toThrow(PolicyError);
    expect(() =>
      parsePolicy(
        `${TTL} ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:constraint [ odrl:operator odrl:eq; odrl:rightOperand 1 ] ].`,
      ),
    ).toThrow(PolicyError);
    expect(evaluate(agreement, { action: "" }, state).decision).toBe("Deny");
  });

  it("a duty already violated voids its permission; fulfilled duties are reported", () => {
    const p = policyOf(`ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x;
      odrl:duty ex:d ]. ex:d odrl:action odrl:attribute; odrl:consequence [ odrl:action odrl:compensate ].`);
    const ok = evaluate(p, read(), { duties: { [`${EX}d`]: "fulfilled" } });
    expect(ok.decision).toBe("Permit");
    expect(ok.duties[0]).toMatchObject({
      duty: `${EX}d`,
      state: "fulfilled",
      actions: ["http://www.w3.org/ns/odrl/2/attribute"],
    });
    expect(ok.duties[0]!.consequences).toHaveLength(1);
    expect(evaluate(p, read(), { duties: { [`${EX}d`]: "violated" } }).decision).toBe("Deny");
  });

  it("inheritFrom: the child has its parent's rules", () => {
    const p = compilePolicy(
      parsePolicy(`${TTL} ex:parent a odrl:Set; odrl:uid ex:parent; odrl:prohibition [ odrl:action odrl:use; odrl:target ex:x ].
        ex:child a odrl:Set; odrl:uid ex:child; odrl:inheritFrom ex:parent; odrl:permission [ odrl:action odrl:read; odrl:target ex:x ].`),
    );
    expect(p.policy.id).toBe(`${EX}child`);
    expect(evaluate(p, read()).decision).toBe("Deny");
    expect(() => parsePolicy(`${TTL} ex:c a odrl:Set; odrl:uid ex:c; odrl:inheritFrom ex:missing.`)).toThrow(
      PolicyError,
    );
  });

  it("the same policy in JSON-LD and Turtle decides the same", () => {
    const json = compilePolicy(
      parsePolicy(
        JSON.stringify({
          "@context": "http://www.w3.org/ns/odrl.jsonld",
          "@type": "Offer",
          uid: `${EX}offer`,
          permission: [
            {
              target: `${EX}x`,
              action: "read",
              constraint: [
                {
                  leftOperand: "purpose",
                  operator: "isA",
                  rightOperand: { "@id": "https://w3id.org/dpv#ResearchAndDevelopment" },
                },
              ],
            },
          ],
        }),
      ),
    );
    const ttl = policyOf(`ex:offer a odrl:Offer; odrl:permission [ odrl:target ex:x; odrl:action odrl:read;
      odrl:constraint [ odrl:leftOperand odrl:purpose; odrl:operator odrl:isA; odrl:rightOperand <https://w3id.org/dpv#ResearchAndDevelopment> ] ].`);
    for (const purpose of ["dpv:AcademicResearch", "dpv:Marketing"])
      expect(evaluate(json, read({ purpose })).decision).toBe(evaluate(ttl, read({ purpose })).decision);
    expect(evaluate(json, read({ purpose: "dpv:AcademicResearch" })).decision).toBe("Permit");
  });
});
