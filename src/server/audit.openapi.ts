/** The OpenAPI description of the audit trail's routes (src/server/audit.ts). */
import { basic, basicRefused, dateTime, error, int, json, obj, str } from "./openapi-parts.js";

const auditTag = ["Audit"];
const event = obj(
  {
    seq: int,
    at: dateTime,
    actor: str,
    action: str,
    subject: str,
    details: { type: "object" },
    prevHash: str,
    hash: str,
  },
  ["seq", "at", "actor", "action", "subject", "details", "prevHash", "hash"],
);

export const auditPaths = {
  "/audit/events": {
    get: {
      tags: auditTag,
      summary: "The audit trail's events, oldest first, a page at a time",
      description: "The operator's credential only.",
      security: basic,
      parameters: [
        {
          name: "after",
          in: "query",
          description: "Events after this sequence number (default 0)",
          schema: int,
        },
        {
          name: "limit",
          in: "query",
          description: "At most this many (default 100, at most 1000)",
          schema: int,
        },
      ],
      responses: {
        "200": {
          description: "A page of events; `next` is the `after` of the next page, null at the end",
          content: json(
            obj({ events: { type: "array", items: event }, next: { type: ["integer", "null"] } }, [
              "events",
              "next",
            ]),
          ),
        },
        "400": error("after or limit is not an integer in range"),
        "401": basicRefused,
        "403": error("Not a participant, or not the operator"),
      },
    },
  },
  "/audit/verify": {
    get: {
      tags: auditTag,
      summary: "Recomputes the audit trail's hash chain",
      description: "The operator's credential only. Reports the first event that does not hold.",
      security: basic,
      responses: {
        "200": {
          description: "The verification",
          content: json(
            obj({ ok: { type: "boolean" }, events: int, brokenAt: int, reason: str, head: str }, [
              "ok",
              "events",
            ]),
          ),
        },
        "401": basicRefused,
        "403": error("Not a participant, or not the operator"),
      },
    },
  },
};
