/**
 * The policy decision point and the duty tracker: the I/O around the pure evaluator. A decision reads
 * the agreement's status, builds the state of the world from the store (clock, usage counters, duty
 * states), evaluates the agreement's compiled policy, and — in one transaction under the agreement's
 * lock — counts the use, opens the duties and writes the audit event. Any failure denies.
 */
import { randomUUID } from "node:crypto";
import type { JWK } from "jose";
import type { AuditLog } from "../../audit/index.js";
import type { Database, Queryable } from "../../store/index.js";
import { type PartyFacts, purposeFit } from "../catalog/decisions.js";
import {
  type AccessRequest,
  type CompiledPolicy,
  compilePolicy,
  type Evaluation,
  evaluate,
  type WorldState,
} from "../odrl/evaluate.js";
import type { Policy, Rule } from "../odrl/parse.js";
import { ODRL } from "../odrl/vocab.js";
import { verifyDeletion } from "./evidence.js";
import {
  anonymizationLevelOf,
  checkInformRecord,
  type DutyKind,
  declaredPurposes,
  dueDateOf,
  dutyKindOf,
  isStep,
  meetsAnonymizationLevel,
  type NextPolicy,
  nextPoliciesOf,
  releaseBlockedBy,
  rulesById,
  type Step,
  transferRequestOf,
} from "./rules.js";
import {
  closeDuty,
  countUse,
  type DutyHistoryEntry,
  type DutyRecord,
  dutiesOf,
  dutyById,
  grantOf,
  historyOf,
  insertDuty,
  listDuties,
  overdueDuties,
  recordGrant,
  usageOf,
} from "./tracking.js";

/** A party of an agreement: its participant (store id), role, and ODRL party IRI when the document gives it. */
export interface AgreementParty {
  participant: string;
  role: string;
  iri?: string;
}

/** What enforcement needs of the agreements registry (AgreementRegistry satisfies it). */
export interface AgreementSource {
  get(id: string): Promise<{ parties: readonly AgreementParty[] } | undefined>;
  status(id: string, at?: Date): Promise<{ state: string; valid: boolean; reason: string }>;
  policyOf(id: string): Promise<Policy>;
}

/** What enforcement needs of the participants registry (ParticipantRegistry satisfies it). */
export interface ParticipantSource {
  get(id: string): Promise<{ id: string; iri: string } | undefined>;
  jwks(id: string): Promise<{ keys: readonly (JWK & { kid?: string })[] }>;
}

export class EnforcementError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "EnforcementError";
  }
}

export interface DecisionInput {
  step: Step;
  agreementId: string;
  /** Who asks: a participant (store id), `cli:<user>`, `system`. Recorded in the audit trail. */
  actor: string;
  request: AccessRequest;
  /** When the use happens (default: now). */
  at?: Date | string;
}

export interface EnforcementDecision extends Evaluation {
  step: Step | string;
  agreementId: string;
  at: string;
  /** Duties this decision opened (a duty is opened once per agreement, by the first permit that carries it). */
  openedDuties: DutyRecord[];
}

/** A decision on an offer, before any agreement exists (negotiation). */
export interface OfferDecisionInput {
  step: Step;
  offerId: string;
  dataset: string;
  offer: CompiledPolicy;
  /** The consumer as an ODRL party: its IRI, and collections or attributes when known. */
  party: PartyFacts;
  actor: string;
  at?: Date | string;
}

export interface OfferDecision {
  decision: "Permit" | "Deny";
  reason: string;
  step: Step | string;
  offerId: string;
  at: string;
  /** Constraints the offer leaves to decide at use (unknown now: minimum k, consent…). */
  conditions: string[];
}

export interface EnforcementOptions {
  clock?: () => Date;
  /** Tolerated clock skew for a deletion said to have happened in the future (default 5 minutes). */
  skewMs?: number;
}

