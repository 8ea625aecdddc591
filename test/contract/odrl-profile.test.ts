/**
 * What the CG test suite does not exercise: the DPV purpose hierarchy under every set operator and for
 * individuals typed by the request, count per rule, elapsedTime per rule and malformed starts, spatial
 * regions (EEA, EU, ISO 3166 forms), recipient, and the Learnpool profile terms at their boundaries
 * and when absent. Also the shape of the suite's "big policy" cases 062–064, whose 446 KB documents are
 * not copied (test/contract/fixtures/odrl-test-suite/SOURCE.md).
 */
import { describe, expect, it } from "vitest";
import {
  type AccessRequest,
  type ContextValue,
  compilePolicy,
  evaluate,
  evaluateFiles,
  parsePolicy,
  type WorldState,
} from "../../src/contract/index.js";

const EX = "https://example.org/";
const ODRL = "http://www.w3.org/ns/odrl/2/";
const TTL = `@prefix odrl: <http://www.w3.org/ns/odrl/2/>. @prefix ex: <https://example.org/>.
@prefix xsd: <http://www.w3.org/2001/XMLSchema#>. @prefix lp: <https://w3id.org/learnpool/odrl/>.
@prefix dpv: <https://w3id.org/dpv#>.`;
/** A Set with one permission to use ex:x under `constraints` (Turtle constraint nodes). */
const permit = (...constraints: string[]) =>
  compilePolicy(
    parsePolicy(`${TTL}
ex:p a odrl:Set; odrl:permission ex:perm.
ex:perm odrl:action odrl:use; odrl:target ex:x; odrl:constraint ${constraints.join(", ")}.`),
  );
/** A Set that permits use of ex:x and prohibits it under `constraint`. */
const prohibit = (constraint: string) =>
  compilePolicy(
    parsePolicy(`${TTL}
ex:p a odrl:Set; odrl:permission [ odrl:action odrl:use; odrl:target ex:x ];
  odrl:prohibition [ odrl:action odrl:use; odrl:target ex:x; odrl:constraint ${constraint} ].`),
  );
const c = (left: string, op: string, right: string) =>
  `[ odrl:leftOperand ${left}; odrl:operator odrl:${op}; odrl:rightOperand ${right} ]`;
const req = (context: Record<string, ContextValue> = {}): AccessRequest => ({
  action: `${ODRL}read`,
  target: `${EX}x`,
  assignee: `${EX}alice`,
  context,
});
const decide = (
  p: ReturnType<typeof permit>,
  context: Record<string, ContextValue>,
  state: WorldState = {},
) => evaluate(p, req(context), state).decision;

