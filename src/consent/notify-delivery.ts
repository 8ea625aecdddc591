/**
 * The delivery worker of consent notifications: it claims due rows of the outbox
 * (`consent_notifications`, pending, next attempt reached, no live lease), POSTs each body to its
 * consumer's registered webhook with an HMAC-SHA256 signature header, and marks it acknowledged on a
 * 2xx; anything else (an error status, a redirect, a timeout, no webhook registered) is recorded as an
 * attempt and retried after an exponential backoff. The outbox lives in the database, so a restart
 * loses nothing: a row claimed by a worker that died is claimed again when its lease runs out.
 */
import type { Database } from "../store/index.js";
import type { ConsentNotifier } from "./notify.js";
import { SIGNATURE_HEADER, signWebhook } from "./notify-signature.js";

export interface DeliveryOptions {
  now?: () => Date;
  /** The HTTP client (default: the global fetch). */
  fetch?: typeof fetch;
  /** Delay before the second attempt; doubled after each failure. Default 1 s. */
  baseDelayMs?: number;
  /** The longest delay between attempts. Default 1 hour. */
  maxDelayMs?: number;
  /** Spread retries over [delay/2, delay] so that consumers coming back are not hit at once. Default true. */
  jitter?: boolean;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** How long a claimed row is a worker's before another may take it. Default 2 minutes. */
  leaseMs?: number;
  /** Rows claimed at once. Default 50. */
  batch?: number;
  /** How often a started worker looks for due rows. Default 1 s. */
  pollMs?: number;
}

export interface DeliveryRound {
  attempted: number;
  acknowledged: number;
  failed: number;
}

/** The delay after `failures` failed attempts (pure): base·2^(failures-1), capped. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number, random = 1): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(raw * random);
}

/** The outboxes delivered to participants' consent webhooks: same columns of state, attempts and lease. */
export type WebhookOutbox = "consent_notifications" | "dataset_notifications";

/**
 * Claims an outbox's due rows (pending, next attempt reached, no live lease) under a lease, so that
 * two workers never send the same row at once; returns the rows' `columns`.
 */
export async function claimDue<R>(
  db: Database,
  outbox: WebhookOutbox,
  columns: string,
  options: { now: Date; leaseMs?: number | undefined; batch?: number | undefined },
): Promise<R[]> {
  const at = options.now.toISOString();
  const until = new Date(options.now.getTime() + (options.leaseMs ?? 120_000)).toISOString();
  return db.transaction(
    async (tx) => {
      const rows = await tx.all<R & { id: string }>(
        `SELECT ${columns} FROM ${outbox} WHERE state = 'pending' AND next_attempt_at <= ?
           AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_attempt_at, id LIMIT ${Math.max(1, options.batch ?? 50)}`,
        [at, at],
      );
      for (const { id } of rows)
        await tx.run(`UPDATE ${outbox} SET lease_until = ? WHERE id = ?`, [until, id]);
      return rows;
    },
    { lock: `learnpool:${outbox}:delivery` },
  );
}

/**
 * POSTs one notification's body to a webhook, signed with its secret; never follows a redirect.
 * Returns the status and, unless a 2xx came back, why the attempt failed (no secret, no body).
 */
export async function postToWebhook(
  fetchFn: typeof fetch,
  hook: { url: string; secret: string },
  notification: { id: string; event: string; body: string },
  options: { now: Date; timeoutMs?: number | undefined },
): Promise<{ status: number | null; error: string | null }> {
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetchFn(hook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: signWebhook(hook.secret, notification.body, options.now),
        "learnpool-notification": notification.id,
        "learnpool-event": notification.event,
      },
      body: notification.body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    status = response.status;
    await response.body?.cancel().catch(() => undefined);
    if (status < 200 || status > 299) error = `the webhook answered ${status}`;
  } catch (err) {
    error = `the webhook could not be reached: ${(err as Error).name === "TimeoutError" ? "timeout" : (err as Error).message}`;
  }
  return { status, error };
}

