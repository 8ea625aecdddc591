/**
 * The state machine of a consent record (pure), following W3C DPV's consent statuses. A record's
 * state is never stored as such: it is the fold of its events (`fold`), each checked against the
 * transition table (`TRANSITIONS`) when it is appended (`applyEvent`).
 *
 * Minors: under the age of digital consent of the record's jurisdiction, consent needs both the minor
 * and a guardian. The learner's and the guardian's parts are kept beside the DPV status, which stays
 * `requested` until both are there; a refusal or withdrawal by either ends it. A guardian never acts
 * for a learner who has reached the age. Consent given jointly stops counting when the learner
 * comes of age (`validUntil`); the sweep then asks the learner alone (`request` by system).
 */
import { ConsentError } from "./errors.js";
import type { ConsentState } from "./vocab.js";

export type ConsentEventType = "request" | "give" | "refuse" | "withdraw" | "expire" | "invalidate";
export const EVENT_TYPES: readonly ConsentEventType[] = [
  "request",
  "give",
  "refuse",
  "withdraw",
  "expire",
  "invalidate",
];
/** Who acts: the learner (through a portal link), a guardian (idem), the provider, the registry itself. */
export type ActorRole = "learner" | "guardian" | "provider" | "system";
export const ACTOR_ROLES: readonly ActorRole[] = ["learner", "guardian", "provider", "system"];

export interface Transition {
  from: ConsentState;
  event: ConsentEventType;
  by: readonly ActorRole[];
  to: ConsentState;
  why: string;
}

const VALID = ["given", "renewed"] as const;

/**
 * Every allowed transition; anything else is refused with a clear error and no change. `give` goes
 * to `given` (or `renewed` when the record was given before), but stays `requested` while a minor's
 * or the guardian's part is still missing.
 */
export const TRANSITIONS: readonly Transition[] = [
  { from: "unknown", event: "request", by: ["provider", "system"], to: "requested", why: "first request" },
  {
    from: "requested",
    event: "request",
    by: ["provider", "system"],
    to: "requested",
    why: "asked again (a new notice, or the learner came of age): parts given so far are dropped",
  },
  { from: "requested", event: "give", by: ["learner", "guardian"], to: "given", why: "consent given" },
  { from: "requested", event: "refuse", by: ["learner", "guardian"], to: "refused", why: "consent refused" },
  {
    from: "requested",
    event: "expire",
    by: ["system"],
    to: "expired",
    why: "agreement ended before an answer",
  },
  {
    from: "requested",
    event: "invalidate",
    by: ["provider", "system"],
    to: "invalidated",
    why: "the request was wrong",
  },
  ...VALID.flatMap((from): Transition[] => [
    { from, event: "withdraw", by: ["learner", "guardian"], to: "withdrawn", why: "withdrawn" },
    { from, event: "expire", by: ["system"], to: "expired", why: "retention or agreement ended" },
    {
      from,
      event: "invalidate",
      by: ["provider", "system"],
      to: "invalidated",
      why: "the consent was not valid (wrong notice, wrong learner)",
    },
    { from, event: "request", by: ["system"], to: "requested", why: "the learner came of age" },
  ]),
  { from: "refused", event: "request", by: ["provider"], to: "requested", why: "asked again later" },
  { from: "withdrawn", event: "request", by: ["provider"], to: "requested", why: "asked again later" },
  { from: "expired", event: "request", by: ["provider", "system"], to: "requested", why: "renewal" },
  { from: "invalidated", event: "request", by: ["provider"], to: "requested", why: "asked again, correctly" },
];

/** What the fold of a record's events gives. */
export interface RecordStatus {
  state: ConsentState;
  /** In the current request: whether the learner has given their part. */
  learnerGave: boolean;
  /** In the current request: whether a guardian has given theirs. */
  guardianGave: boolean;
  /** Whether the record was ever in a valid state (a next `give` renews). */
  everGiven: boolean;
  /** When the consent in force was given (the last part), or null. */
  givenAt: string | null;
  /** Whether the consent in force was given jointly by a minor and a guardian. */
  givenJointly: boolean;
  /** The day (YYYY-MM-DD) the learner reaches the age of digital consent, or null when an adult. */
  consentAgeOn: string | null;
  /** The guardian who gave (pseudonym and relationship), when one did. */
  guardian: GuardianAttestation | null;
  /** The notice shown with the current request, and its language. */
  notice: NoticeRef | null;
  language: string | null;
  /** Events folded. */
  n: number;
}

/** A guardian as the provider attests them: a pseudonym of the same linkage domain and a relationship. */
export interface GuardianAttestation {
  pseudonym: string;
  relationship: "parent" | "legal-guardian";
}

export const INITIAL: RecordStatus = {
  state: "unknown",
  learnerGave: false,
  guardianGave: false,
  everGiven: false,
  givenAt: null,
  givenJointly: false,
  consentAgeOn: null,
  guardian: null,
  notice: null,
  language: null,
  n: 0,
};

export interface NoticeRef {
  id: string;
  /** SHA-256 (hex) of the notice shown, as the notices builder gives it. */
  digest: string;
}

/** One event as the fold needs it. */
export interface EventFacts {
  event: ConsentEventType;
  by: ActorRole;
  at: string;
  /** The learner's consent-age day as known when the event was made (undefined: unchanged). */
  consentAgeOn?: string | null;
  guardian?: GuardianAttestation;
  /** With a request: the notice shown and its language. */
  notice?: NoticeRef;
  language?: string;
}

