import { describe, expect, it } from "vitest";
import {
  ACTOR_ROLES,
  type ActorRole,
  applyEvent,
  ConsentError,
  type ConsentEventType,
  type ConsentState,
  EVENT_TYPES,
  fold,
  INITIAL,
  type RecordStatus,
  STATES,
  TRANSITIONS,
  validWindow,
} from "../../src/consent/index.js";
import { durationMs } from "../../src/contract/index.js";

/**
 * The expected table, written independently of TRANSITIONS: for each state, event → the roles that
 * may make it and the state it leads to for an adult whose consent is complete. L learner, G
 * guardian, P provider, S system.
 */
const EXPECTED: Record<ConsentState, Partial<Record<ConsentEventType, [string, ConsentState]>>> = {
  unknown: { request: ["PS", "requested"] },
  requested: {
    request: ["PS", "requested"],
    give: ["LG", "given"],
    refuse: ["LG", "refused"],
    expire: ["S", "expired"],
    invalidate: ["PS", "invalidated"],
  },
  given: {
    withdraw: ["LG", "withdrawn"],
    expire: ["S", "expired"],
    invalidate: ["PS", "invalidated"],
    request: ["S", "requested"],
  },
  renewed: {
    withdraw: ["LG", "withdrawn"],
    expire: ["S", "expired"],
    invalidate: ["PS", "invalidated"],
    request: ["S", "requested"],
  },
  refused: { request: ["P", "requested"] },
  withdrawn: { request: ["P", "requested"] },
  expired: { request: ["PS", "requested"] },
  invalidated: { request: ["P", "requested"] },
};
const letter: Record<ActorRole, string> = { learner: "L", guardian: "G", provider: "P", system: "S" };
const AT = "2027-03-15T10:00:00.000Z";
const MINOR_UNTIL = "2029-05-01"; // a minor at AT
const ADULT_SINCE = "2020-01-01";
const guardian = { pseudonym: "g".repeat(22), relationship: "parent" as const };

function status(state: ConsentState, extra: Partial<RecordStatus> = {}): RecordStatus {
  return { ...INITIAL, state, n: 3, ...extra };
}