describe("purpose over the DPV hierarchy", () => {
  it.each([
    // isNoneOf excludes the narrower purposes of an excluded one
    ["isNoneOf", "dpv:Marketing", "dpv:PersonalisedAdvertising", "Deny"],
    ["isNoneOf", "dpv:Marketing", "dpv:AcademicResearch", "Permit"],
    // a purpose with two broader purposes falls under both
    ["isA", "dpv:ProvideEducation", "dpv:PersonalisedEducation", "Permit"],
    ["isA", "dpv:ServicePersonalisation", "dpv:PersonalisedEducation", "Permit"],
    ["isA", "dpv:ResearchAndDevelopment", "dpv:ProvideEducation", "Deny"],
    // eq and isAnyOf cover narrower purposes; a broader purpose is not covered by a narrower one
    ["eq", "dpv:ResearchAndDevelopment", "dpv:TrainAIModel", "Permit"],
    ["eq", "dpv:TrainAIModel", "dpv:ResearchAndDevelopment", "Deny"],
    [
      "isAnyOf",
      "dpv:StatisticalPurpose, dpv:TrainingArtificialIntelligence",
      "dpv:ValidateAIModel",
      "Permit",
    ],
    ["neq", "dpv:Marketing", "dpv:DirectMarketing", "Deny"],
    ["neq", "dpv:Marketing", "dpv:EducationalAssessment", "Permit"],
  ])("purpose %s %s, request %s → %s", (op, right, purpose, decision) => {
    const p = permit(c("odrl:purpose", op, right));
    expect(decide(p, { purpose })).toBe(decision);
  });

  it("several purposes requested: isA needs every one covered, isNoneOf none excluded", () => {
    const isA = permit(c("odrl:purpose", "isA", "dpv:ResearchAndDevelopment"));
    expect(decide(isA, { purpose: ["dpv:AcademicResearch", "dpv:TrainAIModel"] })).toBe("Permit");
    expect(decide(isA, { purpose: ["dpv:AcademicResearch", "dpv:Advertising"] })).toBe("Deny");
    const none = permit(c("odrl:purpose", "isNoneOf", "dpv:Marketing"));
    expect(decide(none, { purpose: ["dpv:AcademicResearch", "dpv:DirectMarketing"] })).toBe("Deny");
  });

  it("an individual purpose is covered through its rdf:type, from the state or the request document", () => {
    const p = permit(c("odrl:purpose", "isA", "dpv:ResearchAndDevelopment"));
    const state: WorldState = { types: { [`${EX}study-42`]: ["https://w3id.org/dpv#TrainAIModel"] } };
    expect(decide(p, { purpose: `${EX}study-42` }, state)).toBe("Permit");
    expect(decide(p, { purpose: `${EX}study-42` })).toBe("Deny");
    expect(
      decide(
        p,
        { purpose: `${EX}study-42` },
        { types: { [`${EX}study-42`]: ["https://w3id.org/dpv#Marketing"] } },
      ),
    ).toBe("Deny");
  });

  it("no purpose stated: unknown, never the empty set (isNoneOf does not pass by silence)", () => {
    const none = permit(c("odrl:purpose", "isNoneOf", "dpv:Marketing"));
    const e = evaluate(none, req(), {});
    expect(e.decision).toBe("Deny");
    expect(e.reason).toContain("no value for http://www.w3.org/ns/odrl/2/purpose");
    expect(e.ruleReports[0]!.premiseReports.at(-1)!.satisfactionState).toBe("Unknown");
    // and a prohibition on a purpose, with no purpose stated, applies (fail closed)
    expect(decide(prohibit(c("odrl:purpose", "isA", "dpv:Marketing")), {})).toBe("Deny");
    expect(
      decide(prohibit(c("odrl:purpose", "isA", "dpv:Marketing")), { purpose: "dpv:AcademicResearch" }),
    ).toBe("Permit");
  });
});

describe("count", () => {
  const p = permit(c("odrl:count", "lt", "3"));
  const rule = `${EX}perm`;
  it("counts the uses of this rule only, plus the one requested", () => {
    expect(decide(p, {}, { counts: { [rule]: 1 } })).toBe("Permit"); // 2nd use < 3
    expect(decide(p, {}, { counts: { [rule]: 2 } })).toBe("Deny"); // 3rd use
    expect(decide(p, {}, { counts: { [`${EX}other-rule`]: 50 } })).toBe("Permit"); // 1st use of this rule
  });
  it("without counters, a count given by the request is used; without either, Deny", () => {
    expect(decide(p, { count: 2 })).toBe("Permit");
    expect(decide(p, { count: 3 })).toBe("Deny");
    expect(decide(p, {})).toBe("Deny");
  });
  it("a malformed counter denies", () => {
    expect(decide(p, {}, { counts: { [rule]: "many" as unknown as number } })).toBe("Deny");
  });
});

describe("elapsedTime", () => {
  const p = permit(c("odrl:elapsedTime", "lt", '"P1D"^^xsd:duration'));
  it("since per rule: another rule's start does not count", () => {
    const now = "2026-05-02T12:00:00Z";
    expect(decide(p, {}, { dateTime: now, since: { [`${EX}perm`]: "2026-05-02T00:00:00Z" } })).toBe("Permit");
    expect(decide(p, {}, { dateTime: now, since: { [`${EX}perm`]: "2026-04-30T00:00:00Z" } })).toBe("Deny");
    expect(decide(p, {}, { dateTime: now, since: { [`${EX}other`]: "2026-05-02T00:00:00Z" } })).toBe("Deny");
  });
  it("a malformed start, or no clock, denies without throwing", () => {
    const e = evaluate(p, req(), { dateTime: "2026-05-02T12:00:00Z", since: "last tuesday" });
    expect(e.decision).toBe("Deny");
    expect(e.reason).toContain("malformed");
    expect(decide(p, {}, { since: "2026-05-02T00:00:00Z" })).toBe("Deny");
  });
  it("months and years as xsd:duration", () => {
    const year = permit(c("odrl:elapsedTime", "lteq", '"P1Y2M"^^xsd:duration'));
    const since = "2026-01-01T00:00:00Z";
    expect(decide(year, {}, { dateTime: "2027-02-15T00:00:00Z", since })).toBe("Permit");
    expect(decide(year, {}, { dateTime: "2027-04-01T00:00:00Z", since })).toBe("Deny");
  });
});