/** Records a failed attempt: the next one after `delayMs`, the lease released. */
export async function scheduleRetry(
  db: Database,
  outbox: WebhookOutbox,
  id: string,
  attempt: { failures: number; at: Date; delayMs: number; status: number | null; error: string },
): Promise<void> {
  await db.run(
    `UPDATE ${outbox} SET attempts = ?, next_attempt_at = ?, lease_until = NULL, last_status = ?, last_error = ? WHERE id = ? AND state = 'pending'`,
    [
      attempt.failures,
      new Date(attempt.at.getTime() + attempt.delayMs).toISOString(),
      attempt.status,
      attempt.error,
      id,
    ],
  );
}

export class NotificationDelivery {
  private readonly now: () => Date;
  private readonly fetch: typeof fetch;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private again = false;

  constructor(
    private readonly db: Database,
    private readonly notifier: ConsentNotifier,
    private readonly options: DeliveryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.fetch = options.fetch ?? fetch;
  }

  private delayAfter(failures: number): number {
    const random = this.options.jitter === false ? 1 : 0.5 + Math.random() / 2;
    return backoffDelay(
      failures,
      this.options.baseDelayMs ?? 1000,
      this.options.maxDelayMs ?? 3_600_000,
      random,
    );
  }

  /** Claims the due rows under a lease, so that two workers never send the same row at once. */
  private async claim(): Promise<string[]> {
    const rows = await claimDue<{ id: string }>(this.db, "consent_notifications", "id", {
      now: this.now(),
      leaseMs: this.options.leaseMs,
      batch: this.options.batch,
    });
    return rows.map((r) => r.id);
  }

  /** One round: every due notification tried once. */
  async deliverDue(): Promise<DeliveryRound> {
    const ids = await this.claim();
    const round: DeliveryRound = { attempted: ids.length, acknowledged: 0, failed: 0 };
    await Promise.all(
      ids.map(async (id) => {
        if (await this.deliver(id)) round.acknowledged++;
        else round.failed++;
      }),
    );
    return round;
  }

  /** Sends one claimed notification; true when acknowledged. */
  private async deliver(id: string): Promise<boolean> {
    const notification = await this.notifier.notification(id);
    if (notification?.state !== "pending") return true;
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    // A secret that cannot be opened (sealed, no or another master key) is a failed attempt, with why.
    const hook = await this.notifier.webhook(notification.consumer).catch((err: Error) => {
      error = err.message;
      return undefined;
    });
    if (!hook) error ??= "no webhook registered";
    else {
      const body = await this.db.one<{ body: string }>(
        "SELECT body FROM consent_notifications WHERE id = ?",
        [id],
      );
      ({ status, error } = await postToWebhook(
        this.fetch,
        hook,
        { id, event: notification.body.type, body: body!.body },
        { now: this.now(), timeoutMs: this.options.timeoutMs },
      ));
    }
    const at = this.now();
    const durationMs = Date.now() - started;
    await this.db.run(
      "INSERT INTO consent_notification_attempts (notification_id, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?)",
      [id, at.toISOString(), status, error, durationMs],
    );
    if (error === null) {
      await this.notifier.acknowledge(id, "webhook", { status: status ?? 200, at });
      return true;
    }
    const failures = notification.attempts + 1;
    await scheduleRetry(this.db, "consent_notifications", id, {
      failures,
      at,
      delayMs: this.delayAfter(failures),
      status,
      error,
    });
    return false;
  }

  /** Delivers until nothing is due, or `timeoutMs` passed; returns the notifications still pending. */
  async drain(timeoutMs = 30_000): Promise<number> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.deliverDue();
      const next = await this.db.one<{ at: string | null; n: number }>(
        "SELECT MIN(next_attempt_at) AS at, COUNT(*) AS n FROM consent_notifications WHERE state = 'pending'",
      );
      const pending = Number(next?.n ?? 0);
      if (pending === 0 || !next?.at) return pending;
      const wait = Math.max(10, Date.parse(next.at) - this.now().getTime());
      if (Date.now() + wait > end) return pending;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Starts polling; `wake()` asks for a round now (after a withdrawal commits). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.deliverDue()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
          if (this.stopped) return;
          const soon = this.again;
          this.again = false;
          this.schedule(soon ? 0 : (this.options.pollMs ?? 1000));
        });
    }, ms);
    this.timer.unref?.();
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
