/**
 * Agreement events and the status they add up to (pure). Events are hash-chained per agreement: the
 * first links to the document's digest, each next one to the hash of the one before, so that an event
 * edited, dropped or reordered, or a document swapped, breaks the chain.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical.js";
import type { AgreementDocument } from "./document.js";
import type { EventStatement, EventType } from "./keys.js";

export interface AgreementEvent {
  agreementId: string;
  seq: number;
  type: EventType;
  /** The participant that acted. */
  participant: string;
  /** The key that signed (null for the proposal, which the registry records for the proposer). */
  kid: string | null;
  /** The party's JWS: detached over the document for `signed`, embedded statement for the others. */
  jws: string | null;
  /** When the registry recorded it. */
  at: string;
  prevHash: string;
  hash: string;
  /** The signed statement of a termination or revocation (read from its JWS). */
  statement?: EventStatement;
}

export type AgreementState = "proposed" | "final" | "not-yet-valid" | "expired" | "terminated" | "revoked";

export interface AgreementStatus {
  agreementId: string;
  digest: string;
  state: AgreementState;
  /** Whether data may flow under it at `at`: final and within its validity. */
  valid: boolean;
  reason: string;
  /** Parties that have signed, in order of signature. */
  signedBy: string[];
  /** Parties yet to sign. */
  missing: string[];
  notBefore: string;
  notAfter: string;
  /** The instant this status is for. */
  at: string;
}

export function eventHash(event: Omit<AgreementEvent, "hash" | "statement">): string {
  const material = canonicalJson([
    event.agreementId,
    event.seq,
    event.type,
    event.participant,
    event.kid,
    event.jws,
    event.at,
    event.prevHash,
  ]);
  return createHash("sha256").update(material, "utf8").digest("hex");
}

/** The status of an agreement at `at`, from the events recorded up to then and its validity window. */
export function computeStatus(
  document: AgreementDocument,
  digest: string,
  events: readonly AgreementEvent[],
  at: Date,
): AgreementStatus {
  const when = at.toISOString();
  const past = events.filter((e) => e.at <= when);
  const signedBy = past.filter((e) => e.type === "signed").map((e) => e.participant);
  const missing = document.parties.map((p) => p.participant).filter((p) => !signedBy.includes(p));
  const { notBefore, notAfter } = document.validity;
  const base = { agreementId: document.id, digest, signedBy, missing, notBefore, notAfter, at: when };
  const ended = past.find((e) => e.type === "revoked") ?? past.find((e) => e.type === "terminated");
  if (ended) {
    const verb = ended.type === "revoked" ? "revoked" : "terminated";
    const why = ended.statement?.reason ? `: ${ended.statement.reason}` : "";
    return {
      ...base,
      state: verb,
      valid: false,
      reason: `${verb} by ${ended.participant} at ${ended.at}${why}`,
    };
  }
  if (when >= notAfter) return { ...base, state: "expired", valid: false, reason: `expired at ${notAfter}` };
  if (past.length === 0) {
    return { ...base, state: "proposed", valid: false, reason: `not yet proposed at ${when}` };
  }
  if (missing.length > 0) {
    return {
      ...base,
      state: "proposed",
      valid: false,
      reason: `waiting for the signature of ${missing.join(", ")}`,
    };
  }
  if (when < notBefore) {
    return {
      ...base,
      state: "not-yet-valid",
      valid: false,
      reason: `signed by every party, valid from ${notBefore}`,
    };
  }
  return { ...base, state: "final", valid: true, reason: `signed by every party, valid until ${notAfter}` };
}