describe("spatial: ISO 3166 codes and the EEA and EU regions", () => {
  it.each([
    ["isPartOf", "lp:EU", "DE", "Permit"],
    ["isPartOf", "lp:EU", "NO", "Deny"], // EEA, not EU
    ["isPartOf", "lp:EU", "IS", "Deny"],
    ["isPartOf", "lp:EEA", "LI", "Permit"],
    ["isPartOf", "lp:EEA", "lp:EU", "Permit"], // the EU lies within the EEA
    ["isPartOf", "lp:EU", "lp:EEA", "Deny"],
    ["isPartOf", "lp:EEA", "GB", "Deny"],
    ["isPartOf", "lp:EEA", "CH", "Deny"],
    ["isPartOf", "lp:EEA", "fr", "Permit"],
    ["isPartOf", "lp:EEA", "urn:iso:std:iso:3166:IT", "Permit"],
    ["isPartOf", "lp:EEA", "XX", "Deny"],
    ["isNoneOf", "lp:EU", "NO", "Permit"],
    ["isNoneOf", "lp:EU", "PT", "Deny"],
    ["eq", "<urn:iso:std:iso:3166:FR>", "FR", "Permit"],
    ["neq", "<urn:iso:std:iso:3166:FR>", "BE", "Permit"],
  ])("spatial %s %s, request %s → %s", (op, right, spatial, decision) => {
    expect(decide(permit(c("odrl:spatial", op, right)), { spatial })).toBe(decision);
  });
  it("no place stated: Deny", () => {
    expect(decide(permit(c("odrl:spatial", "isPartOf", "lp:EEA")), {})).toBe("Deny");
  });
});

describe("recipient", () => {
  it("isAnyOf and isNoneOf on parties; a prohibition on a recipient fails closed without one", () => {
    const only = permit(c("odrl:recipient", "isAnyOf", "ex:ministry, ex:lab"));
    expect(decide(only, { recipient: `${EX}lab` })).toBe("Permit");
    expect(decide(only, { recipient: `${EX}broker` })).toBe("Deny");
    expect(decide(only, {})).toBe("Deny");
    const never = prohibit(c("odrl:recipient", "eq", "ex:broker"));
    expect(decide(never, { recipient: `${EX}lab` })).toBe("Permit");
    expect(decide(never, { recipient: `${EX}broker` })).toBe("Deny");
    expect(decide(never, {})).toBe("Deny");
  });
});

