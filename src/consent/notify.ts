/**
 * What a withdrawal or an expiry sets off, beyond the record's own state: the withdrawal is recorded
 * (table `consent_withdrawals`, which dataset builds consult), a deletion duty is opened for the data
 * each consumer of the agreement holds, and each consumer is notified — an audit event and an outbox
 * row (`consent_notifications`) written in the same transaction as the state change, then a signed
 * webhook POST delivered by `notify-delivery.ts` until the consumer acknowledges it. The time from
 * the withdrawal to the last acknowledgement is stored with the withdrawal.
 *
 * For module `pool` (not built yet): a learner is left out of every build that starts at or after a
 * withdrawal's `effectiveAt` by the core's cohort query; a dataset version built before it under the
 * same agreement and that includes the learner's pseudonym is flagged — `withdrawalsAffecting` answers
 * that question for a version's members and build time.
 */
import { randomUUID } from "node:crypto";
import type { AuditLog } from "../audit/index.js";
import { canonicalJson } from "../contract/index.js";
import type { Database, Queryable } from "../store/index.js";
import { newWebhookSecret } from "./notify-signature.js";
import type { ConsentChange, ConsentListener } from "./registry.js";

export class NotifyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "NotifyError";
  }
}

/** States in which data may have flowed to consumers (DPV ConsentStatusValidForProcessing). */
const VALID_BEFORE = new Set(["given", "renewed"]);

/** What the notifier reads of the core's `ConsentChange` (the listener's argument). */
export type ConsentStateChange = Pick<
  ConsentChange,
  "record" | "agreement" | "learner" | "event" | "stateBefore" | "state" | "at"
>;

/** Withdrawn by the learner (or guardian), expired (retention, agreement end), or found invalid. */
export type WithdrawalKind = "withdrawn" | "expired" | "invalidated";
const KINDS: ReadonlySet<string> = new Set<WithdrawalKind>(["withdrawn", "expired", "invalidated"]);

/** A learner's withdrawal (or expiry) under an agreement: what consumers are told and builds consult. */
export interface Withdrawal {
  id: string;
  agreementId: string;
  learner: string;
  kind: WithdrawalKind;
  purposes: string[];
  records: string[];
  effectiveAt: string;
  recordedAt: string;
  /** How many consumers are notified. */
  consumers: number;
  /** When the last consumer acknowledged, and how long after `effectiveAt` (ms). */
  completedAt: string | null;
  latencyMs: number | null;
}

/** The deletion duty opened for a consumer's copy of the learner's data. */
export interface OpenedDeletionDuty {
  id: string;
  due: string | null;
  /** The duty's IRI: what the consumer's signed deletion evidence names (`duty`). */
  iri?: string;
}

/**
 * What notifications need of enforcement (module contract) to open a deletion duty: one per withdrawal
 * and consumer, assigned to the consumer, due by the agreement's deletion terms, fulfilled with the
 * usual signed deletion evidence. Called inside the state change's transaction. Module contract's
 * `WithdrawalDuties` (contract/enforcement/withdrawal-duties.ts) implements it; without one,
 * notifications name no duty (`deletionDuty: null`).
 */
export interface DeletionDutyOpener {
  openDeletionDuty(
    tx: Queryable,
    input: {
      agreementId: string;
      consumer: string;
      /** The learner's pseudonym: what must be deleted. */
      learner: string;
      reason: WithdrawalKind;
      withdrawal: string;
      purposes: readonly string[];
      at: string;
    },
  ): Promise<OpenedDeletionDuty>;
}

/** What notifications need of the agreements registry (AgreementRegistry satisfies it). */
export interface NotifyAgreements {
  get(
    id: string,
    q?: Queryable,
  ): Promise<{ parties: ReadonlyArray<{ participant: string; role: string }> } | undefined>;
}

export type NotificationState = "pending" | "acknowledged";

/** The body POSTed to the consumer's webhook (and listed by the API). */
export interface NotificationBody {
  type: `learnpool.consent.${WithdrawalKind}`;
  id: string;
  withdrawal: string;
  agreement: string;
  pseudonym: string;
  event: WithdrawalKind;
  purposes: string[];
  at: string;
  deletionDuty: OpenedDeletionDuty | null;
}

