/**
 * The DSP service: both sides of contract negotiation and transfer, over the state machines
 * (states.ts), the messages (messages.ts), the tables (repository.ts) and the client (client.ts).
 *
 * Every received message goes: read → find the process and check the caller is its counterparty →
 * state machine → write state, history and audit event in one transaction → ACK. What this side then
 * says (an agreement after a request, a verification after an agreement, FINALIZED once the registry
 * says the agreement is final, a start after a transfer request) is sent after the ACK, in the
 * background. A sent message's transition is written before it is sent, since the counterparty may
 * answer before the ACK reaches us, and undone when the counterparty refuses it.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { Lrs, Principal } from "../../lrs/index.js";
import type { Queryable } from "../../store/index.js";
import { type Authorize, DspClient, DspRemoteError, resolve } from "./client.js";
import {
  buildMessage,
  comparablePolicy,
  type DataAddress,
  DspMessageError,
  endpointProperty,
  HTTP_ENDPOINT_TYPE,
  type JsonObject,
  type MessageType,
  type MessageTypes,
  readMessage,
  redactSecrets,
} from "./messages.js";
import {
  history,
  type Negotiation,
  negotiations,
  type TransferProcessRecord,
  transfers,
} from "./repository.js";
import {
  DspProtocolError,
  type NegotiationMessage,
  type NegotiationState,
  negotiationTransition,
  type Side,
  type TransferMessage,
  type TransferState,
  transferTransition,
} from "./states.js";

/** The catalog as this service needs it (connected to src/contract/catalog by the server). */
export interface OfferLookup {
  offer(
    offerId: string,
  ): Promise<{ providerId: string; datasetId: string; policy: Record<string, unknown> } | undefined>;
}

/** What this service uses of the agreement registry (src/contract/agreements' AgreementRegistry). */
export interface AgreementRegistryPort {
  participants: {
    get(id: string): Promise<{ iri: string } | undefined>;
    /** The data space's operator: a party of every agreement, beside provider and consumer. */
    operator(): Promise<{ id: string; iri: string } | undefined>;
  };
  propose(draft: {
    proposedBy: string;
    parties: { participant: string; role: "provider" | "consumer" | "operator" }[];
    offers?: string[];
    policy: Record<string, unknown>;
    notAfter: string;
  }): Promise<{ id: string; canonical: string; digest: string; createdAt: string }>;
  sign(id: string, participantId: string, jws: string): Promise<unknown>;
  status(id: string): Promise<{ state: string; valid: boolean; reason: string; missing: string[] }>;
}

/** Signs an agreement's canonical text as one of our participants (a detached JWS); undefined: no key. */
export type AgreementSigner = (participant: string, canonical: string) => Promise<string | undefined>;

/**
 * The enforcement hook asked before every data page (usage counts and the like). A denial is told to
 * the consumer with code `PolicyDenied`, unless the hook gives its own (`AgreementNotValid` when what
 * refused was the agreement's status rather than the policy).
 */
export type TransferPageCheck = (agreementId: string) => TransferPageAnswer | Promise<TransferPageAnswer>;
export interface TransferPageAnswer {
  permit: boolean;
  reason: string;
  code?: string;
}

/** Why data may not flow: the protocol's code (AgreementNotValid, PolicyDenied) and the reason. */
interface Refusal {
  code: string;
  reason: string;
}

/** A policy decision asked by the protocol: permit, or deny with the reason the counterparty is told. */
export interface PolicyAnswer {
  permit: boolean;
  reason: string;
}

/** Asked when a consumer requests one of our offers, before this side agrees (deny: TERMINATED). */
export type NegotiationCheck = (input: {
  offerId: string;
  datasetId: string;
  /** The providing store. */
  providerId: string;
  /** The consumer as known here (the store whose credential it calls with). */
  consumer: string;
  negotiation: string;
}) => PolicyAnswer | Promise<PolicyAnswer>;

/** Asked when a consumer requests a transfer under an agreement (deny: the request is refused). */
export type TransferCheck = (input: {
  agreementId: string;
  consumer: string;
}) => PolicyAnswer | Promise<PolicyAnswer>;

export interface DspServiceOptions {
  /** Our DSP base URL as counterparties reach it, e.g. https://pool.example/dsp. */
  baseUrl: string;
  offers: OfferLookup;
  agreements: AgreementRegistryPort;
  /** Signs for our own participants (provider on the provider side, consumer on the consumer side). */
  signer?: AgreementSigner;
  /** The credential to present at a counterparty's address. */
  authorize?: Authorize;
  beforeTransferPage?: TransferPageCheck;
  /** The policy decision on a consumer's request for an offer (see NegotiationCheck); none: agree. */
  beforeAgreeing?: NegotiationCheck;
  /** The policy decision on a transfer request (see TransferCheck); none: the agreement's status alone. */
  beforeTransfer?: TransferCheck;
  /** A counter-offer is answered with the provider's own offer (default) or with a termination. */
  counterOffers?: "offer" | "terminate";
  /** How long an agreement made by negotiation is valid, in days (default 365). */
  agreementDays?: number;
  /** Statements per data page (default 500). */
  pageSize?: number;
  fetch?: typeof fetch;
  /** The clock an agreement's validity starts from (default: the system's); the registry keeps its own. */
  clock?: () => Date;
}

/** The only transfer format served: the consumer pulls JSON lines over HTTP. */
export const PULL_FORMAT = "HttpData-PULL";
const SYSTEM = "system:dsp";

const newPid = () => `urn:uuid:${randomUUID()}`;
const now = () => new Date().toISOString();
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/**
 * What a history entry or audit event may show of a message: never a data plane token, however the
 * peer wrote it (`dataAddress` or `dspace:dataAddress` or an IRI, endpoint properties compact, prefixed
 * or expanded, or a credential under a key of its own): the whole message is walked.
 */
function redacted(message: JsonObject): JsonObject {
  return redactSecrets(message);
}

export interface DataPage {
  /** JSON lines, one statement each. */
  lines: string[];
  /** The cursor of the next page, when there is one. */
  next?: string;
}

