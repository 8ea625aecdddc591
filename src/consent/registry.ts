/**
 * The consent registry: the thin service over the database. Every change is one transaction under
 * the lock of (agreement, learner): the event is checked against the state machine, appended with
 * its signed receipt, the derived `consent_current` row rewritten, an outbox row written, the audit
 * trail appended, and the registered listeners called — all or nothing.
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../audit/index.js";
import { type Agreement, AgreementError, type AgreementRegistry, durationMs } from "../contract/index.js";
import { type Database, type Queryable, UniqueViolation } from "../store/index.js";
import { PseudonymSet } from "./cohort.js";
import { ConsentError } from "./errors.js";
import { RegistryKeys } from "./keys.js";
import {
  checkPseudonym,
  DEFAULT_AUDIENCE,
  LINK_CLOCK_SKEW_MS,
  linkKid,
  MAX_LINK_LIFETIME_MS,
  type PortalLink,
  verifyPortalLinkWith,
} from "./links.js";
import { consentAgeOn } from "./minors.js";
import { type ReceiptPayload, type RegistryJwks, receiptHash, signReceipt } from "./receipts.js";
import {
  type ConsentRecord,
  type ConsentRequestInput,
  checkDataCategory,
  checkPurpose,
  checkRequestInput,
  RECORD_SCHEMA_VERSION,
  type Recipient,
  recipientCategoryLabel,
  toIso27560,
} from "./record.js";
import {
  type ActorRole,
  applyEvent,
  type ConsentEventType,
  type EventFacts,
  INITIAL,
  isMinorAt,
  type RecordStatus,
  validWindow,
} from "./states.js";
import {
  AGE_OF_DIGITAL_CONSENT,
  CONSENT_STATES,
  type ConsentState,
  LEGAL_BASIS,
  VALID_STATES,
} from "./vocab.js";

/** What every change returns (and what listeners receive). */
export interface ConsentChange {
  /** The event's global sequence number (consent_events.seq). */
  seq: number;
  record: string;
  agreement: string;
  learner: string;
  /** The event's number within the record. */
  n: number;
  event: ConsentEventType;
  by: ActorRole;
  stateBefore: ConsentState;
  state: ConsentState;
  at: string;
  /** The receipt: compact JWS signed by the registry. */
  receipt: string;
  receiptHash: string;
}

/** Called inside the change's transaction: a throw rolls the change back. */
export type ConsentListener = (change: ConsentChange, tx: Queryable) => void | Promise<void>;

export interface ConsentDecision {
  permitted: boolean;
  reason: string;
  record?: string;
  state?: ConsentState;
}

export interface PermissionQuery {
  learner: string;
  agreement: string;
  purpose: string;
  /** The consumer's participant id or a recipient category IRI. */
  recipient: string;
  dataCategory: string;
  at?: Date;
}

export interface ConsentRegistryOptions {
  now?: () => Date;
  /** The master key that seals the registry's signing key; default LEARNPOOL_MASTER_KEY(_FILE). */
  masterKey?: Buffer | (() => Buffer | undefined);
  /** The `aud` portal links must carry. */
  audience?: string;
  /** Age of digital consent per jurisdiction (default AGE_OF_DIGITAL_CONSENT). */
  ageTable?: Readonly<Record<string, number>>;
  clockSkewMs?: number;
  maxLinkLifetimeMs?: number;
}

export interface StoredEvent {
  seq: number;
  record: string;
  n: number;
  event: ConsentEventType;
  by: ActorRole;
  actor: string;
  state: ConsentState;
  at: string;
  details: EventDetails;
  receipt: string;
  receiptHash: string;
}

/** What an event row keeps beside its type: enough to fold the state again. */
interface EventDetails {
  consentAgeOn?: string | null;
  guardian?: { pseudonym: string; relationship: "parent" | "legal-guardian" };
  notice?: { id: string; digest: string };
  language?: string;
  reason?: string;
  link?: string;
}

interface EventRow {
  seq: number | string;
  record_id: string;
  n: number | string;
  event: ConsentEventType;
  by_role: ActorRole;
  actor: string;
  state: ConsentState;
  at: string;
  details: string;
  receipt: string;
  receipt_hash: string;
}
interface RecordRow {
  id: string;
  record: string;
}
interface CurrentRow {
  record_id: string;
  state: ConsentState;
  valid_from: string | null;
  valid_until: string | null;
  derived: string;
}

const toEvent = (r: EventRow): StoredEvent => ({
  seq: Number(r.seq),
  record: r.record_id,
  n: Number(r.n),
  event: r.event,
  by: r.by_role,
  actor: r.actor,
  state: r.state,
  at: r.at,
  details: JSON.parse(r.details) as EventDetails,
  receipt: r.receipt,
  receiptHash: r.receipt_hash,
});

