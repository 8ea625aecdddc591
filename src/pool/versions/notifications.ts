/**
 * Notifications to a dataset version's holders (`dataset_notifications`, written by the registry in the
 * transaction that supersedes the version), delivered the way consent's notifications are: a POST to the
 * holder's registered consent webhook, signed with its secret (`Learnpool-Signature`), retried with
 * exponential backoff until a 2xx or an acknowledgement through the API. Consent's own outbox cannot
 * carry them: its rows belong to one withdrawal and consumer, and a superseded version may stand for
 * several withdrawals.
 */
import type { AuditLog } from "../../audit/index.js";
import { backoffDelay, claimDue, postToWebhook, scheduleRetry } from "../../consent/index.js";
import { whereSql } from "../../store/filters.js";
import type { Database } from "../../store/index.js";
import { VersionError } from "./registry.js";

/** Where a holder receives notifications (ConsentNotifier satisfies it: the consent webhook). */
export interface HolderWebhooks {
  webhook(participant: string): Promise<{ url: string; secret: string } | undefined>;
}

export interface DatasetNotification {
  id: string;
  version: string;
  agreement: string;
  holder: string;
  event: string;
  body: Record<string, unknown>;
  state: "pending" | "acknowledged";
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

interface Row {
  id: string;
  version_id: string;
  agreement_id: string;
  holder: string;
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
const COLUMNS =
  "id, version_id, agreement_id, holder, event, body, state, attempts, next_attempt_at, last_status, last_error, created_at, acknowledged_at, acknowledged_by";
const of = (r: Row): DatasetNotification => ({
  id: r.id,
  version: r.version_id,
  agreement: r.agreement_id,
  holder: r.holder,
  event: r.event,
  body: JSON.parse(r.body) as Record<string, unknown>,
  state: r.state as DatasetNotification["state"],
  attempts: Number(r.attempts),
  nextAttemptAt: r.next_attempt_at,
  lastStatus: r.last_status === null ? null : Number(r.last_status),
  lastError: r.last_error,
  createdAt: r.created_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
});

export interface DatasetDeliveryOptions {
  now?: () => Date;
  fetch?: typeof fetch;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  leaseMs?: number;
  batch?: number;
}

export class DatasetNotifications {
  private readonly now: () => Date;
  private readonly fetch: typeof fetch;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly webhooks: HolderWebhooks,
    private readonly options: DatasetDeliveryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.fetch = options.fetch ?? fetch;
  }

  async list(
    filter: { holder?: string; state?: "pending" | "acknowledged"; version?: string } = {},
  ): Promise<DatasetNotification[]> {
    const { sql, params } = whereSql({
      holder: filter.holder,
      state: filter.state,
      version_id: filter.version,
    });
    const rows = await this.db.all<Row>(
      `SELECT ${COLUMNS} FROM dataset_notifications ${sql} ORDER BY created_at, id LIMIT 1000`,
      params,
    );
    return rows.map(of);
  }

  /** Marks a notification acknowledged (by its holder through the API, or by the webhook's 2xx). Idempotent. */
  async acknowledge(id: string, by: string, options: { holder?: string; status?: number } = {}) {
    const row = await this.db.one<Row>(`SELECT ${COLUMNS} FROM dataset_notifications WHERE id = ?`, [id]);
    if (!row || (options.holder !== undefined && row.holder !== options.holder))
      throw new VersionError(404, `no dataset notification ${id}`);
    if (row.state === "acknowledged") return of(row);
    const at = this.now().toISOString();
    await this.db.transaction(async (tx) => {
      const changed = await tx.run(
        "UPDATE dataset_notifications SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, lease_until = NULL, last_status = COALESCE(?, last_status) WHERE id = ? AND state = 'pending'",
        [at, by, options.status ?? null, id],
      );
      if (changed.changes > 0)
        await this.audit.append(
          {
            actor: by === "webhook" ? "system" : by,
            action: "pool.notification.acknowledged",
            subject: row.agreement_id,
            details: { notification: id, version: row.version_id, holder: row.holder, by },
          },
          tx,
        );
    });
    return of((await this.db.one<Row>(`SELECT ${COLUMNS} FROM dataset_notifications WHERE id = ?`, [id]))!);
  }

  private claim(): Promise<Row[]> {
    return claimDue<Row>(this.db, "dataset_notifications", COLUMNS, {
      now: this.now(),
      leaseMs: this.options.leaseMs,
      batch: this.options.batch,
    });
  }

  /** One round: every due notification tried once. */
  async deliverDue(): Promise<{ attempted: number; acknowledged: number; failed: number }> {
    const rows = await this.claim();
    let acknowledged = 0;
    for (const row of rows) if (await this.deliver(row)) acknowledged++;
    return { attempted: rows.length, acknowledged, failed: rows.length - acknowledged };
  }

  private async deliver(row: Row): Promise<boolean> {
    let status: number | null = null;
    let error: string | null = null;
    const hook = await this.webhooks.webhook(row.holder).catch((err: Error) => {
      error = err.message;
      return undefined;
    });
    if (!hook) error ??= "no webhook registered";
    else
      ({ status, error } = await postToWebhook(
        this.fetch,
        hook,
        { id: row.id, event: `learnpool.dataset.${row.event}`, body: row.body },
        { now: this.now(), timeoutMs: this.options.timeoutMs },
      ));
    if (error === null) {
      await this.acknowledge(row.id, "webhook", { status: status ?? 200 });
      return true;
    }
    const failures = Number(row.attempts) + 1;
    await scheduleRetry(this.db, "dataset_notifications", row.id, {
      failures,
      at: this.now(),
      delayMs: backoffDelay(failures, this.options.baseDelayMs ?? 1000, this.options.maxDelayMs ?? 3_600_000),
      status,
      error,
    });
    return false;
  }

  /** Delivers due notifications every `pollMs` (default 1 s) until `stop()`; a round's failure waits for the next. */
  start(pollMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.deliverDue()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
        });
    }, pollMs);
    this.timer.unref?.();
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