export class DspService {
  private readonly client: DspClient;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly lrs: Lrs,
    private readonly options: DspServiceOptions,
  ) {
    this.client = new DspClient(options.authorize ?? (() => undefined), options.fetch ?? fetch);
  }

  private get db() {
    return this.lrs.db;
  }

  /** Resolves when every background step started so far has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private background(what: string, subject: string, step: () => Promise<void>): void {
    const run = (async () => {
      await new Promise((r) => setImmediate(r));
      try {
        await step();
      } catch (err) {
        await this.lrs.audit
          .append({
            actor: SYSTEM,
            action: "dsp.step-failed",
            subject,
            details: { step: what, error: (err as Error).message },
          })
          .catch(() => undefined);
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  // ---------------------------------------------------------------- negotiations: shared steps

  /**
   * Applies a message to a negotiation inside one transaction under the negotiation's lock: reads it
   * again, asks the state machine, lets `change` amend it, writes it with the history entry and the
   * audit event. Returns the negotiation as written.
   */
  private async moveNegotiation(
    localPid: string,
    step: {
      message: NegotiationMessage;
      sender: Side;
      direction: "received" | "sent";
      body: JsonObject;
      actor: string;
      change?: (n: Negotiation, tx: Queryable) => void | Promise<void>;
      /** Checked on the negotiation as read inside the transaction, before the state machine. */
      check?: (n: Negotiation) => void;
    },
  ): Promise<{ before: NegotiationState; after: Negotiation }> {
    return this.db.transaction(
      async (tx) => {
        const n = await negotiations.get(tx, localPid);
        if (!n) throw new DspProtocolError(404, "NotFound", `no contract negotiation ${localPid}`);
        step.check?.(n);
        const before = n.state;
        n.state = negotiationTransition(n.state, step.message, step.sender);
        await step.change?.(n, tx);
        n.updatedAt = now();
        await negotiations.update(tx, n);
        await this.recordNegotiation(tx, n, step, before);
        return { before, after: n };
      },
      { lock: `learnpool:dsp:${localPid}` },
    );
  }

  private async recordNegotiation(
    tx: Queryable,
    n: Negotiation,
    step: { message: string; direction: "received" | "sent"; body: JsonObject; actor: string },
    before: NegotiationState | undefined,
  ): Promise<void> {
    await history.append(tx, "negotiation", n.localPid, {
      direction: step.direction,
      type: step.message,
      ...(before ? { stateBefore: before } : {}),
      stateAfter: n.state,
      body: redacted(step.body),
    });
    await this.lrs.audit.append(
      {
        actor: step.actor,
        action: `dsp.negotiation.${step.direction}`,
        subject: `negotiation:${n.localPid}`,
        details: {
          message: step.message,
          role: n.role,
          counterparty: n.counterparty,
          from: before ?? null,
          to: n.state,
          ...(n.agreementId ? { agreement: n.agreementId } : {}),
        },
      },
      tx,
    );
  }

  /** The negotiation `pid` names at this side, if `principal` is its counterparty or its participant. */
  private async ownedNegotiation(principal: Principal, pid: string, role?: Side): Promise<Negotiation> {
    const n = await negotiations.get(this.db, pid);
    // An unknown process and someone else's answer the same (HTTPS binding: unauthorized → 404).
    if (
      !n ||
      (n.counterparty !== principal.storeId && n.participant !== principal.storeId) ||
      (role && n.role !== role)
    ) {
      throw new DspProtocolError(404, "NotFound", `no contract negotiation ${pid}`);
    }
    return n;
  }

  /** The negotiation a counterparty's message is about: ours by pid, theirs and the pid pair matching. */
  private async negotiationFromCounterparty(
    principal: Principal,
    pid: string,
    message: { providerPid?: string; consumerPid?: string },
    role: Side,
  ): Promise<Negotiation> {
    const n = await negotiations.get(this.db, pid);
    if (!n || n.counterparty !== principal.storeId || n.role !== role) {
      throw new DspProtocolError(404, "NotFound", `no contract negotiation ${pid}`);
    }
    const ours = role === "provider" ? message.providerPid : message.consumerPid;
    const theirs = role === "provider" ? message.consumerPid : message.providerPid;
    const known = role === "provider" ? n.consumerPid : n.providerPid;
    if (ours !== undefined && ours !== n.localPid) {
      throw new DspMessageError(`the message names ${role}Pid ${ours}, not ${n.localPid} of the path`);
    }
    if (theirs !== undefined && known !== undefined && theirs !== known) {
      const other = role === "provider" ? "consumerPid" : "providerPid";
      throw new DspMessageError(`the message names ${other} ${theirs}, this negotiation's is ${known}`);
    }
    return n;
  }

  /** Sends a negotiation message after writing its transition; undoes the transition if refused. */
  private async sendNegotiation<T extends MessageType>(
    n: Negotiation,
    path: string,
    type: T,
    fields: MessageTypes[T],
    message: NegotiationMessage,
    change?: (n: Negotiation) => void,
  ): Promise<Negotiation> {
    const body = buildMessage(type, fields);
    const address = n.counterpartyAddress;
    if (!address)
      throw new DspProtocolError(
        409,
        "NoAddress",
        `negotiation ${n.localPid} has no address for its counterparty`,
      );
    const { before, after } = await this.moveNegotiation(n.localPid, {
      message,
      sender: n.role,
      direction: "sent",
      body,
      actor: SYSTEM,
      ...(change ? { change } : {}),
    });
    try {
      await this.client.post(address, path, body);
    } catch (err) {
      await this.undo("negotiation", n.localPid, after.state, before, (err as Error).message);
      throw err;
    }
    return after;
  }

  /** Puts a process back in the state it had before a message the counterparty refused. */
  private async undo(
    kind: "negotiation" | "transfer",
    localPid: string,
    expected: string,
    back: string,
    reason: string,
  ) {
    await this.db.transaction(
      async (tx) => {
        const table = kind === "negotiation" ? "dsp_negotiations" : "dsp_transfers";
        const done = await tx.run(
          `UPDATE ${table} SET state = ?, updated_at = ? WHERE local_pid = ? AND state = ?`,
          [back, now(), localPid, expected],
        );
        if (done.changes === 0) return;
        await history.append(tx, kind, localPid, {
          direction: "sent",
          type: "undone",
          stateBefore: expected,
          stateAfter: back,
          body: { reason },
        });
        await this.lrs.audit.append(
          {
            actor: SYSTEM,
            action: `dsp.${kind}.undone`,
            subject: `${kind}:${localPid}`,
            details: { from: expected, to: back, reason },
          },
          tx,
        );
      },
      { lock: `learnpool:dsp:${localPid}` },
    );
  }

  private negotiationAck(n: Negotiation): JsonObject {
    return buildMessage("ContractNegotiation", {
      providerPid: n.providerPid ?? "",
      consumerPid: n.consumerPid ?? "",
      state: n.state,
    });
  }

  // ---------------------------------------------------------------- negotiations: provider side

  /** GET negotiations/:pid (either side's). */
  async getNegotiation(principal: Principal, pid: string): Promise<JsonObject> {
    return this.negotiationAck(await this.ownedNegotiation(principal, pid));
  }

  /** POST negotiations/request: a consumer starts a negotiation on one of our offers. */
  async receiveInitialRequest(principal: Principal, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractRequestMessage", body);
    if (m.providerPid !== undefined) {
      throw new DspMessageError(
        "ContractRequestMessage: providerPid must be absent when a negotiation starts",
      );
    }
    if (!m.callbackAddress) throw new DspMessageError("ContractRequestMessage: callbackAddress is missing");
    checkAddress(m.callbackAddress, "ContractRequestMessage: callbackAddress");
    const offerId = String(m.offer["@id"]);
    const offered = await this.options.offers.offer(offerId);
    if (!offered || !(await this.lrs.tenancy.getStore(offered.providerId))) {
      throw new DspProtocolError(
        400,
        "UnknownOffer",
        `ContractRequestMessage: offer ${offerId} is not an offer of this provider`,
      );
    }
    if (offered.providerId === principal.storeId) {
      throw new DspProtocolError(400, "SameParty", "a participant cannot negotiate with itself");
    }
    const existing = await negotiations.byRemote(this.db, "provider", principal.storeId, {
      consumerPid: m.consumerPid,
    });
    if (existing)
      throw new DspProtocolError(
        409,
        "Exists",
        `consumerPid ${m.consumerPid} names negotiation ${existing.localPid} already`,
      );
    const at = now();
    const n: Negotiation = {
      localPid: newPid(),
      role: "provider",
      participant: offered.providerId,
      counterparty: principal.storeId,
      consumerPid: m.consumerPid,
      counterpartyAddress: m.callbackAddress,
      state: negotiationTransition(undefined, "ContractRequestMessage", "consumer"),
      offerId,
      datasetId: offered.datasetId,
      offer: m.offer,
      createdAt: at,
      updatedAt: at,
    };
    n.providerPid = n.localPid;
    await this.db.transaction(async (tx) => {
      await negotiations.insert(tx, n);
      await this.recordNegotiation(
        tx,
        n,
        {
          message: "ContractRequestMessage",
          direction: "received",
          body: body as JsonObject,
          actor: principal.key,
        },
        undefined,
      );
    });
    this.background("answer request", `negotiation:${n.localPid}`, () => this.answerRequest(n.localPid));
    return this.negotiationAck(n);
  }

  /** POST negotiations/:providerPid/request: the consumer's counter-offer. */
  async receiveRequest(principal: Principal, providerPid: string, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractRequestMessage", body);
    const n = await this.negotiationFromCounterparty(principal, providerPid, m, "provider");
    if (m.offer["@id"] !== n.offerId && !(await this.options.offers.offer(String(m.offer["@id"])))) {
      throw new DspProtocolError(
        400,
        "UnknownOffer",
        `ContractRequestMessage: offer ${String(m.offer["@id"])} is not known here`,
      );
    }
    const { after } = await this.moveNegotiation(n.localPid, {
      message: "ContractRequestMessage",
      sender: "consumer",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
      change: (x) => {
        x.offer = m.offer;
        if (m.callbackAddress) x.counterpartyAddress = m.callbackAddress;
      },
    });
    this.background("answer request", `negotiation:${n.localPid}`, () => this.answerRequest(n.localPid));
    return this.negotiationAck(after);
  }

  /** POST negotiations/:providerPid/events: the consumer accepts our offer. */
  async receiveEventAsProvider(
    principal: Principal,
    providerPid: string,
    body: unknown,
  ): Promise<JsonObject> {
    const m = readMessage("ContractNegotiationEventMessage", body);
    const n = await this.negotiationFromCounterparty(principal, providerPid, m, "provider");
    const { after } = await this.moveNegotiation(n.localPid, {
      message: `ContractNegotiationEventMessage:${m.eventType}`,
      sender: "consumer",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
    });
    this.background("agree", `negotiation:${n.localPid}`, () => this.agree(n.localPid));
    return this.negotiationAck(after);
  }

  /**
   * POST negotiations/:providerPid/agreement/verification. With our extension the consumer's JWS over
   * the agreement is recorded in the registry first (a signature that does not verify is refused and
   * nothing moves); without it the negotiation stays VERIFIED until the consumer signs.
   */
  async receiveVerification(principal: Principal, providerPid: string, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractAgreementVerificationMessage", body);
    const n = await this.negotiationFromCounterparty(principal, providerPid, m, "provider");
    if (m.signature) {
      if (n.state !== "AGREED" || !n.agreementId) {
        negotiationTransition(n.state, "ContractAgreementVerificationMessage", "consumer");
      }
      await this.signAsCounterparty(n, m.signature);
    }
    const { after } = await this.moveNegotiation(n.localPid, {
      message: "ContractAgreementVerificationMessage",
      sender: "consumer",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
    });
    this.background("finalize", `negotiation:${n.localPid}`, async () => {
      await this.finalize(n.localPid);
    });
    return this.negotiationAck(after);
  }

  /**
   * Our extension (POST negotiations/:providerPid/agreement/signature): a consumer whose verification
   * carried no signature signs afterwards; FINALIZED follows when the agreement is final.
   */
  async receiveSignature(principal: Principal, providerPid: string, body: unknown): Promise<JsonObject> {
    const n = await this.negotiationFromCounterparty(principal, providerPid, {}, "provider");
    const o = (body ?? {}) as JsonObject;
    const jws = o[`https://w3id.org/learnpool/dsp/signature`] ?? o.signature;
    if (typeof jws !== "string" || !jws) throw new DspMessageError("signature is missing");
    if (n.state !== "VERIFIED" && n.state !== "AGREED") {
      throw new DspProtocolError(
        400,
        "InvalidStateTransition",
        `a signature is not expected in state ${n.state}`,
      );
    }
    await this.signAsCounterparty(n, jws);
    if (n.state === "VERIFIED") await this.finalize(n.localPid);
    return this.negotiationAck((await negotiations.get(this.db, n.localPid)) as Negotiation);
  }

  private async signAsCounterparty(n: Negotiation, jws: string): Promise<void> {
    if (!n.agreementId)
      throw new DspProtocolError(400, "NoAgreement", `negotiation ${n.localPid} has no agreement yet`);
    try {
      await this.options.agreements.sign(n.agreementId, n.counterparty, jws);
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new DspProtocolError(
        status === 409 ? 409 : 400,
        "SignatureRefused",
        `the consumer's signature is refused: ${(err as Error).message}`,
      );
    }
  }

  /** Provider: after a request, agree when it asks for our offer unchanged, else answer the counter-offer. */
  private async answerRequest(localPid: string): Promise<void> {
    const n = await negotiations.get(this.db, localPid);
    if (n?.state !== "REQUESTED" || !n.offerId) return;
    const offered = await this.options.offers.offer(n.offerId);
    if (!offered) {
      await this.terminate(n, "UnknownOffer", `offer ${n.offerId} is no longer offered`);
      return;
    }
    const refusal = await this.offerRefusal(n, n.offerId, offered);
    if (refusal) {
      await this.terminate(n, "PolicyDenied", refusal);
      return;
    }
    if (sameOffer(n.offer ?? {}, offered)) {
      await this.agree(localPid);
      return;
    }
    if ((this.options.counterOffers ?? "offer") === "terminate") {
      await this.terminate(n, "CounterOfferRefused", "this provider does not negotiate its offers");
      return;
    }
    const offer = { ...offered.policy, "@id": n.offerId, "@type": "Offer", target: offered.datasetId };
    await this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(n.consumerPid ?? "")}/offers`,
      "ContractOfferMessage",
      {
        providerPid: n.localPid,
        consumerPid: n.consumerPid ?? "",
        offer,
        callbackAddress: this.options.baseUrl,
      },
      "ContractOfferMessage",
      (x) => {
        x.offer = offer;
      },
    );
  }

  /** Why the policy refuses this consumer the offer, or undefined when it may go on; a failure refuses. */
  private async offerRefusal(
    n: Negotiation,
    offerId: string,
    offered: { providerId: string; datasetId: string },
  ): Promise<string | undefined> {
    const check = this.options.beforeAgreeing;
    if (!check) return undefined;
    try {
      const answer = await check({
        offerId,
        datasetId: offered.datasetId,
        providerId: offered.providerId,
        consumer: n.counterparty,
        negotiation: n.localPid,
      });
      return answer.permit ? undefined : answer.reason;
    } catch (err) {
      return `the policy decision failed: ${(err as Error).message}`;
    }
  }

  /** Provider: proposes the agreement in the registry, signs it, sends the ContractAgreementMessage. */
  private async agree(localPid: string): Promise<void> {
    const n = await negotiations.get(this.db, localPid);
    if (!n || (n.state !== "REQUESTED" && n.state !== "ACCEPTED") || !n.offerId) return;
    const offered = await this.options.offers.offer(n.offerId);
    if (!offered) {
      await this.terminate(n, "UnknownOffer", `offer ${n.offerId} is no longer offered`);
      return;
    }
    const registry = this.options.agreements;
    const provider = await registry.participants.get(n.participant);
    const consumer = await registry.participants.get(n.counterparty);
    const operator = await registry.participants.operator();
    if (!provider || !consumer || !operator) {
      const missing = !provider ? n.participant : !consumer ? n.counterparty : "the operator";
      await this.terminate(n, "UnknownParticipant", `${missing} is not a registered participant`);
      return;
    }
    const rules = policyRules(offered.policy);
    const policy: JsonObject = {
      // The offer's own context, so that its prefixed terms (dpv:, lp:) read the same in the agreement.
      "@context":
        (offered.policy["@context"] as JsonObject | string | undefined) ?? "http://www.w3.org/ns/odrl.jsonld",
      "@type": "Agreement",
      ...rules,
      target: offered.datasetId,
      assigner: provider.iri,
      assignee: consumer.iri,
    };
    const days = this.options.agreementDays ?? 365;
    const agreement = await registry.propose({
      proposedBy: n.counterparty,
      parties: [
        { participant: operator.id, role: "operator" },
        { participant: n.participant, role: "provider" },
        { participant: n.counterparty, role: "consumer" },
      ],
      offers: [n.offerId],
      policy,
      notAfter: new Date((this.options.clock?.() ?? new Date()).getTime() + days * 86_400_000).toISOString(),
    });
    // This side signs for the provider, and for the operator when it holds the operator's key; a
    // missing signature keeps the negotiation VERIFIED until it is given (see finalize).
    for (const party of [n.participant, operator.id]) {
      const jws = await this.options.signer?.(party, agreement.canonical);
      if (jws) await registry.sign(agreement.id, party, jws);
    }
    const dspAgreement: JsonObject = {
      "@id": agreement.id,
      "@type": "Agreement",
      ...rules,
      target: offered.datasetId,
      timestamp: agreement.createdAt,
      assigner: provider.iri,
      assignee: consumer.iri,
    };
    const message: MessageTypes["ContractAgreementMessage"] = {
      providerPid: n.localPid,
      consumerPid: n.consumerPid ?? "",
      agreement: dspAgreement,
      callbackAddress: this.options.baseUrl,
      agreementDigest: agreement.digest,
      agreementDocument: agreement.canonical,
    };
    await this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(n.consumerPid ?? "")}/agreement`,
      "ContractAgreementMessage",
      message,
      "ContractAgreementMessage",
      (x) => {
        x.agreementId = agreement.id;
        x.agreement = dspAgreement;
      },
    );
  }

  /**
   * Provider: sends FINALIZED when the negotiation is VERIFIED and the registry says every party has
   * signed. Returns the state the negotiation is in afterwards.
   */
  async finalize(localPid: string): Promise<NegotiationState> {
    const n = await negotiations.get(this.db, localPid);
    if (!n) throw new DspProtocolError(404, "NotFound", `no contract negotiation ${localPid}`);
    if (n.role !== "provider" || n.state !== "VERIFIED" || !n.agreementId) return n.state;
    const status = await this.options.agreements.status(n.agreementId);
    if (status.missing.length > 0 || !["final", "not-yet-valid"].includes(status.state)) return n.state;
    const after = await this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(n.consumerPid ?? "")}/events`,
      "ContractNegotiationEventMessage",
      { providerPid: n.localPid, consumerPid: n.consumerPid ?? "", eventType: "FINALIZED" },
      "ContractNegotiationEventMessage:FINALIZED",
    );
    return after.state;
  }

  // ---------------------------------------------------------------- negotiations: consumer side

  /** Starts a negotiation as the consumer `participant` on an offer of the provider at `providerAddress`. */
  async requestContract(input: {
    participant: string;
    /** The provider as known here: the store whose credential it calls our callbacks with. */
    counterparty: string;
    providerAddress: string;
    offer: JsonObject;
  }): Promise<Negotiation> {
    checkAddress(input.providerAddress, "providerAddress");
    if (typeof input.offer["@id"] !== "string") throw new DspMessageError("offer.@id is missing");
    const at = now();
    const n: Negotiation = {
      localPid: newPid(),
      role: "consumer",
      participant: input.participant,
      counterparty: input.counterparty,
      counterpartyAddress: input.providerAddress,
      state: "REQUESTED",
      offerId: input.offer["@id"],
      offer: input.offer,
      createdAt: at,
      updatedAt: at,
    };
    n.consumerPid = n.localPid;
    if (typeof input.offer.target === "string") n.datasetId = input.offer.target;
    const body = buildMessage("ContractRequestMessage", {
      consumerPid: n.localPid,
      offer: input.offer,
      callbackAddress: this.options.baseUrl,
    });
    // Written before it is sent: the provider's answer may arrive before its ACK does.
    await this.db.transaction(async (tx) => {
      await negotiations.insert(tx, n);
      await this.recordNegotiation(
        tx,
        n,
        { message: "ContractRequestMessage", direction: "sent", body, actor: SYSTEM },
        undefined,
      );
    });
    let reply: unknown;
    try {
      reply = (await this.client.post(input.providerAddress, "negotiations/request", body)).body;
    } catch (err) {
      await this.undo("negotiation", n.localPid, "REQUESTED", "TERMINATED", (err as Error).message);
      throw err;
    }
    const ack = readMessage("ContractNegotiation", reply);
    await this.db.transaction(
      async (tx) => {
        await tx.run(
          "UPDATE dsp_negotiations SET provider_pid = ? WHERE local_pid = ? AND provider_pid IS NULL",
          [ack.providerPid, n.localPid],
        );
      },
      { lock: `learnpool:dsp:${n.localPid}` },
    );
    return (await negotiations.get(this.db, n.localPid)) as Negotiation;
  }

  /** POST negotiations/offers: a provider starts a negotiation with an offer to our participant. */
  async receiveInitialOffer(principal: Principal, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractOfferMessage", body);
    if (m.consumerPid !== undefined)
      throw new DspMessageError("ContractOfferMessage: consumerPid must be absent when a negotiation starts");
    if (!m.callbackAddress) throw new DspMessageError("ContractOfferMessage: callbackAddress is missing");
    checkAddress(m.callbackAddress, "ContractOfferMessage: callbackAddress");
    const assignee = m.offer.assignee ?? m.offer["odrl:assignee"];
    const participant = typeof assignee === "string" ? assignee : undefined;
    if (!participant || !(await this.lrs.tenancy.getStore(participant))) {
      throw new DspMessageError(
        "ContractOfferMessage: offer.assignee must name a participant of this connector",
      );
    }
    const at = now();
    const n: Negotiation = {
      localPid: newPid(),
      role: "consumer",
      participant,
      counterparty: principal.storeId,
      providerPid: m.providerPid,
      counterpartyAddress: m.callbackAddress,
      state: negotiationTransition(undefined, "ContractOfferMessage", "provider"),
      offerId: String(m.offer["@id"]),
      offer: m.offer,
      createdAt: at,
      updatedAt: at,
    };
    n.consumerPid = n.localPid;
    if (typeof m.offer.target === "string") n.datasetId = m.offer.target;
    await this.db.transaction(async (tx) => {
      await negotiations.insert(tx, n);
      await this.recordNegotiation(
        tx,
        n,
        {
          message: "ContractOfferMessage",
          direction: "received",
          body: body as JsonObject,
          actor: principal.key,
        },
        undefined,
      );
    });
    return this.negotiationAck(n);
  }

  /** POST negotiations/:consumerPid/offers: the provider's counter-offer; the consumer decides (acceptOffer). */
  async receiveOffer(principal: Principal, consumerPid: string, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractOfferMessage", body);
    const n = await this.negotiationFromCounterparty(principal, consumerPid, m, "consumer");
    const { after } = await this.moveNegotiation(n.localPid, {
      message: "ContractOfferMessage",
      sender: "provider",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
      change: (x) => {
        x.offer = m.offer;
        x.providerPid ??= m.providerPid;
        if (typeof m.offer.target === "string") x.datasetId = m.offer.target;
      },
    });
    return this.negotiationAck(after);
  }

  /** POST negotiations/:consumerPid/agreement: the consumer checks it, then verifies (and signs). */
  async receiveAgreement(principal: Principal, consumerPid: string, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractAgreementMessage", body);
    const n = await this.negotiationFromCounterparty(principal, consumerPid, m, "consumer");
    for (const name of ["target", "timestamp", "assigner", "assignee"]) {
      if (
        m.agreement[name] === undefined &&
        m.agreement[`odrl:${name}`] === undefined &&
        m.agreement[`dspace:${name}`] === undefined
      ) {
        throw new DspMessageError(`ContractAgreementMessage: agreement.${name} is missing`);
      }
    }
    if (m.agreementDocument !== undefined && m.agreementDigest !== sha256(m.agreementDocument)) {
      throw new DspMessageError("ContractAgreementMessage: the agreement document does not match its digest");
    }
    const { after } = await this.moveNegotiation(n.localPid, {
      message: "ContractAgreementMessage",
      sender: "provider",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
      change: (x) => {
        x.agreementId = String(m.agreement["@id"]);
        x.agreement = m.agreement;
        x.providerPid ??= m.providerPid;
        if (m.callbackAddress) x.counterpartyAddress = m.callbackAddress;
      },
    });
    this.background("verify", `negotiation:${n.localPid}`, () =>
      this.verify(n.localPid, m.agreementDocument),
    );
    return this.negotiationAck(after);
  }

  /** Consumer: verifies the agreement, with our signature over its document when we can make one. */
  private async verify(localPid: string, canonical: string | undefined): Promise<void> {
    const n = await negotiations.get(this.db, localPid);
    if (n?.state !== "AGREED") return;
    let signature: string | undefined;
    if (canonical !== undefined) {
      const document = JSON.parse(canonical) as {
        id?: string;
        parties?: { participant: string; role: string }[];
      };
      if (document.id !== n.agreementId) {
        await this.terminate(n, "AgreementMismatch", "the agreement document is not the agreement sent");
        return;
      }
      // We sign as the consumer party the provider named (its id for us may differ from our store id).
      const consumer = document.parties?.find((p) => p.role === "consumer")?.participant;
      if (consumer) signature = await this.options.signer?.(consumer, canonical);
    }
    await this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(n.providerPid ?? "")}/agreement/verification`,
      "ContractAgreementVerificationMessage",
      { providerPid: n.providerPid ?? "", consumerPid: n.localPid, ...(signature ? { signature } : {}) },
      "ContractAgreementVerificationMessage",
    );
  }

  /** Consumer: accepts the provider's current offer. */
  async acceptOffer(principal: Principal | undefined, consumerPid: string): Promise<Negotiation> {
    const n = principal
      ? await this.ownedNegotiation(principal, consumerPid, "consumer")
      : await this.local(consumerPid);
    return this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(n.providerPid ?? "")}/events`,
      "ContractNegotiationEventMessage",
      { providerPid: n.providerPid ?? "", consumerPid: n.localPid, eventType: "ACCEPTED" },
      "ContractNegotiationEventMessage:ACCEPTED",
    );
  }

  /** POST negotiations/:consumerPid/events: FINALIZED from the provider. */
  async receiveEventAsConsumer(
    principal: Principal,
    consumerPid: string,
    body: unknown,
  ): Promise<JsonObject> {
    const m = readMessage("ContractNegotiationEventMessage", body);
    const n = await this.negotiationFromCounterparty(principal, consumerPid, m, "consumer");
    const { after } = await this.moveNegotiation(n.localPid, {
      message: `ContractNegotiationEventMessage:${m.eventType}`,
      sender: "provider",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
    });
    return this.negotiationAck(after);
  }

  /** POST negotiations/:pid/termination, on either side. */
  async receiveNegotiationTermination(principal: Principal, pid: string, body: unknown): Promise<JsonObject> {
    const m = readMessage("ContractNegotiationTerminationMessage", body);
    const local = await negotiations.get(this.db, pid);
    const role = local?.role ?? "provider";
    const n = await this.negotiationFromCounterparty(principal, pid, m, role);
    const { after } = await this.moveNegotiation(n.localPid, {
      message: "ContractNegotiationTerminationMessage",
      sender: role === "provider" ? "consumer" : "provider",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
    });
    return this.negotiationAck(after);
  }

  /** Ends a negotiation from this side (either role). */
  async terminateNegotiation(
    principal: Principal | undefined,
    pid: string,
    reason: string,
  ): Promise<Negotiation> {
    const n = principal ? await this.ownedNegotiation(principal, pid) : await this.local(pid);
    return this.terminate(n, "Terminated", reason);
  }

  private async terminate(n: Negotiation, code: string, reason: string): Promise<Negotiation> {
    const other = n.role === "provider" ? n.consumerPid : n.providerPid;
    return this.sendNegotiation(
      n,
      `negotiations/${encodeURIComponent(other ?? "")}/termination`,
      "ContractNegotiationTerminationMessage",
      { providerPid: n.providerPid ?? "", consumerPid: n.consumerPid ?? "", code, reason: [reason] },
      "ContractNegotiationTerminationMessage",
    );
  }

  private async local(pid: string): Promise<Negotiation> {
    const n = await negotiations.get(this.db, pid);
    if (!n) throw new DspProtocolError(404, "NotFound", `no contract negotiation ${pid}`);
    return n;
  }

  async negotiation(pid: string): Promise<Negotiation | undefined> {
    return negotiations.get(this.db, pid);
  }

  listNegotiations(filter: { participant?: string; counterparty?: string } = {}): Promise<Negotiation[]> {
    return negotiations.list(this.db, filter);
  }

  negotiationHistory(pid: string) {
    return history.of(this.db, "negotiation", pid);
  }

  // ---------------------------------------------------------------- transfers: shared steps

  private async moveTransfer(
    localPid: string,
    step: {
      message: TransferMessage;
      sender: Side;
      direction: "received" | "sent";
      body: JsonObject;
      actor: string;
      change?: (t: TransferProcessRecord) => void;
    },
  ): Promise<{ before: TransferState; after: TransferProcessRecord }> {
    return this.db.transaction(
      async (tx) => {
        const t = await transfers.get(tx, localPid);
        if (!t) throw new DspProtocolError(404, "NotFound", `no transfer process ${localPid}`);
        const before = t.state;
        t.state = transferTransition(t.state, step.message, step.sender);
        step.change?.(t);
        t.updatedAt = now();
        await transfers.update(tx, t);
        await this.recordTransfer(tx, t, step, before);
        return { before, after: t };
      },
      { lock: `learnpool:dsp:${localPid}` },
    );
  }

  private async recordTransfer(
    tx: Queryable,
    t: TransferProcessRecord,
    step: { message: string; direction: "received" | "sent"; body: JsonObject; actor: string },
    before: TransferState | undefined,
  ): Promise<void> {
    await history.append(tx, "transfer", t.localPid, {
      direction: step.direction,
      type: step.message,
      ...(before ? { stateBefore: before } : {}),
      stateAfter: t.state,
      body: redacted(step.body),
    });
    await this.lrs.audit.append(
      {
        actor: step.actor,
        action: `dsp.transfer.${step.direction}`,
        subject: `transfer:${t.localPid}`,
        details: {
          message: step.message,
          role: t.role,
          counterparty: t.counterparty,
          agreement: t.agreementId,
          from: before ?? null,
          to: t.state,
        },
      },
      tx,
    );
  }

  private transferAck(t: TransferProcessRecord): JsonObject {
    return buildMessage("TransferProcess", {
      providerPid: t.providerPid ?? "",
      consumerPid: t.consumerPid ?? "",
      state: t.state,
    });
  }

  private async ownedTransfer(principal: Principal, pid: string): Promise<TransferProcessRecord> {
    const t = await transfers.get(this.db, pid);
    if (!t || (t.counterparty !== principal.storeId && t.participant !== principal.storeId)) {
      throw new DspProtocolError(404, "NotFound", `no transfer process ${pid}`);
    }
    return t;
  }

  private async sendTransfer<T extends MessageType>(
    t: TransferProcessRecord,
    verb: string,
    type: T,
    fields: MessageTypes[T],
    message: TransferMessage,
    change?: (t: TransferProcessRecord) => void,
  ): Promise<TransferProcessRecord> {
    const body = buildMessage(type, fields);
    const address = t.counterpartyAddress;
    if (!address)
      throw new DspProtocolError(
        409,
        "NoAddress",
        `transfer ${t.localPid} has no address for its counterparty`,
      );
    const { before, after } = await this.moveTransfer(t.localPid, {
      message,
      sender: t.role,
      direction: "sent",
      body,
      actor: SYSTEM,
      ...(change ? { change } : {}),
    });
    const other = t.role === "provider" ? t.consumerPid : t.providerPid;
    try {
      await this.client.post(address, `transfers/${encodeURIComponent(other ?? "")}/${verb}`, body);
    } catch (err) {
      // A termination stands even when the counterparty cannot be told (the binding lets it ignore errors).
      if (message !== "TransferTerminationMessage") {
        await this.undo("transfer", t.localPid, after.state, before, (err as Error).message);
      }
      throw err;
    }
    return after;
  }

  // ---------------------------------------------------------------- transfers: provider side

  /** POST transfers/request: the consumer asks for the data of a finalized negotiation's agreement. */
  async receiveTransferRequest(principal: Principal, body: unknown): Promise<JsonObject> {
    const m = readMessage("TransferRequestMessage", body);
    checkAddress(m.callbackAddress, "TransferRequestMessage: callbackAddress");
    const again = await transfers.byRemote(this.db, "provider", principal.storeId, {
      consumerPid: m.consumerPid,
    });
    if (again) return this.transferAck(again); // idempotent on consumerPid, as the protocol asks
    if (m.format !== PULL_FORMAT) {
      throw new DspProtocolError(
        400,
        "UnsupportedFormat",
        `TransferRequestMessage: format ${m.format} is not served here (only ${PULL_FORMAT})`,
      );
    }
    const negotiation = (await negotiations.byAgreement(this.db, m.agreementId)).find(
      (n) => n.role === "provider" && n.counterparty === principal.storeId && n.state === "FINALIZED",
    );
    if (!negotiation) {
      throw new DspProtocolError(
        400,
        "UnknownAgreement",
        `TransferRequestMessage: agreementId ${m.agreementId} names no finalized agreement with this consumer`,
      );
    }
    const status = await this.options.agreements.status(m.agreementId);
    if (!status.valid)
      throw new DspProtocolError(403, "AgreementNotValid", `agreement ${m.agreementId}: ${status.reason}`);
    if (this.options.beforeTransfer) {
      const answer = await Promise.resolve(
        this.options.beforeTransfer({ agreementId: m.agreementId, consumer: principal.storeId }),
      ).catch((err: Error) => ({ permit: false, reason: `the policy decision failed: ${err.message}` }));
      if (!answer.permit) throw new DspProtocolError(403, "PolicyDenied", answer.reason);
    }
    const at = now();
    const t: TransferProcessRecord = {
      localPid: newPid(),
      role: "provider",
      participant: negotiation.participant,
      counterparty: principal.storeId,
      consumerPid: m.consumerPid,
      counterpartyAddress: m.callbackAddress,
      state: transferTransition(undefined, "TransferRequestMessage", "consumer"),
      agreementId: m.agreementId,
      format: m.format,
      createdAt: at,
      updatedAt: at,
    };
    t.providerPid = t.localPid;
    await this.db.transaction(async (tx) => {
      await transfers.insert(tx, t);
      await this.recordTransfer(
        tx,
        t,
        {
          message: "TransferRequestMessage",
          direction: "received",
          body: body as JsonObject,
          actor: principal.key,
        },
        undefined,
      );
    });
    this.background("start transfer", `transfer:${t.localPid}`, async () => {
      await this.startTransfer(undefined, t.localPid);
    });
    return this.transferAck(t);
  }

  /**
   * Provider: starts (or resumes) a transfer: a fresh bearer token, kept only as its hash, and the
   * DataAddress of our data endpoint sent to the consumer. Consumer: asks the provider to resume.
   */
  async startTransfer(principal: Principal | undefined, pid: string): Promise<TransferProcessRecord> {
    const t = principal ? await this.ownedTransfer(principal, pid) : await this.localTransfer(pid);
    if (t.role === "consumer") {
      return this.sendTransfer(
        t,
        "start",
        "TransferStartMessage",
        { providerPid: t.providerPid ?? "", consumerPid: t.localPid },
        "TransferStartMessage",
      );
    }
    const token = randomBytes(32).toString("base64url");
    const dataAddress: DataAddress = {
      endpointType: HTTP_ENDPOINT_TYPE,
      endpoint: resolve(this.options.baseUrl, `transfers/${encodeURIComponent(t.localPid)}/data`),
      endpointProperties: [
        { name: "authorization", value: token },
        { name: "authType", value: "bearer" },
      ],
    };
    return this.sendTransfer(
      t,
      "start",
      "TransferStartMessage",
      { providerPid: t.localPid, consumerPid: t.consumerPid ?? "", dataAddress },
      "TransferStartMessage",
      (x) => {
        x.tokenHash = sha256(token);
      },
    );
  }

  /**
   * GET transfers/:providerPid/data?cursor=…: one page of the provider store's statements, as stored,
   * as JSON lines. Before every page: the bearer token, the transfer STARTED, the agreement still valid
   * in the registry, and the enforcement hook. When the agreement no longer holds, the transfer is
   * terminated, the consumer told, and the page refused (403 with the reason).
   */
  async dataPage(
    providerPid: string,
    authorization: string | undefined,
    cursor: string | undefined,
  ): Promise<DataPage> {
    const t = await transfers.get(this.db, providerPid);
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
    if (t?.role !== "provider" || !t.tokenHash || !token || !sameHash(sha256(token), t.tokenHash)) {
      throw new DspProtocolError(
        401,
        "Unauthorized",
        "this data endpoint needs the bearer token of its transfer's DataAddress",
      );
    }
    if (t.state !== "STARTED") {
      throw new DspProtocolError(
        403,
        "TransferNotStarted",
        `transfer ${providerPid} is ${t.state}, not STARTED`,
      );
    }
    const refusal = await this.refusal(t.agreementId);
    if (refusal) {
      await this.terminateTransferFor(t, refusal);
      throw new DspProtocolError(403, refusal.code, refusal.reason);
    }
    const principal: Principal = {
      key: `dsp-transfer:${t.localPid}`,
      storeId: t.participant,
      scopes: new Set(["statements/read"]),
      authority: { objectType: "Agent", account: { homePage: "urn:learnpool:dsp", name: t.localPid } },
    } as Principal;
    const params: Record<string, string> = cursor
      ? { more: cursor }
      : { ascending: "true", limit: String(this.options.pageSize ?? 500) };
    const request = this.lrs.parseStatementsRequest(params, "2.0.0", []);
    const result = await this.lrs.fetchStatements(principal, request, "");
    const parsed = JSON.parse(result.json) as { statements: unknown[]; more?: string };
    const next = parsed.more
      ? (new URLSearchParams(parsed.more.split("?")[1] ?? "").get("more") ?? undefined)
      : undefined;
    return { lines: parsed.statements.map((s) => JSON.stringify(s)), ...(next ? { next } : {}) };
  }

  /**
   * Why data may not flow under the agreement now, or undefined when it may: AgreementNotValid when the
   * agreement no longer holds (expired, terminated, revoked), PolicyDenied when the policy decision (the
   * enforcement hook: a count exhausted…) refuses the page. `policy: false` asks the agreement only
   * (no decision taken, so no use counted).
   */
  private async refusal(
    agreementId: string,
    options: { policy?: boolean } = {},
  ): Promise<Refusal | undefined> {
    const status = await this.options.agreements
      .status(agreementId)
      .catch((err: Error) => ({ valid: false, reason: err.message }));
    if (!status.valid)
      return { code: "AgreementNotValid", reason: `agreement ${agreementId} is not valid: ${status.reason}` };
    if (options.policy === false) return undefined;
    const hook = await this.options.beforeTransferPage?.(agreementId);
    if (hook && !hook.permit) return { code: hook.code ?? "PolicyDenied", reason: hook.reason };
    return undefined;
  }

  private async terminateTransferFor(t: TransferProcessRecord, refusal: Refusal): Promise<void> {
    try {
      await this.sendTransfer(
        t,
        "termination",
        "TransferTerminationMessage",
        {
          providerPid: t.providerPid ?? "",
          consumerPid: t.consumerPid ?? "",
          code: refusal.code,
          reason: [refusal.reason],
        },
        "TransferTerminationMessage",
      );
    } catch (err) {
      // Terminated here whether or not the consumer heard it; a second request must not send it twice.
      if (!(err instanceof DspRemoteError) && !(err instanceof DspProtocolError && err.status === 400))
        throw err;
    }
  }

  // ---------------------------------------------------------------- transfers: consumer side

  /** Asks the provider of a finalized negotiation for its data (pull over HTTP). */
  async requestTransfer(input: { negotiationPid: string; format?: string }): Promise<TransferProcessRecord> {
    const n = await this.local(input.negotiationPid);
    if (n.role !== "consumer" || n.state !== "FINALIZED" || !n.agreementId || !n.counterpartyAddress) {
      throw new DspProtocolError(
        409,
        "NotFinalized",
        `negotiation ${n.localPid} is ${n.state}: a transfer needs a FINALIZED agreement held as consumer`,
      );
    }
    const at = now();
    const t: TransferProcessRecord = {
      localPid: newPid(),
      role: "consumer",
      participant: n.participant,
      counterparty: n.counterparty,
      counterpartyAddress: n.counterpartyAddress,
      state: "REQUESTED",
      agreementId: n.agreementId,
      format: input.format ?? PULL_FORMAT,
      createdAt: at,
      updatedAt: at,
    };
    t.consumerPid = t.localPid;
    const body = buildMessage("TransferRequestMessage", {
      consumerPid: t.localPid,
      agreementId: t.agreementId,
      format: t.format,
      callbackAddress: this.options.baseUrl,
    });
    await this.db.transaction(async (tx) => {
      await transfers.insert(tx, t);
      await this.recordTransfer(
        tx,
        t,
        { message: "TransferRequestMessage", direction: "sent", body, actor: SYSTEM },
        undefined,
      );
    });
    let reply: unknown;
    try {
      reply = (await this.client.post(n.counterpartyAddress, "transfers/request", body)).body;
    } catch (err) {
      await this.undo("transfer", t.localPid, "REQUESTED", "TERMINATED", (err as Error).message);
      throw err;
    }
    const ack = readMessage("TransferProcess", reply);
    await this.db.run(
      "UPDATE dsp_transfers SET provider_pid = ? WHERE local_pid = ? AND provider_pid IS NULL",
      [ack.providerPid, t.localPid],
    );
    return (await transfers.get(this.db, t.localPid)) as TransferProcessRecord;
  }

  /** POST transfers/:pid/start|completion|suspension|termination, on either side. */
  async receiveTransferMessage(
    principal: Principal,
    pid: string,
    verb: "start" | "completion" | "suspension" | "termination",
    body: unknown,
  ): Promise<JsonObject> {
    const type = (
      {
        start: "TransferStartMessage",
        completion: "TransferCompletionMessage",
        suspension: "TransferSuspensionMessage",
        termination: "TransferTerminationMessage",
      } as const
    )[verb];
    const m = readMessage(type, body) as {
      providerPid: string;
      consumerPid: string;
      dataAddress?: DataAddress;
    };
    const t = await transfers.get(this.db, pid);
    if (!t || t.counterparty !== principal.storeId)
      throw new DspProtocolError(404, "NotFound", `no transfer process ${pid}`);
    const ours = t.role === "provider" ? m.providerPid : m.consumerPid;
    if (ours !== t.localPid)
      throw new DspMessageError(`the message names ${t.role}Pid ${ours}, not ${t.localPid} of the path`);
    const { after } = await this.moveTransfer(t.localPid, {
      message: type,
      sender: t.role === "provider" ? "consumer" : "provider",
      direction: "received",
      body: body as JsonObject,
      actor: principal.key,
      change: (x) => {
        if (x.role === "consumer") x.providerPid ??= m.providerPid;
        if (x.role === "consumer" && m.dataAddress) x.dataAddress = m.dataAddress;
        // A provider's token dies with its transfer.
        if (x.role === "provider" && (x.state === "COMPLETED" || x.state === "TERMINATED"))
          delete x.tokenHash;
      },
    });
    return this.transferAck(after);
  }

  /** Completes, suspends or terminates a transfer from this side (either role). */
  async endTransfer(
    principal: Principal | undefined,
    pid: string,
    verb: "completion" | "suspension" | "termination",
    reason?: string,
  ): Promise<TransferProcessRecord> {
    const t = principal ? await this.ownedTransfer(principal, pid) : await this.localTransfer(pid);
    const pids = { providerPid: t.providerPid ?? "", consumerPid: t.consumerPid ?? "" };
    const drop = (x: TransferProcessRecord) => {
      if (x.role === "provider" && verb !== "suspension") delete x.tokenHash;
    };
    if (verb === "completion")
      return this.sendTransfer(t, verb, "TransferCompletionMessage", pids, "TransferCompletionMessage", drop);
    const fields = { ...pids, ...(reason ? { reason: [reason] } : {}) };
    if (verb === "suspension")
      return this.sendTransfer(t, verb, "TransferSuspensionMessage", fields, "TransferSuspensionMessage");
    return this.sendTransfer(
      t,
      verb,
      "TransferTerminationMessage",
      fields,
      "TransferTerminationMessage",
      drop,
    );
  }

  /** GET transfers/:pid. */
  async getTransfer(principal: Principal, pid: string): Promise<JsonObject> {
    return this.transferAck(await this.ownedTransfer(principal, pid));
  }

  /** Consumer: fetches one page from the provider's data endpoint with the token it was given. */
  async pull(consumerPid: string, cursor?: string): Promise<DataPage> {
    const t = await this.localTransfer(consumerPid);
    const endpoint = t.dataAddress?.endpoint;
    const token = endpointProperty(t.dataAddress, "authorization");
    if (t.role !== "consumer" || !endpoint || !token) {
      throw new DspProtocolError(
        409,
        "NoDataAddress",
        `transfer ${consumerPid} has no data address to pull from`,
      );
    }
    const url = cursor ? `${endpoint}?cursor=${encodeURIComponent(cursor)}` : endpoint;
    const response = await (this.options.fetch ?? fetch)(url, {
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    if (!response.ok) {
      // The provider's TransferError says why (the agreement, the policy): that is what the consumer reads.
      let reason = text.slice(0, 300);
      let body: unknown = text;
      try {
        body = JSON.parse(text);
        const r = (body as JsonObject).reason ?? (body as JsonObject)["dspace:reason"];
        if (r !== undefined) reason = (Array.isArray(r) ? r : [r]).map(String).join("; ");
        // The code says who refused: AgreementNotValid (the agreement) or PolicyDenied (the policy).
        const code = (body as JsonObject).code ?? (body as JsonObject)["dspace:code"];
        if (typeof code === "string" && code) reason = `${code}: ${reason}`;
      } catch {
        // not JSON: the text itself
      }
      throw new DspRemoteError(response.status, `GET ${endpoint}: ${response.status} ${reason}`, body);
    }
    const next = response.headers.get("learnpool-next-cursor") ?? undefined;
    return { lines: text.split("\n").filter((l) => l.length > 0), ...(next ? { next } : {}) };
  }

  private async localTransfer(pid: string): Promise<TransferProcessRecord> {
    const t = await transfers.get(this.db, pid);
    if (!t) throw new DspProtocolError(404, "NotFound", `no transfer process ${pid}`);
    return t;
  }

  async transfer(pid: string): Promise<TransferProcessRecord | undefined> {
    return transfers.get(this.db, pid);
  }

  listTransfers(
    filter: { participant?: string; counterparty?: string } = {},
  ): Promise<TransferProcessRecord[]> {
    return transfers.list(this.db, filter);
  }

  transferHistory(pid: string) {
    return history.of(this.db, "transfer", pid);
  }

  /**
   * Provider: terminates every running transfer under an agreement that no longer holds (called by
   * whoever terminates or revokes it; the data endpoint also finds out on its own at the next page).
   */
  async stopTransfersOf(agreementId: string): Promise<number> {
    // The agreement's status only: asking the policy here would count a use the consumer never made.
    const refusal = await this.refusal(agreementId, { policy: false });
    if (!refusal) return 0;
    let stopped = 0;
    for (const t of await transfers.byAgreement(this.db, agreementId)) {
      if (
        t.role !== "provider" ||
        (t.state !== "STARTED" && t.state !== "SUSPENDED" && t.state !== "REQUESTED")
      )
        continue;
      await this.terminateTransferFor(t, refusal);
      stopped++;
    }
    return stopped;
  }
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Callback and provider addresses: absolute http(s) URLs (https in production; http for local tests). */
function checkAddress(address: string, where: string): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new DspMessageError(`${where} is not a URL: ${address}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DspMessageError(`${where} must be an http(s) URL, not ${url.protocol}`);
  }
}