export interface Notification {
  id: string;
  withdrawal: string;
  agreement: string;
  consumer: string;
  event: WithdrawalKind;
  body: NotificationBody;
  state: NotificationState;
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface Webhook {
  participant: string;
  url: string;
  registeredAt: string;
  registeredBy: string;
}

interface NotificationRow {
  id: string;
  withdrawal_id: string;
  agreement_id: string;
  consumer: string;
  event: string;
  body: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}
const NOTIFICATION_COLUMNS =
  "id, withdrawal_id, agreement_id, consumer, event, body, state, attempts, next_attempt_at, last_status, last_error, created_at, acknowledged_at, acknowledged_by";

export const notificationOf = (r: NotificationRow): Notification => ({
  id: r.id,
  withdrawal: r.withdrawal_id,
  agreement: r.agreement_id,
  consumer: r.consumer,
  event: r.event as WithdrawalKind,
  body: JSON.parse(r.body) as NotificationBody,
  state: r.state as NotificationState,
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
  createdAt: r.created_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
});

interface WithdrawalRow {
  id: string;
  agreement_id: string;
  learner: string;
  kind: string;
  effective_at: string;
  recorded_at: string;
  consumers: number;
  completed_at: string | null;
  latency_ms: number | null;
}
const WITHDRAWAL_COLUMNS =
  "id, agreement_id, learner, kind, effective_at, recorded_at, consumers, completed_at, latency_ms";
const withdrawalOf = (
  r: WithdrawalRow,
  records: ReadonlyArray<{ record_id: string; purpose: string }>,
): Withdrawal => ({
  id: r.id,
  agreementId: r.agreement_id,
  learner: r.learner,
  kind: r.kind as WithdrawalKind,
  purposes: [...new Set(records.map((x) => x.purpose))].sort(),
  records: records.map((x) => x.record_id).sort(),
  effectiveAt: r.effective_at,
  recordedAt: r.recorded_at,
  consumers: Number(r.consumers),
  completedAt: r.completed_at,
  latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
});

/** Checks a webhook URL: absolute http(s), no credentials in it. */
export function checkWebhookUrl(url: unknown, options: { allowHttp?: boolean } = {}): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new NotifyError(400, "the webhook url must be an absolute URL");
  }
  if (parsed.protocol !== "https:" && !(options.allowHttp && parsed.protocol === "http:"))
    throw new NotifyError(400, "the webhook url must use https");
  if (parsed.username || parsed.password)
    throw new NotifyError(400, "the webhook url must not carry credentials: the signature authenticates");
  return parsed.toString();
}

export interface NotifierOptions {
  now?: () => Date;
  /**
   * The master key that seals webhook secrets at rest (privacy's sealKey, bound to the participant);
   * default LEARNPOOL_MASTER_KEY(_FILE). Without one, secrets are stored as given (and said so here).
   */
  masterKey?: Buffer | (() => Buffer | undefined | Promise<Buffer | undefined>);
  deletionDuties?: DeletionDutyOpener;
  /** Accept http:// webhook URLs (tests, a consumer on the same host). Default false. */
  allowHttp?: boolean;
}

/** A webhook secret sealed under the master key is stored as this prefix and the base64 envelope. */
export const SEALED_SECRET_PREFIX = "sealed:v1:";
const WEBHOOK_BINDING = "learnpool:consent-webhook";

/**
 * The privacy module is loaded when a secret is first sealed or opened (as consent/keys.ts does): it is
 * kept out of the consent module's import-time graph.
 */
const privacy = () => import("../privacy/index.js");

export class ConsentNotifier {
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: NotifyAgreements,
    private readonly options: NotifierOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  private async master(): Promise<Buffer | undefined> {
    const m = this.options.masterKey;
    if (m === undefined) return (await privacy()).loadMasterKey();
    return typeof m === "function" ? await m() : m;
  }

  /** The secret as stored: sealed under the master key when there is one (bound to the participant). */
  private async sealSecret(participant: string, secret: string): Promise<string> {
    const master = await this.master();
    if (!master) return secret;
    const { sealKey } = await privacy();
    const sealed = sealKey(master, Buffer.from(secret, "utf8"), {
      domain: WEBHOOK_BINDING,
      keyId: participant,
    });
    return `${SEALED_SECRET_PREFIX}${sealed.toString("base64")}`;
  }