const factsOf = (e: StoredEvent): EventFacts => ({
  event: e.event,
  by: e.by,
  at: e.at,
  ...(e.details.consentAgeOn !== undefined && { consentAgeOn: e.details.consentAgeOn }),
  ...(e.details.guardian && { guardian: e.details.guardian }),
  ...(e.details.notice && { notice: e.details.notice }),
  ...(e.details.language && { language: e.details.language }),
});

/** Who made a change: a learner or guardian through a verified link, the provider, or the registry. */
type Actor =
  | { role: "learner" | "guardian"; link: PortalLink }
  | { role: "provider"; participant: string }
  | { role: "system" };

const actorText = (a: Actor): string =>
  a.role === "provider" ? `participant:${a.participant}` : a.role === "system" ? "system" : a.role;

/** Far-future bound used where a window has no end (never: every consent ends with its agreement). */
const lockOf = (agreement: string, learner: string) => `learnpool:consent:${agreement}:${learner}`;

export class ConsentRegistry {
  private readonly now: () => Date;
  private readonly keys: RegistryKeys;
  private readonly listeners = new Set<ConsentListener>();
  private readonly audience: string;
  private readonly ageTable: Readonly<Record<string, number>>;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: AgreementRegistry,
    private readonly options: ConsentRegistryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    const master = options.masterKey;
    this.keys = new RegistryKeys(
      db,
      typeof master === "function" ? master : master ? () => master : RegistryKeys.fromEnvironment(),
      this.now,
    );
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
    this.ageTable = options.ageTable ?? AGE_OF_DIGITAL_CONSENT;
  }

  /** Registers a listener called in the transaction of every change; returns its removal. */
  onChange(listener: ConsentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The registry's public keys (JWKS) that verify its receipts. */
  jwks(): Promise<RegistryJwks> {
    return this.keys.jwks();
  }

  // ---------------------------------------------------------------- requests (provider)

  /**
   * A provider asks a learner's consent: one record per (purpose, recipient, data category), each
   * getting a `request` event (a record refused, withdrawn, expired or invalidated before is asked
   * again). Records whose consent is in force are left as they are and listed in `inForce`.
   */
  async request(
    input: ConsentRequestInput,
    provider: string,
  ): Promise<{ changes: ConsentChange[]; inForce: string[] }> {
    const checked = checkRequestInput(input);
    const agreement = await this.agreementFor(checked.agreement);
    const party = agreement.parties.find((p) => p.participant === provider);
    if (party?.role !== "provider")
      throw new ConsentError(403, `'${provider}' is not a provider party of agreement ${agreement.id}`);
    const status = await this.agreements.status(agreement.id, this.now());
    if (status.state !== "final" && status.state !== "not-yet-valid")
      throw new ConsentError(409, `agreement ${agreement.id} cannot ask for consent: ${status.reason}`);
    if (!agreement.linkageDomain)
      throw new ConsentError(
        409,
        `agreement ${agreement.id} has no linkage domain: learners cannot be known by pseudonym`,
      );
    const consumer = agreement.parties.find((p) => p.role === "consumer");
    const recipients: Recipient[] = checked.recipients.map((r) => {
      if (consumer && r === consumer.participant) return { kind: "consumer", id: r, label: consumer.iri };
      const label = recipientCategoryLabel(r);
      if (label) return { kind: "category", id: r, label };
      throw new ConsentError(
        400,
        `recipient ${r} is neither the agreement's consumer ('${consumer?.participant}') nor a declared recipient category`,
      );
    });
    const providerIri = party.iri;
    const ageOn = checked.age ? consentAgeOn(checked.age, checked.jurisdiction, this.ageTable) : undefined;
    const actor: Actor = { role: "provider", participant: provider };
    return this.db.transaction(
      async (tx) => {
        const changes: ConsentChange[] = [];
        const inForce: string[] = [];
        for (const purpose of checked.purposes)
          for (const recipient of recipients)
            for (const dataCategory of checked.dataCategories) {
              let row = await tx.one<RecordRow>(
                "SELECT id, record FROM consent_records WHERE agreement_id = ? AND learner = ? AND purpose = ? AND recipient = ? AND data_category = ?",
                [agreement.id, checked.learner, purpose, recipient.id, dataCategory],
              );
              if (!row) {
                const record: ConsentRecord = {
                  schemaVersion: RECORD_SCHEMA_VERSION,
                  id: `urn:uuid:${randomUUID()}`,
                  dataSubject: checked.learner,
                  linkageDomain: agreement.linkageDomain as string,
                  agreement: agreement.id,
                  provider,
                  purpose,
                  dataCategory,
                  recipient,
                  controllers: checked.controllers ?? [providerIri],
                  storageLocations: checked.storageLocations,
                  retention: checked.retention,
                  jurisdiction: checked.jurisdiction,
                  legalBasis: LEGAL_BASIS,
                  withdrawalMethod: checked.withdrawalMethod as string,
                  agreementNotAfter: agreement.notAfter,
                  createdAt: this.now().toISOString(),
                };
                row = { id: record.id, record: JSON.stringify(record) };
                await tx.run(
                  "INSERT INTO consent_records (id, agreement_id, learner, provider, purpose, recipient, data_category, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [
                    record.id,
                    agreement.id,
                    checked.learner,
                    provider,
                    purpose,
                    recipient.id,
                    dataCategory,
                    row.record,
                    record.createdAt,
                  ],
                );
              }
              const record = JSON.parse(row.record) as ConsentRecord;
              const current = await this.statusIn(tx, record.id);
              if (VALID_STATES.includes(current.state)) {
                inForce.push(record.id);
                continue;
              }
              changes.push(
                await this.append(tx, record, current, actor, {
                  event: "request",
                  details: {
                    notice: checked.notice,
                    language: checked.language,
                    ...(ageOn !== undefined && { consentAgeOn: ageOn }),
                  },
                }),
              );
            }
        return { changes, inForce };
      },
      { lock: lockOf(agreement.id, checked.learner) },
    );
  }

  /** A provider (or the operator's tooling) declares records invalid: wrong learner, wrong notice. */
  async invalidate(recordId: string, provider: string, reason: string): Promise<ConsentChange> {
    const record = await this.requireRecord(recordId);
    if (record.provider !== provider)
      throw new ConsentError(403, `record ${recordId} was requested by another provider`);
    return this.db.transaction(
      async (tx) =>
        this.append(
          tx,
          record,
          await this.statusIn(tx, record.id),
          { role: "provider", participant: provider },
          {
            event: "invalidate",
            details: { reason },
          },
        ),
      { lock: lockOf(record.agreement, record.dataSubject) },
    );
  }

  // ---------------------------------------------------------------- links (learner, guardian)

  /** Verifies a portal link without using it (no state change): signature, audience, times, parties. */
  async verifyLink(jws: string): Promise<PortalLink> {
    const kid = linkKid(jws);
    const key = await this.agreements.participants.key(kid);
    if (!key)
      throw new ConsentError(401, `portal link refused: key ${kid} is not a registered participant key`);
    const at = this.now();
    if (key.revokedAt && key.revokedAt <= at.toISOString())
      throw new ConsentError(401, `portal link refused: key ${kid} was revoked at ${key.revokedAt}`);
    const link = await verifyPortalLinkWith(jws, key.publicJwk, {
      audience: this.audience,
      now: at,
      skewMs: this.options.clockSkewMs ?? LINK_CLOCK_SKEW_MS,
      maxLifetimeMs: this.options.maxLinkLifetimeMs ?? MAX_LINK_LIFETIME_MS,
    });
    if (key.participant !== link.provider)
      throw new ConsentError(401, `portal link refused: key ${kid} is not provider '${link.provider}''s`);
    const agreement = await this.agreementFor(link.agreement);
    if (!agreement.parties.some((p) => p.participant === link.provider && p.role === "provider"))
      throw new ConsentError(
        403,
        `portal link refused: '${link.provider}' is not a provider of agreement ${agreement.id}`,
      );
    return link;
  }

  /**
   * The learner (or guardian) answers: gives consent to the records in `give` and refuses those in
   * `refuse` (record ids of the link's learner and agreement), in one transaction, with one link.
   */
  async respond(jws: string, answer: { give?: string[]; refuse?: string[] }): Promise<ConsentChange[]> {
    const link = await this.verifyLink(jws);
    const give = answer.give ?? [];
    const refuse = answer.refuse ?? [];
    if (give.length + refuse.length === 0) throw new ConsentError(400, "the answer names no record");
    if (give.some((id) => refuse.includes(id)))
      throw new ConsentError(400, "a record cannot be both given and refused");
    return this.withLink(link, async (tx, actor) => {
      const out: ConsentChange[] = [];
      for (const [ids, event] of [
        [give, "give"],
        [refuse, "refuse"],
      ] as const)
        for (const id of ids) {
          const record = await this.recordOfLink(tx, id, link);
          out.push(await this.append(tx, record, await this.statusIn(tx, id), actor, { event, details: {} }));
        }
      return out;
    });
  }

  /** Gives consent to `records` (default: every open request of the link's learner under its agreement). */
  async give(jws: string, records?: string[]): Promise<ConsentChange[]> {
    return this.respond(jws, { give: records ?? (await this.openRequests(jws)) });
  }

  async refuse(jws: string, records?: string[]): Promise<ConsentChange[]> {
    return this.respond(jws, { refuse: records ?? (await this.openRequests(jws)) });
  }

  /**
   * Withdrawal, one call like giving: one record, a chosen set of records (`{records: [...]}`), or every
   * consent in force of a learner under an agreement. By the learner or (for a minor) a guardian,
   * through a portal link: one link, one change, however many records it names. A set is withdrawn
   * atomically — each record gets its event and receipt, and if any of them cannot be withdrawn (not
   * the link's, not in force) nothing is. Nothing in force to withdraw is a 409 and changes nothing.
   */
  async withdraw(
    target: string | { records: readonly string[] } | { learner: string; agreement: string },
    by: { link: string },
  ): Promise<ConsentChange[]> {
    if (typeof target === "object" && "records" in target) {
      const ids = target.records;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string" && id))
        throw new ConsentError(400, "records must be a non-empty list of record ids");
      if (new Set(ids).size !== ids.length) throw new ConsentError(400, "a record is named twice");
    }
    const link = await this.verifyLink(by.link);
    return this.withLink(link, async (tx, actor) => {
      if (typeof target === "object" && "records" in target) {
        const out: ConsentChange[] = [];
        for (const id of target.records) {
          const record = await this.recordOfLink(tx, id, link);
          const status = await this.statusIn(tx, id);
          if (!VALID_STATES.includes(status.state))
            throw new ConsentError(409, `record ${id} is ${status.state}: there is no consent to withdraw`);
          out.push(await this.append(tx, record, status, actor, { event: "withdraw", details: {} }));
        }
        return out;
      }
      if (typeof target === "string") {
        const record = await this.recordOfLink(tx, target, link);
        return [
          await this.append(tx, record, await this.statusIn(tx, target), actor, {
            event: "withdraw",
            details: {},
          }),
        ];
      }
      if (target.learner !== link.learner || target.agreement !== link.agreement)
        throw new ConsentError(403, "the link is for another learner or agreement");
      const rows = await tx.all<{ record_id: string }>(
        "SELECT record_id FROM consent_current WHERE agreement_id = ? AND learner = ? AND state IN ('given', 'renewed') ORDER BY record_id",
        [link.agreement, link.learner],
      );
      if (rows.length === 0)
        throw new ConsentError(409, "nothing to withdraw: no consent is in force under this agreement");
      const out: ConsentChange[] = [];
      for (const { record_id } of rows) {
        const record = await this.recordOfLink(tx, record_id, link);
        out.push(
          await this.append(tx, record, await this.statusIn(tx, record_id), actor, {
            event: "withdraw",
            details: {},
          }),
        );
      }
      return out;
    });
  }

  // ---------------------------------------------------------------- the sweep (system)

  /**
   * Appends what time has made true by `at`: `expire` for consent past its retention or its
   * agreement's end (and requests left open at the agreement's end), and a `request` to the learner
   * alone for consent given jointly by a minor who has come of age (or a minor's half-given consent).
   */
  async sweep(at: Date = this.now()): Promise<{ expired: ConsentChange[]; requested: ConsentChange[] }> {
    const when = at.toISOString();
    const due = await this.db.all<{ record_id: string }>(
      "SELECT record_id FROM consent_current WHERE state IN ('given', 'renewed', 'requested') AND valid_until <= ? ORDER BY record_id",
      [when],
    );
    const expired: ConsentChange[] = [];
    const requested: ConsentChange[] = [];
    for (const { record_id } of due) {
      const record = await this.requireRecord(record_id);
      const change = await this.db.transaction(
        async (tx) => {
          const status = await this.statusIn(tx, record_id);
          const window = this.windowOf(record, status);
          const cameOfAge =
            status.consentAgeOn !== null &&
            `${status.consentAgeOn}T00:00:00.000Z` <= when &&
            (status.givenJointly ||
              (status.state === "requested" && (status.learnerGave || status.guardianGave)));
          const ended =
            record.agreementNotAfter <= when || (window !== undefined && window.until <= when && !cameOfAge);
          if (ended && status.state !== "unknown")
            return this.append(
              tx,
              record,
              status,
              { role: "system" },
              { event: "expire", details: { reason: "retention or agreement ended" } },
              at,
            );
          if (cameOfAge)
            return this.append(
              tx,
              record,
              status,
              { role: "system" },
              {
                event: "request",
                details: { reason: "the learner came of age: their own consent is needed" },
              },
              at,
            );
          return undefined;
        },
        { lock: lockOf(record.agreement, record.dataSubject) },
      );
      if (change?.event === "expire") expired.push(change);
      else if (change) requested.push(change);
    }
    return { expired, requested };
  }

  // ---------------------------------------------------------------- decisions

  /**
   * Whether `learner` consents, at `at`, to exactly this purpose, recipient and data category under
   * the agreement. Purposes are not widened through the DPV hierarchy: consent to research and
   * development does not cover AI training, nor broad research consent a named purpose (GDPR
   * Art. 4(11): consent is specific). The agreement must be in force; the consent given (by the
   * guardian too for a minor), not withdrawn, expired or invalidated, within its retention, and, when
   * given jointly, the learner not yet of age. A record whose recipient is a declared category counts
   * for a recipient participant the operator has put in that category at `at` (participant
   * categories, contract's participants registry).
   */
  async isPermitted(query: PermissionQuery): Promise<ConsentDecision> {
    const at = query.at ?? this.now();
    const purpose = checkPurpose(query.purpose);
    const category = checkDataCategory(query.dataCategory);
    const agreementStatus = await this.agreementStatus(query.agreement, at);
    if (!agreementStatus.valid)
      return { permitted: false, reason: `the agreement is not in force: ${agreementStatus.reason}` };
    // The recipient itself, then the categories it belongs to at `at` (a consent given to public
    // research in education counts for a consumer the operator put in that category, while it is in it).
    const recipients = [query.recipient, ...(await this.categoriesOf(query.recipient, at))];
    const rows = await this.db.all<{ id: string; record: string; recipient: string }>(
      `SELECT id, record, recipient FROM consent_records WHERE agreement_id = ? AND learner = ? AND purpose = ? AND data_category = ? AND recipient IN (${recipients.map(() => "?").join(", ")})`,
      [query.agreement, query.learner, purpose, category, ...recipients],
    );
    if (rows.length === 0)
      return { permitted: false, reason: "no consent was asked for this purpose, recipient and category" };
    rows.sort((a, b) => recipients.indexOf(a.recipient) - recipients.indexOf(b.recipient));
    let first: ConsentDecision | undefined;
    for (const row of rows) {
      const decision = await this.decideRecord(row, at);
      if (decision.permitted)
        return row.recipient === query.recipient
          ? decision
          : {
              ...decision,
              reason: `${decision.reason} (given to ${row.recipient}, which the recipient is in)`,
            };
      first ??= decision;
    }
    return first as ConsentDecision;
  }

  /** The categories a recipient (a participant) belongs to at `at`; none for a category IRI. */
  private async categoriesOf(recipient: string, at: Date): Promise<string[]> {
    if (recipientCategoryLabel(recipient)) return [];
    return this.agreements.participants.categories(recipient, at);
  }

  /** The decision of one record at `at`. */
  private async decideRecord(row: { id: string; record: string }, at: Date): Promise<ConsentDecision> {
    const when = at.toISOString();
    const record = JSON.parse(row.record) as ConsentRecord;
    const events = await this.events(row.id);
    const past = events.filter((e) => e.at <= when);
    // The state at `at`: the derived row when nothing happened after `at`, else the events replayed.
    const status =
      past.length === events.length
        ? await this.statusIn(this.db, row.id)
        : past.map(factsOf).reduce(applyEvent, INITIAL);
    const base = { record: row.id, state: status.state };
    if (!VALID_STATES.includes(status.state))
      return { ...base, permitted: false, reason: `consent is ${status.state}` };
    const window = this.windowOf(record, status);
    if (!window || window.from > when)
      return { ...base, permitted: false, reason: "consent was not given yet" };
    if (window.until <= when) {
      const cameOfAge =
        status.givenJointly && status.consentAgeOn !== null && !isMinorAt(status.consentAgeOn, when);
      return {
        ...base,
        permitted: false,
        reason: cameOfAge
          ? "the learner has come of age: their own consent is needed"
          : `consent ended at ${window.until} (retention or agreement end)`,
      };
    }
    return { ...base, permitted: true, reason: `consent ${status.state} until ${window.until}` };
  }

  /**
   * The pseudonyms of the learners with valid consent under the agreement at `at` (for at least one
   * record matching the filters; a build passes its purpose, data category and recipient), sorted.
   * Empty when the agreement is not in force. Answers from the derived cohort table: the current
   * state of each record, with `at` bounding the validity windows (builds ask for now; a consent
   * withdrawn since `at` is not counted, which errs on the learner's side).
   */
  async consentingLearners(
    agreementId: string,
    at: Date = this.now(),
    filter: { purpose?: string; dataCategory?: string; recipient?: string } = {},
  ): Promise<PseudonymSet> {
    const status = await this.agreementStatus(agreementId, at);
    if (!status.valid) return new PseudonymSet();
    let sql = "SELECT id FROM consent_cohorts WHERE agreement_id = ?";
    const params: string[] = [agreementId];
    if (filter.purpose !== undefined) {
      sql += " AND purpose = ?";
      params.push(checkPurpose(filter.purpose));
    }
    if (filter.dataCategory !== undefined) {
      sql += " AND data_category = ?";
      params.push(checkDataCategory(filter.dataCategory));
    }
    if (filter.recipient !== undefined) {
      // The recipient, and the categories it belongs to at `at`.
      const recipients = [filter.recipient, ...(await this.categoriesOf(filter.recipient, at))];
      sql += ` AND recipient IN (${recipients.map(() => "?").join(", ")})`;
      params.push(...recipients);
    }
    const cohorts = await this.db.all<{ id: number | string }>(`${sql} ORDER BY id`, params);
    // One aggregated string per cohort: a million rows as objects would cost more than the scan.
    // Both read the (cohort, learner) key in order, so the string comes out sorted without a sort:
    // SQLite's table is that key (WITHOUT ROWID); on PostgreSQL the column is in byte order ("C") and
    // the ordered subquery walks the covering index (an ORDER BY inside string_agg would sort again).
    const query =
      this.db.dialect === "postgres"
        ? "SELECT string_agg(learner, ',') AS s FROM (SELECT learner FROM consent_cohort_members WHERE cohort = ? AND valid_from <= ? AND valid_until > ? ORDER BY learner) AS m"
        : "SELECT group_concat(learner, ',') AS s FROM consent_cohort_members WHERE cohort = ? AND valid_from <= ? AND valid_until > ?";
    const ms = at.getTime();
    const sets: PseudonymSet[] = [];
    for (const { id } of cohorts) {
      const row = await this.db.one<{ s: string | null }>(query, [Number(id), ms, ms]);
      if (row?.s) sets.push(new PseudonymSet(row.s.split(",")));
    }
    return sets.length === 0 ? new PseudonymSet() : PseudonymSet.union(sets);
  }

  /**
   * Every record under the agreement (filtered like `consentingLearners`) with its state at `at` and
   * the receipt hash of the event that set it: a build's consent coverage (refused, withdrew, never
   * asked) and the receipts its lineage relies on. Records with no event by `at` are left out.
   */
  async recordStates(
    agreementId: string,
    at: Date = this.now(),
    filter: { purpose?: string; dataCategory?: string; recipient?: string } = {},
  ): Promise<Array<{ learner: string; record: string; state: ConsentState; receiptHash: string }>> {
    let sql = `SELECT r.learner, r.id AS record, e.state, e.receipt_hash FROM consent_records r
      JOIN consent_events e ON e.record_id = r.id
      AND e.n = (SELECT max(x.n) FROM consent_events x WHERE x.record_id = r.id AND x.at <= ?)
      WHERE r.agreement_id = ?`;
    const params: string[] = [at.toISOString(), agreementId];
    if (filter.purpose !== undefined) {
      sql += " AND r.purpose = ?";
      params.push(checkPurpose(filter.purpose));
    }
    if (filter.dataCategory !== undefined) {
      sql += " AND r.data_category = ?";
      params.push(checkDataCategory(filter.dataCategory));
    }
    if (filter.recipient !== undefined) {
      const recipients = [filter.recipient, ...(await this.categoriesOf(filter.recipient, at))];
      sql += ` AND r.recipient IN (${recipients.map(() => "?").join(", ")})`;
      params.push(...recipients);
    }
    const rows = await this.db.all<{
      learner: string;
      record: string;
      state: ConsentState;
      receipt_hash: string;
    }>(`${sql} ORDER BY r.learner, r.id`, params);
    return rows.map((r) => ({
      learner: r.learner,
      record: r.record,
      state: r.state,
      receiptHash: r.receipt_hash,
    }));
  }

  // ---------------------------------------------------------------- reading

  async record(id: string): Promise<ConsentRecord | undefined> {
    const row = await this.db.one<RecordRow>("SELECT id, record FROM consent_records WHERE id = ?", [id]);
    return row && (JSON.parse(row.record) as ConsentRecord);
  }

  /** The record as ISO/IEC TS 27560 lays it out, at its current state. */
  async iso27560(id: string): Promise<Record<string, unknown>> {
    const record = await this.requireRecord(id);
    return toIso27560(record, await this.statusIn(this.db, id));
  }

  async status(id: string): Promise<RecordStatus> {
    await this.requireRecord(id);
    return this.statusIn(this.db, id);
  }

  /** The records of a learner, optionally under one agreement, with their current states. */
  async records(
    learner: string,
    agreement?: string,
  ): Promise<Array<{ record: ConsentRecord; status: RecordStatus }>> {
    checkPseudonym(learner, "learner");
    const rows = await this.db.all<RecordRow>(
      `SELECT id, record FROM consent_records WHERE learner = ?${agreement ? " AND agreement_id = ?" : ""} ORDER BY created_at, id`,
      agreement ? [learner, agreement] : [learner],
    );
    const out = [];
    for (const r of rows)
      out.push({ record: JSON.parse(r.record) as ConsentRecord, status: await this.statusIn(this.db, r.id) });
    return out;
  }

  /** A record's events, oldest first, with their receipts. */
  async events(id: string, q: Queryable = this.db): Promise<StoredEvent[]> {
    const rows = await q.all<EventRow>("SELECT * FROM consent_events WHERE record_id = ? ORDER BY n", [id]);
    return rows.map(toEvent);
  }

  /** Outbox rows after `afterSeq` (for the notifications side). */
  async outbox(afterSeq = 0, limit = 1000): Promise<Array<Record<string, unknown>>> {
    return this.db.all("SELECT * FROM consent_outbox WHERE seq > ? ORDER BY seq LIMIT ?", [afterSeq, limit]);
  }

  /**
   * Rebuilds `consent_current` from the events (it is an index). Returns how many rows differed
   * from what the table held.
   */
  async rebuildCurrent(): Promise<{ records: number; differed: number }> {
    return this.db.transaction(
      async (tx) => {
        const records = await tx.all<RecordRow>("SELECT id, record FROM consent_records ORDER BY id");
        await tx.run("DELETE FROM consent_cohort_members");
        let differed = 0;
        for (const r of records) {
          const record = JSON.parse(r.record) as ConsentRecord;
          const events = await this.events(r.id, tx);
          const status = events.map(factsOf).reduce(applyEvent, INITIAL);
          const before = await tx.one<CurrentRow>("SELECT * FROM consent_current WHERE record_id = ?", [
            r.id,
          ]);
          const row = this.currentRow(record, status);
          if (
            !before ||
            before.state !== row[6] ||
            before.valid_from !== row[8] ||
            before.valid_until !== row[9] ||
            before.derived !== row[10]
          )
            differed++;
          await this.writeCurrent(tx, row);
          await this.writeMember(tx, record, status);
        }
        return { records: records.length, differed };
      },
      { lock: "learnpool:consent:rebuild" },
    );
  }

  // ---------------------------------------------------------------- internals

  private async openRequests(jws: string): Promise<string[]> {
    const link = await this.verifyLink(jws);
    const rows = await this.db.all<{ record_id: string }>(
      "SELECT record_id FROM consent_current WHERE agreement_id = ? AND learner = ? AND state = 'requested' ORDER BY record_id",
      [link.agreement, link.learner],
    );
    if (rows.length === 0) throw new ConsentError(409, "there is no open request to answer");
    return rows.map((r) => r.record_id);
  }

  /** Runs a learner's or guardian's change: under the lock, the link's nonce used once. */
  private withLink<T>(link: PortalLink, fn: (tx: Queryable, actor: Actor) => Promise<T>): Promise<T> {
    return this.db.transaction(
      async (tx) => {
        try {
          await tx.run(
            "INSERT INTO consent_link_uses (nonce, provider, used_at, expires_at) VALUES (?, ?, ?, ?)",
            [link.nonce, link.provider, this.now().toISOString(), link.expiresAt],
          );
        } catch (err) {
          if (err instanceof UniqueViolation)
            throw new ConsentError(
              409,
              "portal link refused: it was used already (ask the provider for a new one)",
            );
          throw err;
        }
        return fn(tx, { role: link.role, link });
      },
      { lock: lockOf(link.agreement, link.learner) },
    );
  }

  private async recordOfLink(tx: Queryable, id: string, link: PortalLink): Promise<ConsentRecord> {
    const row = await tx.one<RecordRow>("SELECT id, record FROM consent_records WHERE id = ?", [id]);
    if (!row) throw new ConsentError(404, `no consent record ${id}`);
    const record = JSON.parse(row.record) as ConsentRecord;
    if (record.dataSubject !== link.learner || record.agreement !== link.agreement)
      throw new ConsentError(403, `record ${id} is not the link's learner's under its agreement`);
    return record;
  }

  private async requireRecord(id: string): Promise<ConsentRecord> {
    const record = await this.record(id);
    if (!record) throw new ConsentError(404, `no consent record ${id}`);
    return record;
  }

  private async agreementFor(id: string): Promise<Agreement> {
    const agreement = await this.agreements.get(id);
    if (!agreement) throw new ConsentError(404, `no agreement ${id}`);
    return agreement;
  }

  private async agreementStatus(id: string, at: Date) {
    try {
      return await this.agreements.status(id, at);
    } catch (err) {
      if (err instanceof AgreementError) return { valid: false, reason: err.message };
      throw err;
    }
  }

  async statusIn(q: Queryable, id: string): Promise<RecordStatus> {
    const row = await q.one<CurrentRow>("SELECT derived FROM consent_current WHERE record_id = ?", [id]);
    return row ? (JSON.parse(row.derived) as RecordStatus) : INITIAL;
  }

  private windowOf(record: ConsentRecord, status: RecordStatus) {
    return validWindow(
      status,
      { retention: record.retention, agreementNotAfter: record.agreementNotAfter },
      durationMs,
    );
  }

  /** The consent_current row of a record at a status (valid_until also bounds open requests, for the sweep). */
  private currentRow(record: ConsentRecord, status: RecordStatus): (string | number | null)[] {
    const window = this.windowOf(record, status);
    let until = window?.until ?? null;
    if (status.state === "requested") {
      const ends = [record.agreementNotAfter];
      if (status.consentAgeOn && (status.learnerGave || status.guardianGave))
        ends.push(`${status.consentAgeOn}T00:00:00.000Z`);
      until = ends.sort()[0] as string;
    }
    return [
      record.id,
      record.agreement,
      record.dataSubject,
      record.purpose,
      record.recipient.id,
      record.dataCategory,
      status.state,
      status.n,
      window?.from ?? null,
      until,
      JSON.stringify(status),
    ];
  }

  private async writeCurrent(tx: Queryable, row: (string | number | null)[]): Promise<void> {
    await tx.run(
      `INSERT INTO consent_current (record_id, agreement_id, learner, purpose, recipient, data_category, state, n, valid_from, valid_until, derived)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (record_id) DO UPDATE SET state = excluded.state, n = excluded.n, valid_from = excluded.valid_from,
         valid_until = excluded.valid_until, derived = excluded.derived`,
      row,
    );
  }

  /** Keeps the record's learner in its cohort exactly while the consent is in force. */
  private async writeMember(tx: Queryable, record: ConsentRecord, status: RecordStatus): Promise<void> {
    const key = [record.agreement, record.purpose, record.dataCategory, record.recipient.id];
    const find =
      "SELECT id FROM consent_cohorts WHERE agreement_id = ? AND purpose = ? AND data_category = ? AND recipient = ?";
    let cohort = await tx.one<{ id: number | string }>(find, key);
    if (!cohort) {
      await tx.run(
        "INSERT INTO consent_cohorts (agreement_id, purpose, data_category, recipient) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        key,
      );
      cohort = await tx.one<{ id: number | string }>(find, key);
    }
    const id = Number(cohort?.id);
    const window = this.windowOf(record, status);
    if (!window) {
      await tx.run("DELETE FROM consent_cohort_members WHERE cohort = ? AND learner = ?", [
        id,
        record.dataSubject,
      ]);
      return;
    }
    await tx.run(
      `INSERT INTO consent_cohort_members (cohort, learner, valid_from, valid_until) VALUES (?, ?, ?, ?)
       ON CONFLICT (cohort, learner) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until`,
      [id, record.dataSubject, Date.parse(window.from), Date.parse(window.until)],
    );
  }

  /** Appends one event: checked, receipted, indexed, queued, audited, announced. */
  private async append(
    tx: Queryable,
    record: ConsentRecord,
    status: RecordStatus,
    actor: Actor,
    change: { event: ConsentEventType; details: EventDetails },
    at: Date = this.now(),
  ): Promise<ConsentChange> {
    const when = at.toISOString();
    const details: EventDetails = { ...change.details };
    if (actor.role === "learner" || actor.role === "guardian") {
      details.consentAgeOn = consentAgeOn(actor.link.age, record.jurisdiction, this.ageTable);
      details.link = actor.link.nonce;
      if (actor.link.guardian) details.guardian = actor.link.guardian;
    }
    const facts = factsOf({ event: change.event, by: actor.role, at: when, details } as StoredEvent);
    const next = applyEvent(status, facts);
    const last = await tx.one<{ receipt_hash: string }>(
      "SELECT receipt_hash FROM consent_events WHERE record_id = ? ORDER BY n DESC LIMIT 1",
      [record.id],
    );
    const payload: ReceiptPayload = {
      type: "ConsentReceipt",
      record: record.id,
      seq: next.n,
      event: change.event,
      by: actor.role,
      state: CONSENT_STATES[next.state],
      subject: record.dataSubject,
      purposes: [record.purpose],
      recipient: record.recipient.id,
      dataCategories: [record.dataCategory],
      agreement: record.agreement,
      notice: next.notice,
      at: when,
      previous: last?.receipt_hash ?? null,
    };
    const key = await this.keys.signing(tx);
    const receipt = await signReceipt(payload, key.privateJwk, key.kid);
    const hash = receiptHash(receipt);
    const inserted = await tx.one<{ seq: number | string }>(
      "INSERT INTO consent_events (record_id, n, event, by_role, actor, state, at, details, receipt, receipt_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
      [
        record.id,
        next.n,
        change.event,
        actor.role,
        actorText(actor),
        next.state,
        when,
        JSON.stringify(details),
        receipt,
        hash,
      ],
    );
    const seq = Number(inserted?.seq);
    await this.writeCurrent(tx, this.currentRow(record, next));
    await this.writeMember(tx, record, next);
    await tx.run(
      "INSERT INTO consent_outbox (event_seq, record_id, agreement_id, learner, event, state_before, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [seq, record.id, record.agreement, record.dataSubject, change.event, status.state, next.state, when],
    );
    await this.audit.append(
      {
        actor: actorText(actor),
        action: `consent.${change.event}`,
        subject: `consent:${record.id}`,
        details: {
          agreement: record.agreement,
          learner: record.dataSubject,
          purpose: record.purpose,
          recipient: record.recipient.id,
          dataCategory: record.dataCategory,
          n: next.n,
          state: next.state,
          receipt: hash,
          ...(details.guardian && { guardian: details.guardian }),
          ...(details.reason && { reason: details.reason }),
        },
      },
      tx,
    );
    const result: ConsentChange = {
      seq,
      record: record.id,
      agreement: record.agreement,
      learner: record.dataSubject,
      n: next.n,
      event: change.event,
      by: actor.role,
      stateBefore: status.state,
      state: next.state,
      at: when,
      receipt,
      receiptHash: hash,
    };
    for (const listener of this.listeners) await listener(result, tx);
    return result;
  }
}