describe("the Learnpool profile terms", () => {
  it("lp:consentStatus: given passes, withdrawn or absent denies", () => {
    const p = permit(c("lp:consentStatus", "eq", "dpv:ConsentGiven"));
    expect(decide(p, { "lp:consentStatus": "dpv:ConsentGiven" })).toBe("Permit");
    expect(decide(p, { consentStatus: "https://w3id.org/dpv#ConsentGiven" })).toBe("Permit");
    expect(decide(p, { "lp:consentStatus": "dpv:ConsentWithdrawn" })).toBe("Deny");
    expect(decide(p, {})).toBe("Deny");
  });
  it("lp:minK and lp:maxEpsilon at their bounds, as numbers or numeric text", () => {
    const p = permit(c("lp:minK", "gteq", "5"), c("lp:maxEpsilon", "lteq", '"1.0"^^xsd:decimal'));
    expect(decide(p, { minK: 5, maxEpsilon: 1 })).toBe("Permit");
    expect(decide(p, { "lp:minK": "10", "lp:maxEpsilon": "0.25" })).toBe("Permit");
    expect(decide(p, { minK: 4, maxEpsilon: 1 })).toBe("Deny");
    expect(decide(p, { minK: 5, maxEpsilon: 1.0001 })).toBe("Deny");
    expect(decide(p, { minK: 5 })).toBe("Deny");
    expect(decide(p, { minK: 5, maxEpsilon: Number.NaN })).toBe("Deny");
    expect(decide(p, { minK: "", maxEpsilon: 1 })).toBe("Deny");
  });
  it("lp:ageBand and lp:releaseType as sets of terms", () => {
    const p = permit(
      c("lp:ageBand", "isNoneOf", "lp:under13, lp:under15"),
      c("lp:releaseType", "isAnyOf", "lp:Model, lp:Metrics"),
    );
    expect(decide(p, { ageBand: "lp:adult", releaseType: "lp:Metrics" })).toBe("Permit");
    expect(decide(p, { ageBand: ["lp:adult", "lp:under15"], releaseType: "lp:Model" })).toBe("Deny");
    expect(decide(p, { ageBand: "lp:adult", releaseType: "lp:Dataset" })).toBe("Deny");
    expect(decide(p, { releaseType: "lp:Model" })).toBe("Deny"); // age band not stated
  });
  it("a profile term this engine does not know is unknown, even with a value: Deny", () => {
    const p = permit(c("lp:maxDelta", "lteq", "1"));
    const e = evaluate(p, req({ "lp:maxDelta": 0 }), {});
    expect(e.decision).toBe("Deny");
    expect(e.reason).toContain("does not know");
    expect(decide(prohibit(c("lp:maxDelta", "lteq", "1")), { "lp:maxDelta": 5 })).toBe("Deny");
  });
});

describe("the shape of suite cases 062-064: a year of weekday office hours in one `or`", () => {
  // 2024's weekdays from 09:00 to 17:00 UTC, each an `and` of gt and lt, as the suite's big policy.
  const days: string[] = [];
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2025, 0, 1); t += 86_400_000) {
    const d = new Date(t);
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) days.push(d.toISOString().slice(0, 10));
  }
  const windows = days.map(
    (d) =>
      `[ odrl:and ${c("odrl:dateTime", "gt", `"${d}T09:00:00.000Z"^^xsd:dateTime`)}, ${c("odrl:dateTime", "lt", `"${d}T17:00:00.000Z"^^xsd:dateTime`)} ]`,
  );
  const policy = `${TTL}
<urn:uuid:p> a odrl:Set; odrl:uid <urn:uuid:p>; odrl:permission <urn:uuid:perm>.
<urn:uuid:perm> a odrl:Permission; odrl:assignee ex:alice; odrl:action odrl:read; odrl:target ex:x;
  odrl:constraint [ odrl:or ${windows.join(",\n")} ].`;
  const request = `${TTL}
<urn:uuid:r> a odrl:Request; odrl:uid <urn:uuid:r>; odrl:permission <urn:uuid:rr>.
<urn:uuid:rr> a odrl:Permission; odrl:assignee ex:alice; odrl:action odrl:read; odrl:target ex:x.`;
  const at = (time: string) =>
    evaluateFiles({
      policy,
      request,
      state: `@prefix dct: <http://purl.org/dc/terms/>. @prefix xsd: <http://www.w3.org/2001/XMLSchema#>.
<urn:t> dct:issued "${time}"^^xsd:dateTime.`,
    }).evaluation;
  it("has 262 windows", () => expect(days).toHaveLength(262));
  it.each([
    ["2024-02-12T11:20:10.999Z", "Permit"], // 062: a Monday, in office hours
    ["2024-02-12T18:20:10.999Z", "Deny"], // after office hours
    ["2024-02-10T11:20:10.999Z", "Deny"], // a Saturday
    ["2017-02-12T11:20:10.999Z", "Deny"], // 064: the past (2017)
  ])("at %s → %s", (time, decision) => {
    const e = at(time);
    expect(e.decision).toBe(decision);
    expect(e.ruleReports[0]!.premiseReports.at(-1)!.children).toHaveLength(262);
  });
});