/** Whether the learner is under the age of digital consent at `at`. */
export function isMinorAt(consentAgeOn: string | null, at: string): boolean {
  return consentAgeOn !== null && at.slice(0, 10) < consentAgeOn;
}

export function transitionFor(from: ConsentState, event: ConsentEventType): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.event === event);
}

function refusal(status: RecordStatus, facts: EventFacts): ConsentError {
  const { state } = status;
  const { event, by } = facts;
  if (event === "withdraw" && state === "withdrawn")
    return new ConsentError(409, "consent was withdrawn already: nothing changed");
  if (event === "withdraw" && (state === "requested" || state === "unknown"))
    return new ConsentError(409, "nothing to withdraw: consent was not given (refuse the request instead)");
  if (event === "withdraw")
    return new ConsentError(409, `nothing to withdraw: the consent is ${state}, not given`);
  if (event === "give" && (state === "given" || state === "renewed"))
    return new ConsentError(409, "consent is given already: nothing changed");
  if (event === "refuse" && (state === "given" || state === "renewed"))
    return new ConsentError(409, "consent is given: withdraw it rather than refuse it");
  if ((event === "give" || event === "refuse") && state !== "requested")
    return new ConsentError(409, `consent is ${state}: there is no open request to answer`);
  if (event === "request" && (state === "given" || state === "renewed"))
    return new ConsentError(409, `consent is ${state}: it cannot be requested again while it is in force`);
  if (event === "expire") return new ConsentError(409, `a ${state} consent does not expire`);
  return new ConsentError(409, `a ${by} cannot ${event} a consent that is ${state}`);
}

/**
 * The status after `facts`, or a ConsentError (no change) when the table or the minors' rules refuse
 * it. `facts.consentAgeOn`, when given, is the latest the provider attested and replaces the known one.
 */
export function applyEvent(status: RecordStatus, facts: EventFacts): RecordStatus {
  const t = transitionFor(status.state, facts.event);
  if (!t) throw refusal(status, facts);
  if (!t.by.includes(facts.by)) {
    throw new ConsentError(
      403,
      `a ${facts.by} cannot ${facts.event} consent that is ${status.state} (only ${t.by.join(" or ")})`,
    );
  }
  const consentAgeOn = facts.consentAgeOn === undefined ? status.consentAgeOn : facts.consentAgeOn;
  const minor = isMinorAt(consentAgeOn, facts.at);
  if (facts.by === "guardian" && !minor) {
    throw new ConsentError(
      403,
      "a guardian cannot act for a learner who has reached the age of digital consent",
    );
  }
  const next: RecordStatus = { ...status, consentAgeOn, n: status.n + 1 };
  switch (facts.event) {
    case "request":
      return {
        ...next,
        state: "requested",
        learnerGave: false,
        guardianGave: false,
        guardian: null,
        notice: facts.notice ?? status.notice,
        language: facts.language ?? status.language,
      };
    case "give": {
      if (facts.by === "guardian" && !facts.guardian)
        throw new ConsentError(400, "a guardian's consent must name the guardian (as the provider attests)");
      if (facts.by === "learner" && status.learnerGave)
        throw new ConsentError(409, "the learner has given consent already; a guardian's is still needed");
      if (facts.by === "guardian" && status.guardianGave)
        throw new ConsentError(409, "a guardian has given consent already; the learner's is still needed");
      const learnerGave = status.learnerGave || facts.by === "learner";
      const guardianGave = status.guardianGave || facts.by === "guardian";
      const guardian = facts.by === "guardian" ? (facts.guardian ?? null) : status.guardian;
      if (!learnerGave || (minor && !guardianGave)) {
        return { ...next, state: "requested", learnerGave, guardianGave, guardian };
      }
      return {
        ...next,
        state: status.everGiven ? "renewed" : "given",
        learnerGave,
        guardianGave,
        guardian,
        everGiven: true,
        givenAt: facts.at,
        givenJointly: minor,
      };
    }
    case "refuse":
    case "withdraw":
    case "expire":
    case "invalidate":
      return {
        ...next,
        state: t.to,
        learnerGave: false,
        guardianGave: false,
        givenAt: null,
        givenJointly: false,
      };
  }
}

/** The status of a record from its events, oldest first (each one was checked when appended). */
export function fold(events: readonly EventFacts[]): RecordStatus {
  return events.reduce(applyEvent, INITIAL);
}

/**
 * Until when a valid consent counts: the earliest of the retention's end, the agreement's end and,
 * for consent given jointly as a minor, the day the learner comes of age. Undefined when not valid.
 */
export function validWindow(
  status: RecordStatus,
  limits: { retention: { duration?: string; until?: string }; agreementNotAfter: string },
  durationMs: (d: string) => number,
): { from: string; until: string } | undefined {
  if ((status.state !== "given" && status.state !== "renewed") || !status.givenAt) return undefined;
  const ends = [limits.agreementNotAfter];
  if (limits.retention.until) ends.push(limits.retention.until);
  if (limits.retention.duration)
    ends.push(new Date(Date.parse(status.givenAt) + durationMs(limits.retention.duration)).toISOString());
  if (status.givenJointly && status.consentAgeOn) ends.push(`${status.consentAgeOn}T00:00:00.000Z`);
  return { from: status.givenAt, until: ends.sort()[0] as string };
}
