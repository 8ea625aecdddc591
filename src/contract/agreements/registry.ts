/**
 * The agreements registry: proposals, parties' signatures, terminations and revocations, each an
 * event appended (never an update) to the agreement's hash chain and to the audit trail, in one
 * transaction under the agreement's lock. Signatures are checked against the participants' registered,
 * unrevoked keys when they arrive, and all of them again, offline, by `verify`.
 */

import type { AuditLog } from "../../audit/index.js";
import { type Database, type Queryable, UniqueViolation } from "../../store/index.js";
import type { Policy } from "../odrl/parse.js";
import { canonicalJson } from "./canonical.js";
import {
  type AgreementDocument,
  type AgreementDraft,
  buildDocument,
  canonicalText,
  type DocumentParty,
  digestOf,
  parseDocument,
  policyOfDocument,
} from "./document.js";
import { AgreementError } from "./errors.js";
import {
  AGREEMENT_JWS_TYP,
  EVENT_JWS_TYP,
  type EventStatement,
  type EventType,
  kidOf,
  thumbprint,
  verifyAgreementSignature,
  verifyEventSignature,
} from "./keys.js";
import { keyFromRow, type ParticipantKey, ParticipantRegistry } from "./participants.js";
import { type AgreementEvent, type AgreementStatus, computeStatus, eventHash } from "./status.js";

/** How far the time a party states in a termination or revocation may be from the registry's clock. */
export const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;

export interface Agreement {
  id: string;
  document: AgreementDocument;
  /** The RFC 8785 canonical text of the document: exactly what each party signs. */
  canonical: string;
  /** SHA-256 of `canonical`, hex. */
  digest: string;
  parties: DocumentParty[];
  offers: string[];
  notBefore: string;
  notAfter: string;
  linkageDomain?: string;
  deidentificationProfile?: string;
  proposedBy: string;
  createdAt: string;
}

export interface AgreementVerification {
  ok: boolean;
  agreementId: string;
  digest?: string;
  /** Events checked (all of them when ok). */
  events: number;
  /** The first failure: the event's seq when it is an event's, and what does not hold. */
  failure?: { seq?: number; reason: string };
}

interface AgreementRow {
  id: string;
  document: string;
  digest: string;
  proposed_by: string;
  not_before: string;
  not_after: string;
  created_at: string;
}
interface EventRow {
  agreement_id: string;
  seq: number;
  type: EventType;
  participant: string;
  kid: string | null;
  jws: string | null;
  at: string;
  prev_hash: string;
  hash: string;
}

function toAgreement(row: AgreementRow): Agreement {
  const document = parseDocument(row.document);
  return {
    id: row.id,
    document,
    canonical: row.document,
    digest: row.digest,
    parties: document.parties,
    offers: document.offers,
    notBefore: document.validity.notBefore,
    notAfter: document.validity.notAfter,
    ...(document.linkageDomain !== undefined && { linkageDomain: document.linkageDomain }),
    ...(document.deidentificationProfile !== undefined && {
      deidentificationProfile: document.deidentificationProfile,
    }),
    proposedBy: document.proposedBy,
    createdAt: document.createdAt,
  };
}

/** The statement embedded in an event's JWS, read without verifying (verification is `verify`'s). */
function statementOf(jws: string | null): EventStatement | undefined {
  if (!jws) return undefined;
  try {
    return JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8")) as EventStatement;
  } catch {
    return undefined;
  }
}

function toEvent(row: EventRow): AgreementEvent {
  const event: AgreementEvent = {
    agreementId: row.agreement_id,
    seq: Number(row.seq),
    type: row.type,
    participant: row.participant,
    kid: row.kid,
    jws: row.jws,
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.type === "terminated" || row.type === "revoked") {
    const statement = statementOf(row.jws);
    if (statement) event.statement = statement;
  }
  return event;
}

/** Why a key may not sign at `at`, or undefined when it may. */
function keyRefusal(key: ParticipantKey | undefined, kid: string, participantId: string, at: string) {
  if (!key) return `no registered key ${kid}`;
  if (key.participant !== participantId) return `key ${kid} is not participant '${participantId}''s`;
  if (key.revokedAt && key.revokedAt <= at)
    return `key ${kid} of '${participantId}' was revoked at ${key.revokedAt}`;
  return undefined;
}