  /**
   * The secret in clear. A sealed secret needs the master key it was sealed under: without one, or with
   * another, it is refused (503) with the reason. A secret stored in clear (registered while no master
   * key was configured) is read as it is, and sealed at its next registration.
   */
  private async openSecret(participant: string, stored: string): Promise<string> {
    if (!stored.startsWith(SEALED_SECRET_PREFIX)) return stored;
    const master = await this.master();
    if (!master)
      throw new NotifyError(
        503,
        `the webhook secret of '${participant}' is sealed under the master key and no master key is configured (set LEARNPOOL_MASTER_KEY_FILE or LEARNPOOL_MASTER_KEY)`,
      );
    const { openKey } = await privacy();
    try {
      return openKey(master, Buffer.from(stored.slice(SEALED_SECRET_PREFIX.length), "base64"), {
        domain: WEBHOOK_BINDING,
        keyId: participant,
      }).toString("utf8");
    } catch {
      throw new NotifyError(
        503,
        `the webhook secret of '${participant}' cannot be opened: it was sealed under another master key (register the webhook again)`,
      );
    }
  }

  // ------------------------------------------------------------------ the hook

  /** The withdrawals opened in a transaction, by (agreement, learner, kind): later changes join them. */
  private readonly open = new WeakMap<Queryable, Map<string, string>>();

  /** The listener to register with the core: `registry.onChange(notifier.listener())`. */
  listener(): ConsentListener {
    return (change, tx) => this.onStateChange(tx, change).then(() => undefined);
  }

  /**
   * Called inside the transaction of a change. A record that leaves a valid state (given, renewed) for
   * withdrawn, expired or invalidated joins the withdrawal of its agreement, learner and kind opened
   * in the same transaction, or opens one: its deletion duties, one notification per consumer and an
   * audit event, committed (or rolled back) with the change. No network I/O here. Returns the
   * withdrawal's id, or undefined when the change is not one consumers are told of.
   */
  async onStateChange(tx: Queryable, change: ConsentStateChange): Promise<string | undefined> {
    if (!KINDS.has(change.state) || !VALID_BEFORE.has(change.stateBefore)) return undefined;
    const kind = change.state as WithdrawalKind;
    const purpose =
      (await tx.one<{ purpose: string }>("SELECT purpose FROM consent_records WHERE id = ?", [change.record]))
        ?.purpose ?? "";
    const key = JSON.stringify([change.agreement, change.learner, kind]);
    const opened = this.open.get(tx) ?? new Map<string, string>();
    this.open.set(tx, opened);
    const existing = opened.get(key);
    if (existing) {
      await this.join(tx, existing, change.record, purpose);
      return existing;
    }
    const id = await this.openWithdrawal(tx, change, kind, purpose);
    opened.set(key, id);
    return id;
  }

  /** A further record of a withdrawal opened in this transaction: its purpose joins the notifications. */
  private async join(tx: Queryable, withdrawalId: string, record: string, purpose: string): Promise<void> {
    await tx.run(
      "INSERT INTO consent_withdrawal_records (withdrawal_id, record_id, purpose) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      [withdrawalId, record, purpose],
    );
    const purposes = await this.purposesOf(tx, withdrawalId);
    const rows = await tx.all<{ id: string; body: string }>(
      "SELECT id, body FROM consent_notifications WHERE withdrawal_id = ?",
      [withdrawalId],
    );
    for (const row of rows) {
      const body = { ...(JSON.parse(row.body) as NotificationBody), purposes };
      await tx.run("UPDATE consent_notifications SET body = ? WHERE id = ?", [canonicalJson(body), row.id]);
    }
  }

  private async purposesOf(q: Queryable, withdrawalId: string): Promise<string[]> {
    const rows = await q.all<{ purpose: string }>(
      "SELECT DISTINCT purpose FROM consent_withdrawal_records WHERE withdrawal_id = ? ORDER BY purpose",
      [withdrawalId],
    );
    return rows.map((r) => r.purpose);
  }

