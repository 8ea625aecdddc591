/**
 * Deletion duties opened by a learner's withdrawal (or an expiry) of consent: the consent module's
 * notifier calls `openDeletionDuty` inside the transaction of the state change, once per withdrawal and
 * consumer. The duty is tracked like any other (`contract_duties`, migration 9): kind `deletion`,
 * assigned to the consumer, listed by GET /contract/duties, fulfilled through `PolicyEnforcement.fulfil`
 * with the usual signed deletion evidence (a JWS by the consumer over {agreement, duty, deletedAt,
 * deleted}, `evidence.ts`), violated by the sweep when it is not met in time.
 *
 * It has no transaction of its own: the duty and its `contract.duty.opened` audit event commit (or roll
 * back) with the withdrawal. The learner's pseudonym is never written here — the audit event and the
 * duty name the withdrawal, which leads to it for those allowed to know.
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../../audit/index.js";
import type { Queryable } from "../../store/index.js";
import { type AgreementDocument, policyOfDocument } from "../agreements/document.js";
import { durationMs } from "../odrl/evaluate.js";
import type { Rule } from "../odrl/parse.js";
import { ODRL } from "../odrl/vocab.js";
import { dueDateOf } from "./rules.js";
import { type DutyRecord, insertDuty } from "./tracking.js";

/**
 * The default time a consumer has to delete a withdrawn learner's data: 30 days. GDPR Art. 17(1) asks
 * erasure "without undue delay" and Art. 12(3) gives a controller one month to act on a data subject's
 * request; 30 days is that month, counted from the withdrawal, so that the consumer can answer the
 * learner within the legal time. An agreement whose own deletion duty falls due earlier wins.
 */
export const DEFAULT_WITHDRAWAL_GRACE_MS = 30 * 24 * 3600 * 1000;

/** A grace period from its ISO 8601 duration (P30D, P2W, PT72H): LEARNPOOL_CONSENT_DELETION_GRACE. */
export function withdrawalGraceMs(text: string): number {
  let ms: number;
  try {
    ms = durationMs(text);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(
      `the deletion grace period must be an ISO 8601 duration such as P30D, not '${text}'`,
    );
  return ms;
}

/** What opening a duty needs of the agreements registry (AgreementRegistry satisfies it). */
export interface WithdrawalDutyAgreements {
  get(
    id: string,
    q?: Queryable,
  ): Promise<
    | {
        id: string;
        document: Pick<AgreementDocument, "policy" | "id">;
        parties: ReadonlyArray<{ participant: string; role: string }>;
      }
    | undefined
  >;
}

export interface WithdrawalDutyInput {
  agreementId: string;
  consumer: string;
  /** The learner's pseudonym: what must be deleted. Not written by this service. */
  learner: string;
  reason: "withdrawn" | "expired" | "invalidated";
  /** The withdrawal's id (consent module): what the duty and the audit event name. */
  withdrawal: string;
  purposes: readonly string[];
  /** When the withdrawal took effect (ISO 8601). */
  at: string;
}

export interface WithdrawalDutyOptions {
  /** Time given to delete after the withdrawal (default 30 days, see DEFAULT_WITHDRAWAL_GRACE_MS). */
  graceMs?: number;
}

/** The earliest due date of the agreement's own deletion duties (ODRL delete with a dateTime bound). */
export function agreementDeletionDue(document: Pick<AgreementDocument, "policy" | "id">): string | undefined {
  const policy = policyOfDocument(document);
  let due: string | undefined;
  const walk = (rule: Rule) => {
    if (rule.actions.includes(`${ODRL}delete`)) {
      const d = dueDateOf(rule.constraints);
      if (d && (!due || d < due)) due = d;
    }
    for (const r of [...rule.duties, ...rule.consequences, ...rule.remedies]) walk(r);
  };
  for (const r of [...policy.permissions, ...policy.obligations, ...policy.prohibitions]) walk(r);
  return due;
}

/** The duty's IRI: one per withdrawal and consumer (contract_duties is UNIQUE per agreement and duty). */
export function withdrawalDutyIri(withdrawal: string, consumer: string): string {
  const id = withdrawal.startsWith("urn:uuid:") ? withdrawal.slice("urn:uuid:".length) : withdrawal;
  return `urn:learnpool:withdrawal:${encodeURIComponent(id)}:delete:${encodeURIComponent(consumer)}`;
}

/** Opens the consumers' deletion duties of withdrawals; satisfies consent's `DeletionDutyOpener`. */
export class WithdrawalDuties {
  readonly graceMs: number;

  constructor(
    private readonly audit: AuditLog,
    private readonly agreements: WithdrawalDutyAgreements,
    options: WithdrawalDutyOptions = {},
  ) {
    const grace = options.graceMs ?? DEFAULT_WITHDRAWAL_GRACE_MS;
    if (!Number.isFinite(grace) || grace < 0)
      throw new RangeError(`the deletion grace period must be a non-negative number of ms, not ${grace}`);
    this.graceMs = grace;
  }

  /**
   * Writes the duty with the caller's transaction `tx`: kind deletion, assigned to the consumer, due at
   * the earliest of the agreement's deletion deadline and `at` + the grace period; audited
   * `contract.duty.opened` in the same transaction. Returns its id, IRI and due date.
   */
  async openDeletionDuty(
    tx: Queryable,
    input: WithdrawalDutyInput,
  ): Promise<{ id: string; due: string | null; iri: string }> {
    const at = new Date(input.at);
    if (Number.isNaN(at.getTime())) throw new RangeError(`not a date-time: ${input.at}`);
    const agreement = await this.agreements.get(input.agreementId, tx);
    if (!agreement) throw new Error(`no agreement ${input.agreementId}`);
    if (!agreement.parties.some((p) => p.participant === input.consumer && p.role === "consumer"))
      throw new Error(`'${input.consumer}' is not a consumer of agreement ${input.agreementId}`);
    const graceDue = new Date(at.getTime() + this.graceMs).toISOString();
    const agreed = agreementDeletionDue(agreement.document);
    const due = agreed && agreed < graceDue ? agreed : graceDue;
    const iri = withdrawalDutyIri(input.withdrawal, input.consumer);
    const duty: DutyRecord = {
      id: randomUUID(),
      agreement: input.agreementId,
      duty: iri,
      kind: "deletion",
      action: `${ODRL}delete`,
      origin: input.withdrawal,
      assignee: input.consumer,
      due,
      state: "open",
      evidence: null,
      openedAt: input.at,
      closedAt: null,
    };
    await insertDuty(tx, duty, "system", `opened by consent ${input.reason} ${input.withdrawal}`);
    await this.audit.append(
      {
        actor: "system",
        action: "contract.duty.opened",
        subject: input.agreementId,
        details: {
          duty: duty.id,
          iri,
          kind: duty.kind,
          assignee: input.consumer,
          due,
          dueBy: due === graceDue ? "grace-period" : "agreement",
          withdrawal: input.withdrawal,
          reason: input.reason,
          purposes: [...input.purposes],
        },
      },
      tx,
    );
    return { id: duty.id, due, iri };
  }
}