/** The rules of a policy, the part an agreement takes from the offer. */
function policyRules(policy: Record<string, unknown>): JsonObject {
  const rules: JsonObject = {};
  for (const [key, value] of Object.entries(policy)) {
    const k = key.replace(/^odrl:/, "");
    if (["permission", "prohibition", "obligation", "profile", "conflict"].includes(k)) rules[k] = value;
  }
  return rules;
}

/**
 * Whether a requested offer is the one offered: by reference only (`@id` alone), or with the same
 * rules and, when it names one, the same target. Anything else is a counter-offer.
 */
export function sameOffer(
  requested: JsonObject,
  offered: { datasetId: string; policy: Record<string, unknown> },
): boolean {
  const keys = Object.keys(requested).filter((k) => !["@id", "@type", "@context"].includes(k));
  if (keys.length === 0) return true;
  const target = requested.target ?? requested["odrl:target"];
  if (target !== undefined && comparablePolicy(target) !== comparablePolicy(offered.datasetId)) return false;
  return (
    JSON.stringify(sortKeys(comparablePolicy(policyRules(requested)))) ===
    JSON.stringify(sortKeys(comparablePolicy(policyRules(offered.policy))))
  );
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as JsonObject)
        .sort()
        .map((k) => [k, sortKeys((value as JsonObject)[k])]),
    );
  }
  return value;
}