  private async openWithdrawal(
    tx: Queryable,
    change: ConsentStateChange,
    kind: WithdrawalKind,
    purpose: string,
  ): Promise<string> {
    const agreement = await this.agreements.get(change.agreement, tx);
    const consumers = (agreement?.parties ?? [])
      .filter((p) => p.role === "consumer")
      .map((p) => p.participant);
    const recordedAt = this.now().toISOString();
    const effectiveAt = change.at;
    const id = `urn:uuid:${randomUUID()}`;
    await tx.run(
      `INSERT INTO consent_withdrawals (${WITHDRAWAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        change.agreement,
        change.learner,
        kind,
        effectiveAt,
        recordedAt,
        consumers.length,
        consumers.length === 0 ? recordedAt : null,
        consumers.length === 0 ? 0 : null,
      ],
    );
    await tx.run(
      "INSERT INTO consent_withdrawal_records (withdrawal_id, record_id, purpose) VALUES (?, ?, ?)",
      [id, change.record, purpose],
    );
    const notifications: Array<{ id: string; consumer: string; duty: string | null }> = [];
    for (const consumer of consumers) {
      const duty =
        (await this.options.deletionDuties?.openDeletionDuty(tx, {
          agreementId: change.agreement,
          consumer,
          learner: change.learner,
          reason: kind,
          withdrawal: id,
          purposes: [purpose],
          at: effectiveAt,
        })) ?? null;
      const notificationId = `urn:uuid:${randomUUID()}`;
      const body: NotificationBody = {
        type: `learnpool.consent.${kind}`,
        id: notificationId,
        withdrawal: id,
        agreement: change.agreement,
        pseudonym: change.learner,
        event: kind,
        purposes: [purpose],
        at: effectiveAt,
        deletionDuty: duty,
      };
      await tx.run(
        `INSERT INTO consent_notifications (id, withdrawal_id, agreement_id, consumer, event, body, deletion_duty, state, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)`,
        [
          notificationId,
          id,
          change.agreement,
          consumer,
          kind,
          canonicalJson(body),
          duty?.id ?? null,
          recordedAt,
          recordedAt,
        ],
      );
      notifications.push({ id: notificationId, consumer, duty: duty?.id ?? null });
    }
    // The learner's pseudonym stays out of this event: the withdrawal id leads to it.
    await this.audit.append(
      {
        actor: "system",
        action: "consent.withdrawal.notified",
        subject: change.agreement,
        details: { withdrawal: id, kind, effectiveAt, firstRecord: change.record, notifications },
      },
      tx,
    );
    return id;
  }

  // ------------------------------------------------------------------ webhooks

  /** Registers (or replaces) a consumer's webhook; returns the secret, shown once. */
  async registerWebhook(
    participant: string,
    input: { url: string; secret?: string },
    actor: string,
  ): Promise<Webhook & { secret: string }> {
    const url = checkWebhookUrl(input.url, { allowHttp: this.options.allowHttp ?? false });
    if (input.secret !== undefined && (typeof input.secret !== "string" || input.secret.length < 16))
      throw new NotifyError(400, "a webhook secret has at least 16 characters (or leave it out to get one)");
    const secret = input.secret ?? newWebhookSecret();
    const stored = await this.sealSecret(participant, secret);
    const at = this.now().toISOString();
    await this.db.transaction(
      async (tx) => {
        const had = await tx.one("SELECT participant FROM consent_webhooks WHERE participant = ?", [
          participant,
        ]);
        if (had)
          await tx.run(
            "UPDATE consent_webhooks SET url = ?, secret = ?, registered_at = ?, registered_by = ? WHERE participant = ?",
            [url, stored, at, actor, participant],
          );
        else
          await tx.run(
            "INSERT INTO consent_webhooks (participant, url, secret, registered_at, registered_by) VALUES (?, ?, ?, ?, ?)",
            [participant, url, stored, at, actor],
          );
        // A consumer that registers is worth trying again at once.
        await tx.run(
          "UPDATE consent_notifications SET next_attempt_at = ? WHERE consumer = ? AND state = 'pending'",
          [at, participant],
        );
        await this.audit.append(
          {
            actor,
            action: "consent.webhook.registered",
            subject: participant,
            details: { url, sealed: stored !== secret },
          },
          tx,
        );
      },
      { lock: `learnpool:consent:webhook:${participant}` },
    );
    return { participant, url, secret, registeredAt: at, registeredBy: actor };
  }

  async webhook(
    participant: string,
    q: Queryable = this.db,
  ): Promise<(Webhook & { secret: string }) | undefined> {
    const row = await q.one<{
      participant: string;
      url: string;
      secret: string;
      registered_at: string;
      registered_by: string;
    }>(
      "SELECT participant, url, secret, registered_at, registered_by FROM consent_webhooks WHERE participant = ?",
      [participant],
    );
    return (
      row && {
        participant: row.participant,
        url: row.url,
        secret: await this.openSecret(row.participant, row.secret),
        registeredAt: row.registered_at,
        registeredBy: row.registered_by,
      }
    );
  }

  // ------------------------------------------------------------------ notifications

  async notifications(
    filter: {
      consumer?: string;
      state?: NotificationState;
      agreement?: string;
      withdrawal?: string;
      limit?: number;
    } = {},
  ): Promise<Notification[]> {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.consumer !== undefined) {
      where.push("consumer = ?");
      params.push(filter.consumer);
    }
    if (filter.state !== undefined) {
      where.push("state = ?");
      params.push(filter.state);
    }
    if (filter.agreement !== undefined) {
      where.push("agreement_id = ?");
      params.push(filter.agreement);
    }
    if (filter.withdrawal !== undefined) {
      where.push("withdrawal_id = ?");
      params.push(filter.withdrawal);
    }
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    const rows = await this.db.all<NotificationRow>(
      `SELECT ${NOTIFICATION_COLUMNS} FROM consent_notifications ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, id LIMIT ${limit}`,
      params,
    );
    return rows.map(notificationOf);
  }

  async notification(id: string, q: Queryable = this.db): Promise<Notification | undefined> {
    const row = await q.one<NotificationRow>(
      `SELECT ${NOTIFICATION_COLUMNS} FROM consent_notifications WHERE id = ?`,
      [id],
    );
    return row && notificationOf(row);
  }

  /** The delivery attempts of a notification, oldest first. */
  async attempts(
    id: string,
  ): Promise<Array<{ at: string; status: number | null; error: string | null; durationMs: number }>> {
    const rows = await this.db.all<{
      at: string;
      status: number | null;
      error: string | null;
      duration_ms: number;
    }>(
      "SELECT at, status, error, duration_ms FROM consent_notification_attempts WHERE notification_id = ? ORDER BY seq",
      [id],
    );
    return rows.map((r) => ({
      at: r.at,
      status: r.status === null ? null : Number(r.status),
      error: r.error,
      durationMs: Number(r.duration_ms),
    }));
  }

  /**
   * Marks a notification acknowledged: by the webhook's 2xx (`by` = "webhook") or by the consumer
   * through the API. Idempotent; when it is the withdrawal's last, the withdrawal's completion and
   * latency are set. `consumer`, when given, must be the notification's.
   */
  async acknowledge(
    id: string,
    by: string,
    options: { consumer?: string; status?: number; at?: Date } = {},
  ): Promise<Notification> {
    const seen = await this.notification(id);
    if (!seen || (options.consumer !== undefined && seen.consumer !== options.consumer))
      throw new NotifyError(404, `no notification ${id}`);
    // Under the withdrawal's lock: of two last acknowledgements at once, one sees the other's.
    return this.db.transaction(
      async (tx) => {
        const current = (await this.notification(id, tx))!;
        if (current.state === "acknowledged") return current;
        const at = (options.at ?? this.now()).toISOString();
        await tx.run(
          "UPDATE consent_notifications SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, lease_until = NULL, last_status = COALESCE(?, last_status) WHERE id = ? AND state = 'pending'",
          [at, by, options.status ?? null, id],
        );
        await this.audit.append(
          {
            actor: by === "webhook" ? "system" : by,
            action: "consent.notification.acknowledged",
            subject: current.agreement,
            details: { notification: id, withdrawal: current.withdrawal, consumer: current.consumer, by },
          },
          tx,
        );
        await this.complete(tx, current.withdrawal, at);
        return (await this.notification(id, tx))!;
      },
      { lock: `learnpool:consent:withdrawal:${seen.withdrawal}` },
    );
  }

  /** Sets the withdrawal's completion when none of its notifications is pending any more. */
  private async complete(tx: Queryable, withdrawalId: string, at: string): Promise<void> {
    const pending = await tx.one<{ n: number }>(
      "SELECT COUNT(*) AS n FROM consent_notifications WHERE withdrawal_id = ? AND state = 'pending'",
      [withdrawalId],
    );
    if (Number(pending?.n ?? 0) > 0) return;
    const w = await tx.one<{ effective_at: string; completed_at: string | null }>(
      "SELECT effective_at, completed_at FROM consent_withdrawals WHERE id = ?",
      [withdrawalId],
    );
    if (!w || w.completed_at !== null) return;
    const last = await tx.one<{ at: string }>(
      "SELECT MAX(acknowledged_at) AS at FROM consent_notifications WHERE withdrawal_id = ?",
      [withdrawalId],
    );
    const completedAt = last?.at ?? at;
    const latency = Math.max(0, Date.parse(completedAt) - Date.parse(w.effective_at));
    await tx.run("UPDATE consent_withdrawals SET completed_at = ?, latency_ms = ? WHERE id = ?", [
      completedAt,
      latency,
      withdrawalId,
    ]);
  }

  // ------------------------------------------------------------------ withdrawals (what pool consults)

  async withdrawal(id: string): Promise<Withdrawal | undefined> {
    const row = await this.db.one<WithdrawalRow>(
      `SELECT ${WITHDRAWAL_COLUMNS} FROM consent_withdrawals WHERE id = ?`,
      [id],
    );
    return row && (await this.withRecords([row]))[0];
  }

  /** Withdrawals under an agreement (of one learner, when given), oldest first. */
  async withdrawals(filter: { agreement?: string; learner?: string; since?: string; limit?: number } = {}) {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.agreement !== undefined) {
      where.push("agreement_id = ?");
      params.push(filter.agreement);
    }
    if (filter.learner !== undefined) {
      where.push("learner = ?");
      params.push(filter.learner);
    }
    if (filter.since !== undefined) {
      where.push("effective_at >= ?");
      params.push(filter.since);
    }
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 1000), 1), 100_000);
    const rows = await this.db.all<WithdrawalRow>(
      `SELECT ${WITHDRAWAL_COLUMNS} FROM consent_withdrawals ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY effective_at, id LIMIT ${limit}`,
      params,
    );
    return this.withRecords(rows);
  }

  private async withRecords(rows: WithdrawalRow[]): Promise<Withdrawal[]> {
    const out: Withdrawal[] = [];
    for (const row of rows) {
      const records = await this.db.all<{ record_id: string; purpose: string }>(
        "SELECT record_id, purpose FROM consent_withdrawal_records WHERE withdrawal_id = ?",
        [row.id],
      );
      out.push(withdrawalOf(row, records));
    }
    return out;
  }

  /**
   * For module pool: the withdrawals that flag a dataset version built at `builtAt` under `agreementId`
   * with these members (pseudonyms): those of a member, effective after the build started.
   */
  async withdrawalsAffecting(
    agreementId: string,
    builtAt: string,
    members: readonly string[],
  ): Promise<Withdrawal[]> {
    const out: Withdrawal[] = [];
    for (let i = 0; i < members.length; i += 500) {
      const chunk = members.slice(i, i + 500);
      const rows = await this.db.all<WithdrawalRow>(
        `SELECT ${WITHDRAWAL_COLUMNS} FROM consent_withdrawals WHERE agreement_id = ? AND effective_at > ? AND learner IN (${chunk.map(() => "?").join(", ")}) ORDER BY effective_at, id`,
        [agreementId, builtAt, ...chunk],
      );
      out.push(...(await this.withRecords(rows)));
    }
    return out;
  }

  /** Latency figures over completed withdrawals: count, median, p95 and max (ms). */
  async latencyReport(filter: { agreement?: string } = {}) {
    const rows = await this.db.all<{ latency_ms: number }>(
      `SELECT latency_ms FROM consent_withdrawals WHERE completed_at IS NOT NULL AND consumers > 0 ${filter.agreement ? "AND agreement_id = ?" : ""} ORDER BY latency_ms`,
      filter.agreement ? [filter.agreement] : [],
    );
    const v = rows.map((r) => Number(r.latency_ms));
    const pending = await this.db.one<{ n: number }>(
      `SELECT COUNT(*) AS n FROM consent_withdrawals WHERE completed_at IS NULL ${filter.agreement ? "AND agreement_id = ?" : ""}`,
      filter.agreement ? [filter.agreement] : [],
    );
    const at = (q: number) => (v.length ? v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]! : null);
    return {
      completed: v.length,
      pending: Number(pending?.n ?? 0),
      medianMs: at(0.5),
      p95Ms: at(0.95),
      maxMs: v.length ? v[v.length - 1]! : null,
    };
  }
}