interface AgreementEntry {
  compiled: CompiledPolicy;
  rules: Map<string, Rule>;
  /** ODRL party IRI → participant (store id). */
  participantOf: Map<string, string>;
  parties: readonly AgreementParty[];
  consumer: string | undefined;
  operator: string | undefined;
}

const iso = (t: Date | string) => (typeof t === "string" ? new Date(t) : t).toISOString();

export class PolicyEnforcement {
  private readonly cache = new Map<string, AgreementEntry>();
  private readonly clock: () => Date;
  private readonly skewMs: number;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: AgreementSource,
    private readonly participants: ParticipantSource,
    options: EnforcementOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.skewMs = options.skewMs ?? 5 * 60_000;
  }

  /** The agreement's compiled policy and party map, made once per agreement (an agreement never changes). */
  private async entry(agreementId: string): Promise<AgreementEntry> {
    const cached = this.cache.get(agreementId);
    if (cached) return cached;
    const agreement = await this.agreements.get(agreementId);
    if (!agreement) throw new EnforcementError(404, `no agreement ${agreementId}`);
    const policy = await this.agreements.policyOf(agreementId);
    const participantOf = new Map<string, string>();
    for (const party of agreement.parties) {
      const iri = party.iri ?? (await this.participants.get(party.participant))?.iri;
      if (iri) participantOf.set(iri, party.participant);
    }
    const entry: AgreementEntry = {
      compiled: compilePolicy(policy),
      rules: rulesById(policy),
      participantOf,
      parties: agreement.parties,
      consumer: agreement.parties.find((p) => p.role === "consumer")?.participant,
      operator: agreement.parties.find((p) => p.role === "operator")?.participant,
    };
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(agreementId, entry);
    return entry;
  }

  /** The participants that are party to an agreement (for the HTTP layer's visibility rule). */
  async partiesOf(agreementId: string): Promise<readonly AgreementParty[]> {
    return (await this.agreements.get(agreementId))?.parties ?? [];
  }

  /**
   * The decision for one step of the data's path. Deny unless the agreement is valid now; otherwise
   * the policy decides under the stored state of the world. One audit event `contract.decision` per
   * call, whatever the outcome; an error anywhere denies ("policy engine failure: …").
   */
  async decide(input: DecisionInput): Promise<EnforcementDecision> {
    let at: string;
    try {
      at = iso(input.at ?? this.clock());
    } catch {
      at = this.clock().toISOString();
      return this.failed(input, at, new Error(`not a date-time: ${String(input.at)}`));
    }
    try {
      if (!isStep(input.step)) throw new EnforcementError(400, `unknown step ${String(input.step)}`);
      const status = await this.agreements.status(input.agreementId, new Date(at));
      if (!status.valid) {
        const evaluation = denial(`agreement ${input.agreementId} is ${status.state}: ${status.reason}`);
        const decision = {
          ...evaluation,
          step: input.step,
          agreementId: input.agreementId,
          at,
          openedDuties: [],
        };
        await this.db.transaction((tx) => this.audited(input, decision, tx), { group: true });
        return decision;
      }
      const entry = await this.entry(input.agreementId);
      return await this.db.transaction((tx) => this.decideLocked(input, at, entry, tx), {
        lock: `learnpool:enforcement:${input.agreementId}`,
        group: true,
      });
    } catch (err) {
      return this.failed(input, at, err);
    }
  }

  /** Check and count in one transaction: concurrent decisions never exceed an ODRL count. */
  private async decideLocked(
    input: DecisionInput,
    at: string,
    entry: AgreementEntry,
    tx: Queryable,
  ): Promise<EnforcementDecision> {
    const id = input.agreementId;
    const usage = await usageOf(tx, id);
    const duties = await dutiesOf(tx, id);
    const counts: Record<string, number> = {};
    const since: Record<string, string> = {};
    for (const u of usage) {
      counts[u.rule] = u.count;
      since[u.rule] = u.firstUse;
    }
    // A permission never used starts its elapsedTime now.
    for (const p of entry.compiled.policy.permissions) since[p.id] ??= at;
    const dutyStates: Record<string, "fulfilled" | "violated"> = {};
    for (const d of duties) if (d.state !== "open") dutyStates[d.duty] = d.state;
    const state: WorldState = { dateTime: at, counts, since, duties: dutyStates };

    let evaluation = evaluate(entry.compiled, input.request, state);
    const openedDuties: DutyRecord[] = [];
    if (evaluation.decision === "Permit") {
      const blocking = releaseBlockedBy(
        input.step,
        duties.filter((d) => d.state === "open"),
      );
      if (blocking) {
        evaluation = {
          ...evaluation,
          decision: "Deny",
          reason: `the anonymize duty ${blocking.duty} of agreement ${id} is open: nothing is released before it is met`,
          decidingRule: blocking.duty,
          duties: [],
        };
      }
    }
    if (evaluation.decision === "Permit") {
      if (evaluation.decidingRule) await countUse(tx, id, evaluation.decidingRule, at);
      const known = new Set(duties.map((d) => d.duty));
      for (const d of evaluation.duties) {
        if (known.has(d.duty) || d.state !== "pending") continue;
        known.add(d.duty);
        const rule = entry.rules.get(d.duty);
        const opened = this.newDuty(entry, id, d.duty, rule, d.actions, d.from, at);
        await insertDuty(tx, opened, input.actor, `opened by the ${input.step} decision under ${d.from}`);
        openedDuties.push(opened);
      }
      if (input.step === "transfer")
        await recordGrant(tx, id, input.step, input.actor, JSON.stringify(input.request), at);
    }
    const decision: EnforcementDecision = {
      ...evaluation,
      step: input.step,
      agreementId: id,
      at,
      openedDuties,
    };
    await this.audited(input, decision, tx);
    return decision;
  }

  private newDuty(
    entry: AgreementEntry,
    agreementId: string,
    duty: string,
    rule: Rule | undefined,
    actions: readonly string[],
    origin: string,
    at: string,
  ): DutyRecord {
    const named = rule?.assignees.map((iri) => entry.participantOf.get(iri)).find(Boolean);
    return {
      id: randomUUID(),
      agreement: agreementId,
      duty,
      kind: dutyKindOf(actions),
      action: actions[0] ?? `${ODRL}use`,
      origin,
      // A duty that names no party of the agreement falls to the consumer (the permission's assignee).
      assignee: named ?? entry.consumer ?? null,
      due: rule ? (dueDateOf(rule.constraints) ?? null) : null,
      state: "open",
      evidence: null,
      openedAt: at,
      closedAt: null,
    };
  }

  private async audited(input: DecisionInput, decision: EnforcementDecision, tx?: Queryable) {
    await this.audit.append(
      {
        actor: input.actor,
        action: "contract.decision",
        subject: input.agreementId,
        details: {
          step: input.step,
          agreement: input.agreementId,
          actor: input.actor,
          action: typeof input.request?.action === "string" ? input.request.action : null,
          decision: decision.decision,
          reason: decision.reason,
          rule: decision.decidingRule ?? null,
          constraint: decision.decidingConstraint ?? null,
          ...(decision.openedDuties.length > 0 ? { opened: decision.openedDuties.map((d) => d.id) } : {}),
          // A decision asked for another instant than now says so (CLI --at, simulations).
          ...(input.at !== undefined ? { decidedFor: decision.at } : {}),
        },
      },
      tx,
    );
  }

  /** Fail closed: deny, and audit the failure (if even that fails, still deny). */
  private async failed(input: DecisionInput, at: string, err: unknown): Promise<EnforcementDecision> {
    const message = err instanceof Error ? err.message : String(err);
    const decision: EnforcementDecision = {
      ...denial(`policy engine failure: ${message}`),
      step: input?.step,
      agreementId: input?.agreementId,
      at,
      openedDuties: [],
    };
    try {
      await this.audited(input, decision);
    } catch {
      // Nothing more to do: the decision is already Deny.
    }
    return decision;
  }

  /**
   * The decision on an offer for a consumer, before an agreement exists (a negotiation's request):
   * may this party use the dataset for a purpose the offer declares? The offer's purpose fit (see
   * catalog/decisions.ts): a constraint that fails, or an assignee that is not this party, denies;
   * constraints that cannot be known before use (minimum k, consent) are left to the decisions under
   * the agreement and listed. One `contract.decision` audit event; any failure denies.
   */
  async decideOffer(input: OfferDecisionInput): Promise<OfferDecision> {
    let at: string;
    let decision: OfferDecision;
    try {
      at = iso(input.at ?? this.clock());
    } catch {
      at = this.clock().toISOString();
    }
    const base = { step: input.step, offerId: input.offerId, at };
    try {
      if (!isStep(input.step)) throw new EnforcementError(400, `unknown step ${String(input.step)}`);
      const purposes = declaredPurposes(input.offer.policy);
      const fits = (purposes.length > 0 ? purposes : [undefined]).map((purpose) =>
        purposeFit(input.offer, input.party, purpose, input.dataset, new Date(at)),
      );
      const fit = fits.find((f) => f.fit !== "refused");
      decision =
        fit && "conditions" in fit
          ? {
              ...base,
              decision: "Permit",
              reason:
                fit.conditions.length > 0
                  ? `permitted if, when used: ${fit.conditions.join("; ")} (decided under the agreement at each use)`
                  : fit.reason,
              conditions: fit.conditions,
            }
          : {
              ...base,
              decision: "Deny",
              reason: `offer ${input.offerId} does not let ${input.party.iri} use ${input.dataset}: ${[
                ...new Set(fits.map((f) => f.reason)),
              ].join("; ")}`,
              conditions: [],
            };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      decision = { ...base, decision: "Deny", reason: `policy engine failure: ${message}`, conditions: [] };
    }
    try {
      await this.audit.append({
        actor: input.actor,
        action: "contract.decision",
        subject: input.offerId,
        details: {
          step: input.step,
          agreement: null,
          offer: input.offerId,
          dataset: input.dataset,
          actor: input.actor,
          assignee: input.party?.iri ?? null,
          action: `${ODRL}use`,
          decision: decision.decision,
          reason: decision.reason,
          rule: null,
          constraint: null,
          ...(decision.conditions.length > 0 ? { conditions: decision.conditions } : {}),
        },
      });
    } catch (err) {
      // A permit that cannot be recorded is not given.
      const message = err instanceof Error ? err.message : String(err);
      return { ...base, decision: "Deny", reason: `policy engine failure: ${message}`, conditions: [] };
    }
    return decision;
  }

  /**
   * The decision for a transfer under an agreement, asked by its consumer: the agreement's dataset,
   * used by the consumer, for the purpose the agreement declares, received by the consumer
   * (`transferRequestOf`). A permit is the grant each page is decided on again (`beforeTransferPage`).
   */
  async decideTransfer(input: {
    agreementId: string;
    /** The consumer participant (store id) that asks. */
    consumer: string;
    actor: string;
    at?: Date | string;
  }): Promise<EnforcementDecision> {
    let request: AccessRequest;
    try {
      const entry = await this.entry(input.agreementId);
      if (entry.consumer !== input.consumer)
        throw new EnforcementError(
          403,
          `'${input.consumer}' is not the consumer of agreement ${input.agreementId}`,
        );
      const iri =
        [...entry.participantOf].find(([, participant]) => participant === input.consumer)?.[0] ??
        (await this.participants.get(input.consumer))?.iri;
      if (!iri) throw new EnforcementError(404, `participant '${input.consumer}' has no IRI`);
      request = transferRequestOf(entry.compiled.policy, iri);
    } catch (err) {
      const step = { step: "transfer" as const, agreementId: input.agreementId, actor: input.actor };
      return this.failed({ ...step, request: { action: `${ODRL}use` } }, iso(input.at ?? this.clock()), err);
    }
    return this.decide({
      step: "transfer",
      agreementId: input.agreementId,
      actor: input.actor,
      request,
      ...(input.at !== undefined ? { at: input.at } : {}),
    });
  }

  /**
   * The hook a running transfer calls before each page: the transfer step decided again on the request
   * last permitted for this agreement's transfer (each page is one use, counted). Count exhaustion,
   * expiry, revocation or termination deny.
   */
  async beforeTransferPage(
    agreementId: string,
    options: { request?: AccessRequest; actor?: string; at?: Date | string } = {},
  ): Promise<{ permit: boolean; reason: string; decision: EnforcementDecision }> {
    let request = options.request;
    let actor = options.actor;
    if (!request) {
      const grant = await grantOf(this.db, agreementId, "transfer").catch(() => undefined);
      if (grant) {
        request = JSON.parse(grant.request) as AccessRequest;
        actor ??= grant.actor;
      }
    }
    const decision = request
      ? await this.decide({
          step: "transfer",
          agreementId,
          actor: actor ?? "system",
          request,
          ...(options.at ? { at: options.at } : {}),
        })
      : await this.failed(
          { step: "transfer", agreementId, actor: actor ?? "system", request: { action: "" } },
          iso(options.at ?? this.clock()),
          new Error(`no transfer was permitted under agreement ${agreementId}`),
        );
    return { permit: decision.decision === "Permit", reason: decision.reason, decision };
  }

  // ------------------------------------------------------------------ duties

  async duties(
    filter: { agreements?: readonly string[]; state?: DutyRecord["state"] } = {},
  ): Promise<DutyRecord[]> {
    return listDuties(this.db, filter);
  }

  async duty(id: string): Promise<(DutyRecord & { history: DutyHistoryEntry[] }) | undefined> {
    const duty = await dutyById(this.db, id);
    return duty && { ...duty, history: await historyOf(this.db, id) };
  }

  /**
   * Evidence that a duty was met, submitted by `by` (a participant): the duty's assignee, or for
   * anonymization and nextPolicy (which the environment performs) the agreement's operator. What counts
   * as evidence depends on the duty's kind (see README); anything else is refused with its reason.
   */
  async fulfil(
    dutyId: string,
    input: { by: string; actor?: string; evidence: unknown; at?: Date | string },
  ): Promise<DutyRecord> {
    const at = iso(input.at ?? this.clock());
    const actor = input.actor ?? input.by;
    const duty = await dutyById(this.db, dutyId);
    if (!duty) throw new EnforcementError(404, `no duty ${dutyId}`);
    const entry = await this.entry(duty.agreement);
    const mayFulfil =
      input.by === duty.assignee ||
      ((duty.kind === "anonymization" || duty.kind === "nextPolicy") && input.by === entry.operator);
    if (!mayFulfil)
      throw new EnforcementError(403, `only the duty's assignee (${duty.assignee ?? "none"}) may fulfil it`);
    if (duty.state !== "open") throw new EnforcementError(409, `duty ${dutyId} is already ${duty.state}`);
    let evidence: unknown;
    try {
      evidence = await this.checkEvidence(duty, entry, input.evidence, at);
    } catch (err) {
      if (err instanceof EnforcementError && err.status === 422)
        await this.audit
          .append({
            actor,
            action: "contract.duty.evidence-refused",
            subject: duty.agreement,
            details: { duty: duty.id, kind: duty.kind, reason: err.message },
          })
          .catch(() => undefined);
      throw err;
    }
    return this.db.transaction(
      async (tx) => {
        const closed = await closeDuty(
          tx,
          duty.id,
          "fulfilled",
          at,
          actor,
          evidence,
          `fulfilled by ${input.by}`,
        );
        if (!closed) throw new EnforcementError(409, `duty ${dutyId} is no longer open`);
        await this.audit.append(
          {
            actor,
            action: "contract.duty.fulfilled",
            subject: duty.agreement,
            details: { duty: duty.id, iri: duty.duty, kind: duty.kind, by: input.by },
          },
          tx,
        );
        return (await dutyById(tx, duty.id))!;
      },
      { lock: `learnpool:enforcement:${duty.agreement}` },
    );
  }

  private async checkEvidence(duty: DutyRecord, entry: AgreementEntry, evidence: unknown, at: string) {
    const refuse = (reason: string): never => {
      throw new EnforcementError(422, reason);
    };
    switch (duty.kind) {
      case "deletion": {
        const jws = typeof evidence === "string" ? evidence : (evidence as { jws?: unknown } | null)?.jws;
        if (!duty.assignee) return refuse("the duty has no assignee whose key could verify the evidence");
        const { keys } = await this.participants.jwks(duty.assignee);
        const verified = await verifyDeletion(jws, { agreement: duty.agreement, duty: duty.duty }, keys);
        if (!verified.ok) return refuse(verified.reason);
        const deletedAt = Date.parse(verified.value.deletedAt);
        if (deletedAt > Date.parse(at) + this.skewMs) return refuse("the deletion is dated in the future");
        if (duty.due && deletedAt > Date.parse(duty.due))
          return refuse(`the deletion at ${verified.value.deletedAt} is after the due date ${duty.due}`);
        return { jws, statement: verified.value };
      }
      case "anonymization": {
        const rule = entry.rules.get(duty.duty);
        const level = rule ? anonymizationLevelOf(rule, entry.compiled.policy) : undefined;
        const report = (evidence as { report?: unknown } | null)?.report ?? evidence;
        const met = meetsAnonymizationLevel(report, level);
        if (!met.ok) return refuse(met.reason);
        return { report, level };
      }
      case "inform": {
        const checked = checkInformRecord(evidence);
        if (!checked.ok) return refuse(checked.reason);
        return checked.record;
      }
      case "nextPolicy": {
        const e = evidence as { release?: unknown; policy?: unknown } | null;
        const expected = nextPoliciesOf(entry.compiled.policy).find((n) => n.duty === duty.duty)?.policy;
        if (!e || typeof e.release !== "string" || typeof e.policy !== "string")
          return refuse("a nextPolicy record is {release, policy}: the release that carries the policy");
        if (expected && e.policy !== expected)
          return refuse(`the release carries ${e.policy}, not the agreed next policy ${expected}`);
        return { release: e.release, policy: e.policy };
      }
      default: {
        const e = evidence as { note?: unknown } | null;
        if (!e || typeof e.note !== "string" || e.note === "")
          return refuse("a record is {note: what was done}");
        return { note: e.note };
      }
    }
  }

  /**
   * The policies that must travel with what is derived under the agreement (ODRL nextPolicy duties),
   * with the tracked duty when a permit has opened it; model release attaches them, then records it.
   */
  async nextPolicyFor(
    agreementId: string,
  ): Promise<(NextPolicy & { dutyId: string | null; state: string })[]> {
    const entry = await this.entry(agreementId);
    const tracked = await dutiesOf(this.db, agreementId);
    return nextPoliciesOf(entry.compiled.policy).map((n) => {
      const t = tracked.find((d) => d.duty === n.duty);
      return { ...n, dutyId: t?.id ?? null, state: t?.state ?? "not-opened" };
    });
  }

  /** A release recorded with the next policy it carries: fulfils the open nextPolicy duties it meets. */
  async recordRelease(
    agreementId: string,
    input: { release: string; policy: string; by: string; actor?: string; at?: Date | string },
  ): Promise<DutyRecord[]> {
    const out: DutyRecord[] = [];
    for (const n of await this.nextPolicyFor(agreementId))
      if (n.dutyId && n.state === "open" && n.policy === input.policy)
        out.push(
          await this.fulfil(n.dutyId, {
            by: input.by,
            ...(input.actor ? { actor: input.actor } : {}),
            evidence: { release: input.release, policy: input.policy },
            ...(input.at ? { at: input.at } : {}),
          }),
        );
    return out;
  }

  /**
   * Open duties past due become violated (audited), and their ODRL consequences are opened as new
   * duties. A violated duty also voids the permission it came from (the evaluator reads its state).
   */
  async sweep(
    at: Date | string = this.clock(),
    actor = "system",
  ): Promise<{ violated: DutyRecord[]; opened: DutyRecord[] }> {
    const when = iso(at);
    const violated: DutyRecord[] = [];
    const opened: DutyRecord[] = [];
    for (const duty of await overdueDuties(this.db, when)) {
      // A duty past due is violated even when its agreement can no longer be read (then without consequences).
      const entry = await this.entry(duty.agreement).catch(() => undefined);
      await this.db.transaction(
        async (tx) => {
          const closed = await closeDuty(
            tx,
            duty.id,
            "violated",
            when,
            actor,
            undefined,
            `not met by ${duty.due}`,
          );
          if (!closed) return;
          violated.push({ ...duty, state: "violated", closedAt: when });
          const consequences = entry?.rules.get(duty.duty)?.consequences ?? [];
          const made = entry
            ? await this.openRules(tx, entry, duty.agreement, consequences, duty.duty, when, actor)
            : [];
          opened.push(...made);
          await this.audit.append(
            {
              actor,
              action: "contract.duty.violated",
              subject: duty.agreement,
              details: {
                duty: duty.id,
                iri: duty.duty,
                kind: duty.kind,
                due: duty.due,
                consequences: made.map((d) => d.id),
              },
            },
            tx,
          );
        },
        { lock: `learnpool:enforcement:${duty.agreement}` },
      );
    }
    return { violated, opened };
  }

  /**
   * A prohibition found violated (reported by a party or the operator: every use that passes through
   * `decide` is refused by an active prohibition, so a violation is only ever learned from outside).
   * Its remedies are opened as duties, and the report is audited.
   */
  async reportProhibitionViolation(
    agreementId: string,
    input: { prohibition: string; actor: string; note: string; at?: Date | string },
  ): Promise<DutyRecord[]> {
    const at = iso(input.at ?? this.clock());
    const entry = await this.entry(agreementId);
    const prohibition = entry.compiled.policy.prohibitions.find((p) => p.id === input.prohibition);
    if (!prohibition)
      throw new EnforcementError(404, `no prohibition ${input.prohibition} in agreement ${agreementId}`);
    return this.db.transaction(
      async (tx) => {
        const made = await this.openRules(
          tx,
          entry,
          agreementId,
          prohibition.remedies,
          prohibition.id,
          at,
          input.actor,
        );
        await this.audit.append(
          {
            actor: input.actor,
            action: "contract.prohibition.violated",
            subject: agreementId,
            details: { prohibition: prohibition.id, note: input.note, remedies: made.map((d) => d.id) },
          },
          tx,
        );
        return made;
      },
      { lock: `learnpool:enforcement:${agreementId}` },
    );
  }

  private async openRules(
    tx: Queryable,
    entry: AgreementEntry,
    agreementId: string,
    rules: readonly Rule[],
    origin: string,
    at: string,
    actor: string,
  ): Promise<DutyRecord[]> {
    const known = new Set((await dutiesOf(tx, agreementId)).map((d) => d.duty));
    const out: DutyRecord[] = [];
    for (const rule of rules) {
      if (known.has(rule.id)) continue;
      known.add(rule.id);
      const duty = this.newDuty(entry, agreementId, rule.id, rule, rule.actions, origin, at);
      await insertDuty(tx, duty, actor, `opened as a consequence of ${origin}`);
      out.push(duty);
    }
    return out;
  }
}

function denial(reason: string): Evaluation {
  return { decision: "Deny", reason, duties: [], remedies: [], ruleReports: [], policy: "" };
}

export type { DutyKind };
