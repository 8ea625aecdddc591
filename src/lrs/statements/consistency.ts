import { nextStoredMs } from "./clock.js";

/**
 * X-Experience-API-Consistent-Through: every statement stored at or before this instant is visible to
 * queries. A write in flight in this process will store instants no earlier than when it started, so it
 * holds the instant back to just before its start; and statements of one millisecond share their
 * instant, so the current millisecond is never vouched for: a client polling with
 * `since = consistent-through` then never misses a statement stored later in the same millisecond.
 * (With several server processes on one PostgreSQL, each knows only its own writes.)
 */
export class WriteTracker {
  private readonly inFlight = new Map<number, number>();
  private nextToken = 1;

  async track<T>(write: () => Promise<T>): Promise<T> {
    const token = this.nextToken++;
    this.inFlight.set(token, nextStoredMs());
    try {
      return await write();
    } finally {
      this.inFlight.delete(token);
    }
  }

  consistentThrough(): Date {
    let oldest = Number.POSITIVE_INFINITY;
    for (const ms of this.inFlight.values()) oldest = Math.min(oldest, ms);
    return new Date(Math.min(nextStoredMs() - 1, oldest - 1));
  }
}
