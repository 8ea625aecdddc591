/**
 * HTTP wiring of the audit trail (module `audit`), under `/audit/`, for the operator only (HTTP Basic,
 * a credential of the operator participant's store): the events a page at a time, oldest first, and
 * the verification of the whole hash chain, as `learnpool audit list` and `audit verify` do. Events
 * name pseudonyms and agreements, never identifiers in clear; they are not logged here either.
 */
import type { FastifyInstance } from "fastify";
import type { Participant } from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import { guarded, HttpError, participantOf, statusRefusal } from "./auth.js";

export const AUDIT_BASE = "/audit";
/** The largest page of events one call returns. */
export const AUDIT_PAGE_MAX = 1000;

export function registerAuditRoutes(
  app: FastifyInstance,
  lrs: Lrs,
  participants: { get(id: string): Promise<Participant | undefined> },
): void {
  const handle = guarded((err) => statusRefusal(err, HttpError));
  const route = { schema: { hide: true } };
  const operator = async (request: Parameters<typeof participantOf>[2]) => {
    const who = await participantOf(lrs, participants, request);
    if (who.role !== "operator") throw new HttpError(403, "the audit trail is the operator's to read");
    return who;
  };
  const count = (value: string | undefined, what: string, fallback: number, max: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0 || n > max)
      throw new HttpError(400, `${what} must be an integer from 0 to ${max}`);
    return n;
  };

  app.get(
    `${AUDIT_BASE}/events`,
    route,
    handle(async (request) => {
      await operator(request);
      const q = request.query as { after?: string; limit?: string };
      const after = count(q.after, "after", 0, Number.MAX_SAFE_INTEGER);
      const limit = count(q.limit, "limit", 100, AUDIT_PAGE_MAX) || 1;
      // One more than asked tells whether a next page exists.
      const events = await lrs.audit.list({ after, limit: limit + 1 });
      const page = events.slice(0, limit);
      return { events: page, next: events.length > limit ? (page.at(-1)?.seq ?? null) : null };
    }),
  );

  app.get(
    `${AUDIT_BASE}/verify`,
    route,
    handle(async (request) => {
      await operator(request);
      return lrs.audit.verify();
    }),
  );
}