describe("consent state machine", () => {
  it("the table names each (state, event) once and only DPV states", () => {
    const keys = TRANSITIONS.map((t) => `${t.from}/${t.event}`);
    expect(new Set(keys).size).toBe(keys.length);
    const expectedCount = Object.values(EXPECTED).reduce((n, row) => n + Object.keys(row).length, 0);
    expect(TRANSITIONS).toHaveLength(expectedCount);
  });

  // Every state × event × role, for an adult and for a minor, with and without parts given.
  const cases: [ConsentState, ConsentEventType, ActorRole, boolean][] = [];
  for (const s of STATES)
    for (const e of EVENT_TYPES)
      for (const r of ACTOR_ROLES) for (const m of [false, true]) cases.push([s, e, r, m]);

  it.each(cases)("%s + %s by %s (minor: %s)", (state, event, by, minor) => {
    const before = status(state, {
      consentAgeOn: minor ? MINOR_UNTIL : ADULT_SINCE,
      everGiven: state !== "unknown" && state !== "requested",
    });
    const facts = { event, by, at: AT, ...(by === "guardian" && { guardian }) };
    const expected = EXPECTED[state][event];
    if (!expected?.[0].includes(letter[by]) || (by === "guardian" && !minor)) {
      expect(() => applyEvent(before, facts)).toThrow(ConsentError);
      return;
    }
    const after = applyEvent(before, facts);
    expect(after.n).toBe(4);
    if (event === "give") {
      // A give alone is complete only for an adult learner; a minor needs the other part.
      const complete = !minor ? by === "learner" : false;
      expect(after.state).toBe(complete ? (before.everGiven ? "renewed" : "given") : "requested");
      expect(after.learnerGave).toBe(by === "learner");
      expect(after.guardianGave).toBe(by === "guardian");
    } else {
      expect(after.state).toBe(expected?.[1]);
    }
  });

  it("a minor's consent needs both parts, in either order, and is joint", () => {
    for (const order of [
      ["learner", "guardian"],
      ["guardian", "learner"],
    ] as const) {
      let s = applyEvent(INITIAL, { event: "request", by: "provider", at: AT, consentAgeOn: MINOR_UNTIL });
      s = applyEvent(s, { event: "give", by: order[0], at: AT, guardian });
      expect(s.state).toBe("requested");
      expect(() => applyEvent(s, { event: "give", by: order[0], at: AT, guardian })).toThrow(/already/);
      s = applyEvent(s, { event: "give", by: order[1], at: AT, guardian });
      expect(s).toMatchObject({ state: "given", givenJointly: true, givenAt: AT, guardian });
    }
  });

  it("a refusal by either party ends a minor's request; a guardian never acts for an adult", () => {
    let s = applyEvent(INITIAL, { event: "request", by: "provider", at: AT, consentAgeOn: MINOR_UNTIL });
    s = applyEvent(s, { event: "give", by: "learner", at: AT });
    expect(applyEvent(s, { event: "refuse", by: "guardian", at: AT, guardian }).state).toBe("refused");
    const adult = applyEvent(INITIAL, { event: "request", by: "provider", at: AT, consentAgeOn: null });
    expect(() => applyEvent(adult, { event: "give", by: "guardian", at: AT, guardian })).toThrow(
      /guardian cannot act/,
    );
    // The same minor, once of age: the guardian is refused.
    expect(() =>
      applyEvent(s, { event: "give", by: "guardian", at: "2029-05-01T00:00:00.000Z", guardian }),
    ).toThrow(/guardian cannot act/);
  });

  it("a guardian's give must name the guardian", () => {
    const s = applyEvent(INITIAL, { event: "request", by: "provider", at: AT, consentAgeOn: MINOR_UNTIL });
    expect(() => applyEvent(s, { event: "give", by: "guardian", at: AT })).toThrow(/name the guardian/);
  });

  it("withdrawal twice and other no-ops are clear errors", () => {
    expect(() => applyEvent(status("withdrawn"), { event: "withdraw", by: "learner", at: AT })).toThrow(
      /withdrawn already/,
    );
    expect(() => applyEvent(status("given"), { event: "give", by: "learner", at: AT })).toThrow(
      /given already/,
    );
    expect(() => applyEvent(status("requested"), { event: "withdraw", by: "learner", at: AT })).toThrow(
      /refuse the request/,
    );
    expect(() => applyEvent(status("given"), { event: "refuse", by: "learner", at: AT })).toThrow(
      /withdraw it/,
    );
  });

  it("renewal: given again after withdrawal is RenewedConsentGiven", () => {
    const s = fold([
      { event: "request", by: "provider", at: AT, consentAgeOn: null },
      { event: "give", by: "learner", at: AT },
      { event: "withdraw", by: "learner", at: AT },
      { event: "request", by: "provider", at: AT },
      { event: "give", by: "learner", at: AT },
    ]);
    expect(s).toMatchObject({ state: "renewed", n: 5, everGiven: true });
  });

  it("the valid window ends at the earliest of retention, agreement end and a joint consent's coming of age", () => {
    const limits = { retention: { duration: "P1Y" }, agreementNotAfter: "2030-01-01T00:00:00.000Z" };
    const adult = status("given", { givenAt: AT });
    expect(validWindow(adult, limits, durationMs)).toEqual({ from: AT, until: "2028-03-14T10:00:00.000Z" });
    const joint = status("given", { givenAt: AT, givenJointly: true, consentAgeOn: "2027-06-01" });
    expect(validWindow(joint, limits, durationMs)?.until).toBe("2027-06-01T00:00:00.000Z");
    expect(
      validWindow(
        adult,
        { retention: { until: "2040-01-01T00:00:00.000Z" }, agreementNotAfter: "2029-01-01T00:00:00.000Z" },
        durationMs,
      )?.until,
    ).toBe("2029-01-01T00:00:00.000Z");
    expect(validWindow(status("withdrawn"), limits, durationMs)).toBeUndefined();
  });
});
