/**
 * The audit trail: an append-only, hash-chained log of administrative and policy events. Each event's
 * hash covers its content and the previous event's hash, so editing, deleting or reordering any event
 * breaks the chain from that point on, and `verify` says where.
 */
import { createHash } from "node:crypto";
import type { Database, Queryable } from "../store/index.js";

export interface AuditEvent {
  seq: number;
  at: string;
  /** Who acted: a credential key, `cli:<user>`, `system`. Never a secret or a learner's identifier. */
  actor: string;
  action: string;
  subject: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type NewAuditEvent = Pick<AuditEvent, "actor" | "action" | "subject"> & {
  details?: Record<string, unknown>;
};

export interface AuditVerification {
  ok: boolean;
  events: number;
  /** The first event whose hash or link does not hold, when the chain is broken. */
  brokenAt?: number;
  reason?: string;
  head?: string;
}

export const GENESIS_HASH = "0".repeat(64);

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The hash of an event: SHA-256 over a fixed, ordered serialization of its fields and the previous hash. */
export function eventHash(event: Omit<AuditEvent, "hash">): string {
  const material = JSON.stringify([
    event.seq,
    event.at,
    event.actor,
    event.action,
    event.subject,
    canonicalJson(event.details),
    event.prevHash,
  ]);
  return createHash("sha256").update(material).digest("hex");
}

/**
 * JSON with object keys sorted, so that the hash does not depend on key order. Like JSON.stringify,
 * it honours `toJSON` (dates) and writes an undefined, function or symbol as null in an array and
 * leaves it out of an object, so that what is stored always parses back to what was hashed.
 */
function canonicalJson(value: unknown): string {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (!isJsonValue(value)) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => isJsonValue(v))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

function isJsonValue(value: unknown): boolean {
  return value !== undefined && typeof value !== "function" && typeof value !== "symbol";
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  /** Appends an event; inside `tx` when given, so that the event commits with the change it records. */
  async append(event: NewAuditEvent, tx?: Queryable): Promise<AuditEvent> {
    const write = async (q: Queryable) => {
      const last = await q.one<{ seq: number; hash: string }>(
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
      );
      const base = {
        seq: (last ? Number(last.seq) : 0) + 1,
        at: new Date().toISOString(),
        actor: event.actor,
        action: event.action,
        subject: event.subject,
        details: event.details ?? {},
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const full: AuditEvent = { ...base, hash: eventHash(base) };
      await q.run(
        "INSERT INTO audit_events (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
          full.seq,
          full.at,
          full.actor,
          full.action,
          full.subject,
          canonicalJson(full.details),
          full.prevHash,
          full.hash,
        ],
      );
      return full;
    };
    // The chain needs one writer at a time: PostgreSQL serializes on an advisory lock.
    if (tx) {
      if (tx.dialect === "postgres")
        await tx.run("SELECT pg_advisory_xact_lock(hashtext(?))", ["learnpool:audit"]);
      return write(tx);
    }
    return this.db.transaction(write, { lock: "learnpool:audit" });
  }

  async list(options: { after?: number; limit?: number } = {}): Promise<AuditEvent[]> {
    const rows = await this.db.all<AuditRow>(
      "SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?",
      [options.after ?? 0, options.limit ?? 1000],
    );
    return rows.map(fromRow);
  }

  /** Recomputes the whole chain; reports the first event that does not hold. */
  async verify(): Promise<AuditVerification> {
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let count = 0;
    let after = 0;
    for (;;) {
      const rows = await this.db.all<AuditRow>(
        "SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 5000",
        [after],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const event = fromRow(row);
        if (event.seq !== expectedSeq) {
          return {
            ok: false,
            events: count,
            brokenAt: expectedSeq,
            reason: `event ${expectedSeq} is missing`,
          };
        }
        if (event.prevHash !== prevHash) {
          return {
            ok: false,
            events: count,
            brokenAt: event.seq,
            reason: "its link to the previous event is broken",
          };
        }
        if (eventHash(event) !== event.hash) {
          return {
            ok: false,
            events: count,
            brokenAt: event.seq,
            reason: "its content does not match its hash",
          };
        }
        prevHash = event.hash;
        expectedSeq++;
        count++;
        after = event.seq;
      }
    }
    return { ok: true, events: count, head: prevHash };
  }
}

function fromRow(row: AuditRow): AuditEvent {
  return {
    seq: Number(row.seq),
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