/** Told when an agreement has been terminated or revoked. */
export type EndListener = (agreementId: string, event: "terminated" | "revoked") => void | Promise<void>;

export class AgreementRegistry {
  readonly participants: ParticipantRegistry;
  private readonly now: () => Date;
  private readonly endListeners: EndListener[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.participants = new ParticipantRegistry(db, audit, this.now);
  }

  /**
   * Records a proposal: the document is fixed from here on. The proposer (operator or consumer) signs
   * it afterwards like every party; the `proposed` event itself carries no signature since the
   * document, its id and time, exist only once the registry has made it.
   */
  async propose(draft: AgreementDraft): Promise<Agreement> {
    const iris = new Map<string, string>();
    for (const party of Array.isArray(draft?.parties) ? draft.parties : []) {
      const participant = party && (await this.participants.get(String(party.participant)));
      if (!participant)
        throw new AgreementError(400, `participant '${String(party?.participant)}' is not registered`);
      if ((participant.role === "operator") !== (party.role === "operator")) {
        throw new AgreementError(
          400,
          `participant '${participant.id}' is registered as ${participant.role} and cannot be the ${party.role} party`,
        );
      }
      iris.set(participant.id, participant.iri);
    }
    const document = buildDocument(draft, iris, this.now());
    const canonical = canonicalText(document);
    const digest = digestOf(canonical);
    const row: AgreementRow = {
      id: document.id,
      document: canonical,
      digest,
      proposed_by: document.proposedBy,
      not_before: document.validity.notBefore,
      not_after: document.validity.notAfter,
      created_at: document.createdAt,
    };
    try {
      await this.db.transaction(
        async (tx) => {
          if (await tx.one("SELECT id FROM agreements WHERE id = ?", [document.id])) {
            throw new AgreementError(409, `agreement ${document.id} exists already`);
          }
          await tx.run(
            "INSERT INTO agreements (id, document, digest, proposed_by, not_before, not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
              row.id,
              row.document,
              row.digest,
              row.proposed_by,
              row.not_before,
              row.not_after,
              row.created_at,
            ],
          );
          await tx.insertMany(
            "agreement_parties",
            ["agreement_id", "participant", "role"],
            document.parties.map((p) => [document.id, p.participant, p.role]),
          );
          await this.append(tx, { id: document.id, digest }, [], {
            type: "proposed",
            participant: document.proposedBy,
            kid: null,
            jws: null,
            at: document.createdAt,
          });
        },
        { lock: `learnpool:agreement:${document.id}` },
      );
    } catch (err) {
      if (err instanceof UniqueViolation)
        throw new AgreementError(409, `agreement ${document.id} exists already`);
      throw err;
    }
    return toAgreement(row);
  }

  async get(id: string, q: Queryable = this.db): Promise<Agreement | undefined> {
    const row = await q.one<AgreementRow>("SELECT * FROM agreements WHERE id = ?", [id]);
    return row && toAgreement(row);
  }

  async events(id: string, q: Queryable = this.db): Promise<AgreementEvent[]> {
    const rows = await q.all<EventRow>("SELECT * FROM agreement_events WHERE agreement_id = ? ORDER BY seq", [
      id,
    ]);
    return rows.map(toEvent);
  }

  /** Agreements, oldest first; with `participant`, only those it is a party to. */
  async list(options: { participant?: string } = {}): Promise<Agreement[]> {
    const rows = options.participant
      ? await this.db.all<AgreementRow>(
          "SELECT a.* FROM agreements a JOIN agreement_parties p ON p.agreement_id = a.id WHERE p.participant = ? ORDER BY a.created_at, a.id",
          [options.participant],
        )
      : await this.db.all<AgreementRow>("SELECT * FROM agreements ORDER BY created_at, id");
    return rows.map(toAgreement);
  }

  /** Records a party's signature: a detached JWS (RFC 7797) over the canonical document. */
  async sign(id: string, participantId: string, jws: string): Promise<AgreementStatus> {
    return this.act(id, participantId, async (tx, agreement, events, now) => {
      const status = computeStatus(agreement.document, agreement.digest, events, now);
      if (status.signedBy.includes(participantId)) {
        throw new AgreementError(409, `'${participantId}' has signed agreement ${id} already`);
      }
      this.refuseEnded(status, "signed");
      const kid = kidOf(jws, AGREEMENT_JWS_TYP);
      await this.usableKey(tx, kid, participantId, now);
      const checked = await verifyAgreementSignature(jws, agreement.canonical, await this.keyJwk(tx, kid));
      if (!checked.ok) throw new AgreementError(422, checked.reason);
      return { type: "signed", kid, jws };
    });
  }

  /** Records a termination by any party, signed over {agreement, digest, event, reason, at}. */
  terminate(id: string, participantId: string, jws: string): Promise<AgreementStatus> {
    return this.end("terminated", id, participantId, jws);
  }

  /** Records a revocation, by the operator only, signed over {agreement, digest, event, reason, at}. */
  revoke(id: string, participantId: string, jws: string): Promise<AgreementStatus> {
    return this.end("revoked", id, participantId, jws);
  }

  async status(id: string, at: Date = this.now()): Promise<AgreementStatus> {
    const agreement = await this.get(id);
    if (!agreement) throw new AgreementError(404, `no agreement ${id}`);
    return computeStatus(agreement.document, agreement.digest, await this.events(id), at);
  }

  /** The ODRL policy of the agreement, as the policy engine reads it. */
  async policyOf(id: string): Promise<Policy> {
    const agreement = await this.get(id);
    if (!agreement) throw new AgreementError(404, `no agreement ${id}`);
    return policyOfDocument(agreement.document);
  }

  /**
   * Checks again, from what is stored (the keys included), the document against its digest, the
   * chain of events, and every signature; reports the first thing that does not hold.
   */
  async verify(id: string): Promise<AgreementVerification> {
    const row = await this.db.one<AgreementRow>("SELECT * FROM agreements WHERE id = ?", [id]);
    if (!row) throw new AgreementError(404, `no agreement ${id}`);
    const events = await this.events(id);
    const fail = (reason: string, seq?: number, checked = 0): AgreementVerification => ({
      ok: false,
      agreementId: id,
      digest: row.digest,
      events: checked,
      failure: seq === undefined ? { reason } : { seq, reason },
    });
    let document: AgreementDocument;
    try {
      document = parseDocument(row.document);
    } catch {
      return fail("the stored document is not JSON");
    }
    if (canonicalJson(document) !== row.document)
      return fail("the stored document is not in RFC 8785 canonical form");
    if (digestOf(row.document) !== row.digest) return fail("the stored document does not match its digest");
    if (document.id !== id) return fail(`the stored document is agreement ${document.id}, not ${id}`);
    const parties = await this.db.all<{ participant: string; role: string }>(
      "SELECT participant, role FROM agreement_parties WHERE agreement_id = ? ORDER BY participant",
      [id],
    );
    const expected = [...document.parties].sort((a, b) => (a.participant < b.participant ? -1 : 1));
    if (
      parties.length !== expected.length ||
      parties.some((p, i) => p.participant !== expected[i]?.participant || p.role !== expected[i]?.role)
    ) {
      return fail("the stored parties differ from the document's");
    }
    const operator = document.parties.find((p) => p.role === "operator")?.participant;
    const signed = new Set<string>();
    let prevHash = row.digest;
    let ended = false;
    for (const [i, event] of events.entries()) {
      const seq = i + 1;
      if (event.seq !== seq) return fail(`event ${seq} is missing`, seq, i);
      if (event.prevHash !== prevHash)
        return fail("its link to the previous event (or the digest) is broken", seq, i);
      if (eventHash(event) !== event.hash) return fail("its content does not match its hash", seq, i);
      prevHash = event.hash;
      const party = document.parties.some((p) => p.participant === event.participant);
      if (!party) return fail(`'${event.participant}' is not a party`, seq, i);
      if (seq === 1 || event.type === "proposed") {
        if (seq !== 1 || event.type !== "proposed" || event.participant !== document.proposedBy) {
          return fail("the first event, and only it, is the proposal by the proposer", seq, i);
        }
        continue;
      }
      if (ended) return fail("an event follows the agreement's end", seq, i);
      if (!event.kid || !event.jws) return fail("the event has no signature", seq, i);
      const key = await this.participants.key(event.kid);
      const refusal = keyRefusal(key, event.kid, event.participant, event.at);
      if (refusal || !key) return fail(refusal ?? "no key", seq, i);
      if ((await thumbprint(key.publicJwk)) !== key.kid) {
        return fail(`the stored key ${key.kid} is not the key of that thumbprint`, seq, i);
      }
      if (event.type === "signed") {
        if (signed.has(event.participant)) return fail(`'${event.participant}' signed twice`, seq, i);
        signed.add(event.participant);
        const checked = await verifyAgreementSignature(event.jws, row.document, key.publicJwk);
        if (!checked.ok) return fail(checked.reason, seq, i);
      } else {
        const checked = await verifyEventSignature(event.jws, key.publicJwk);
        if (!checked.ok) return fail(checked.reason, seq, i);
        const s = checked.statement;
        if (s.agreement !== id || s.digest !== row.digest || s.event !== event.type) {
          return fail(`the signed statement is not a ${event.type} of this agreement`, seq, i);
        }
        if (event.type === "revoked" && event.participant !== operator) {
          return fail("a revocation by someone other than the operator", seq, i);
        }
        ended = true;
      }
    }
    if (events.length === 0) return fail("the agreement has no proposal event");
    // The audit trail holds each event's hash too: a dropped tail of events (a signature or the
    // termination deleted) leaves a valid chain here but not there.
    const audited = await this.db.all<{ details: string }>(
      "SELECT details FROM audit_events WHERE subject = ? ORDER BY seq",
      [`agreement:${id}`],
    );
    const hashes = audited.map((a) => (JSON.parse(a.details) as { hash?: string }).hash);
    for (const [i, hash] of hashes.entries()) {
      if (events[i]?.hash !== hash) {
        return fail(`event ${i + 1} is not the one the audit trail recorded`, i + 1, events.length);
      }
    }
    if (hashes.length !== events.length) {
      return fail("the audit trail does not record every event", hashes.length + 1, events.length);
    }
    return { ok: true, agreementId: id, digest: row.digest, events: events.length };
  }

  /**
   * Calls `listener` after each termination or revocation is recorded (committed), before the party
   * that ended the agreement gets its answer: what runs under the agreement stops at once. A
   * listener's failure does not undo the end (the data endpoint also refuses at its next page).
   */
  whenEnded(listener: EndListener): void {
    this.endListeners.push(listener);
  }

  private async end(
    type: "terminated" | "revoked",
    id: string,
    participantId: string,
    jws: string,
  ): Promise<AgreementStatus> {
    const status = await this.record(type, id, participantId, jws);
    for (const listener of this.endListeners) {
      try {
        await listener(id, type);
      } catch {
        // The end stands; see whenEnded.
      }
    }
    return status;
  }

  private async record(
    type: "terminated" | "revoked",
    id: string,
    participantId: string,
    jws: string,
  ): Promise<AgreementStatus> {
    return this.act(id, participantId, async (tx, agreement, events, now) => {
      const party = agreement.parties.find((p) => p.participant === participantId);
      if (type === "revoked" && party?.role !== "operator") {
        throw new AgreementError(
          403,
          `only the operator revokes an agreement; '${participantId}' may terminate it`,
        );
      }
      this.refuseEnded(computeStatus(agreement.document, agreement.digest, events, now), type);
      const kid = kidOf(jws, EVENT_JWS_TYP);
      await this.usableKey(tx, kid, participantId, now);
      const checked = await verifyEventSignature(jws, await this.keyJwk(tx, kid));
      if (!checked.ok) throw new AgreementError(422, checked.reason);
      const s = checked.statement;
      if (s.agreement !== id)
        throw new AgreementError(422, `the statement is for agreement ${s.agreement}, not ${id}`);
      if (s.digest !== agreement.digest) {
        throw new AgreementError(
          422,
          `the statement's digest ${s.digest} is not the agreement's ${agreement.digest}`,
        );
      }
      if (s.event !== type) throw new AgreementError(422, `the statement is a ${s.event}, not a ${type}`);
      if (!s.reason.trim()) throw new AgreementError(422, "the statement gives no reason");
      if (Math.abs(Date.parse(s.at) - now.getTime()) > MAX_CLOCK_SKEW_MS) {
        throw new AgreementError(
          422,
          `the statement's time ${s.at} is more than 10 minutes from the registry's clock`,
        );
      }
      return { type, kid, jws };
    });
  }

  /** The shared steps of an act: lock, load, check party, let `decide` check and say what to append. */
  private async act(
    id: string,
    participantId: string,
    decide: (
      tx: Queryable,
      agreement: Agreement,
      events: AgreementEvent[],
      now: Date,
    ) => Promise<{ type: EventType; kid: string; jws: string }>,
  ): Promise<AgreementStatus> {
    return this.db.transaction(
      async (tx) => {
        const agreement = await this.get(id, tx);
        if (!agreement) throw new AgreementError(404, `no agreement ${id}`);
        if (!agreement.parties.some((p) => p.participant === participantId)) {
          throw new AgreementError(403, `'${participantId}' is not a party to agreement ${id}`);
        }
        const events = await this.events(id, tx);
        const now = this.now();
        const { type, kid, jws } = await decide(tx, agreement, events, now);
        const event = await this.append(tx, agreement, events, {
          type,
          participant: participantId,
          kid,
          jws,
          at: now.toISOString(),
        });
        return computeStatus(agreement.document, agreement.digest, [...events, event], now);
      },
      { lock: `learnpool:agreement:${id}` },
    );
  }

  private refuseEnded(status: AgreementStatus, act: string): void {
    if (status.state === "terminated" || status.state === "revoked" || status.state === "expired") {
      throw new AgreementError(409, `agreement ${status.agreementId} cannot be ${act}: ${status.reason}`);
    }
  }

  /** The key must be registered to that participant and not revoked; on PostgreSQL its row is locked
   * until commit, so that a revocation cannot slip between this check and the event. */
  private async usableKey(tx: Queryable, kid: string, participantId: string, now: Date): Promise<void> {
    const row = await tx.one<Parameters<typeof keyFromRow>[0]>(
      `SELECT * FROM participant_keys WHERE kid = ?${tx.dialect === "postgres" ? " FOR UPDATE" : ""}`,
      [kid],
    );
    const refusal = keyRefusal(row && keyFromRow(row), kid, participantId, now.toISOString());
    if (refusal) throw new AgreementError(422, refusal);
  }

  private async keyJwk(tx: Queryable, kid: string) {
    const key = await this.participants.key(kid, tx);
    if (!key) throw new AgreementError(422, `no registered key ${kid}`);
    return key.publicJwk;
  }

  private async append(
    tx: Queryable,
    agreement: { id: string; digest: string },
    events: readonly AgreementEvent[],
    next: Pick<AgreementEvent, "type" | "participant" | "kid" | "jws" | "at">,
  ): Promise<AgreementEvent> {
    const last = events[events.length - 1];
    const base = {
      agreementId: agreement.id,
      seq: events.length + 1,
      prevHash: last?.hash ?? agreement.digest,
      ...next,
    };
    const event: AgreementEvent = { ...base, hash: eventHash(base) };
    await tx.run(
      "INSERT INTO agreement_events (agreement_id, seq, type, participant, kid, jws, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [
        event.agreementId,
        event.seq,
        event.type,
        event.participant,
        event.kid,
        event.jws,
        event.at,
        event.prevHash,
        event.hash,
      ],
    );
    const statement = event.jws && event.type !== "signed" ? statementOf(event.jws) : undefined;
    if (statement) event.statement = statement;
    await this.audit.append(
      {
        actor: `participant:${event.participant}`,
        action: `agreement.${event.type}`,
        subject: `agreement:${agreement.id}`,
        details: {
          digest: agreement.digest,
          seq: event.seq,
          hash: event.hash,
          ...(event.kid && { kid: event.kid }),
          ...(statement && { reason: statement.reason }),
        },
      },
      tx,
    );
    return event;
  }
}
