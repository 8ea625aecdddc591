/**
 * The OpenAPI description of the consent module's HTTP API (src/server/consent.ts). Spread
 * `consentPaths` into the document's paths and `consentSecuritySchemes` into
 * components.securitySchemes (the portal's bearer link).
 */

import { basic, basicRefused, error, errorBody, json, obj, str } from "./openapi-parts.js";

const linkRefused = {
  description:
    "No portal link, or one that is unsigned, forged, expired, from a revoked key or for another audience; `WWW-Authenticate: Bearer`",
  headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  content: errorBody,
};
const forbidden = error(
  "The credential's participant may not do this (its role, or not a party of the agreement)",
);
const portal = [{ portalLink: [] }];
const strings = { type: "array", items: str };
const body = (schema: Record<string, unknown>, required = true) => ({ required, content: json(schema) });
const query = (
  name: string,
  description: string,
  required = false,
  schema: Record<string, unknown> = str,
) => ({
  name,
  in: "query",
  required,
  description,
  schema,
});
const idParam = (description: string) => ({
  name: "id",
  in: "path",
  required: true,
  description,
  schema: str,
});
const ok = (description: string, schema: Record<string, unknown> = { type: "object" }) => ({
  description,
  content: json(schema),
});

const change = obj({
  record: str,
  event: { type: "string", enum: ["request", "give", "refuse", "withdraw", "expire", "invalidate"] },
  by: { type: "string", enum: ["learner", "guardian", "provider", "system"] },
  stateBefore: str,
  state: str,
  at: { type: "string", format: "date-time" },
  receipt: {
    type: "string",
    description: "Compact JWS (EdDSA) over the RFC 8785 form of the record's state",
  },
  receiptHash: str,
});
/** A portal change's answer: the changes, and a fresh link when the server holds the provider's key. */
const portalChanges = obj(
  {
    changes: { type: "array", items: change },
    next: {
      ...obj({ token: str, expiresAt: { type: "string", format: "date-time" } }, ["token", "expiresAt"]),
      description:
        "A fresh portal link for the same learner, agreement and role (a new one-use nonce, expiring no later than the link used); absent when the server does not hold the provider's signing key",
    },
  },
  ["changes"],
);
const portalRecord = obj({
  id: str,
  purpose: str,
  recipient: str,
  dataCategory: str,
  state: str,
  learnerGave: { type: ["boolean", "null"] },
  guardianGave: { type: ["boolean", "null"] },
  jointConsent: {
    type: "boolean",
    description: "The learner is a minor: the guardian's answer is needed too",
  },
  notice: { type: ["object", "null"] },
});
const notice = obj(
  {
    id: { type: "string", description: "urn:uuid made from the digest" },
    digest: {
      type: "string",
      description: "SHA-256 (hex) of the notice's RFC 8785 form without id and digest",
    },
    language: { type: "string", enum: ["fr", "en"] },
    audience: { type: "string", enum: ["learner", "guardian", "young-learner"] },
    title: str,
    purposes: { type: "array", items: obj({ iri: str, label: str, description: str }) },
    dataCategories: { type: "array", items: obj({ iri: str, label: str, description: str }) },
    sections: { type: "array", items: obj({ key: str, heading: str, paragraphs: strings, items: strings }) },
  },
  ["id", "digest", "language", "audience"],
);
const noticeFormats = {
  "200": {
    description: "The notice: JSON, or Markdown / HTML with every text escaped",
    content: {
      "application/json": { schema: notice },
      "text/markdown": { schema: str },
      "text/html": { schema: str },
    },
  },
};
const withdrawalRecords = body(
  obj({
    records: { ...strings, description: "Record ids" },
    purposes: { ...strings, description: "DPV purposes (`dpv:TrainAIModel` or IRIs)" },
  }),
  false,
);
const notification = obj({
  id: str,
  withdrawal: str,
  agreement: str,
  consumer: str,
  event: { type: "string", enum: ["withdrawn", "expired", "invalidated"] },
  body: obj({
    type: str,
    id: str,
    withdrawal: str,
    agreement: str,
    pseudonym: str,
    event: str,
    purposes: strings,
    at: { type: "string", format: "date-time" },
    deletionDuty: {
      type: ["object", "null"],
      description:
        "The deletion duty opened for the consumer (GET /contract/duties); fulfil it with signed deletion evidence naming `iri` as the duty",
      properties: { id: str, due: { type: ["string", "null"] }, iri: str },
    },
  }),
  state: { type: "string", enum: ["pending", "acknowledged"] },
  attempts: { type: "integer" },
  nextAttemptAt: str,
  lastStatus: { type: ["integer", "null"] },
  lastError: { type: ["string", "null"] },
  createdAt: str,
  acknowledgedAt: { type: ["string", "null"] },
  acknowledgedBy: { type: ["string", "null"] },
});
const latency = obj({
  completed: { type: "integer" },
  pending: { type: "integer" },
  medianMs: { type: ["integer", "null"] },
  p95Ms: { type: ["integer", "null"] },
  maxMs: { type: ["integer", "null"] },
});
const tags = (t: string) => [`consent: ${t}`];

export const consentSecuritySchemes = {
  portalLink: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWS",
    description:
      "The portal link a provider signed (EdDSA, typ learnpool-portal-link+jws) for one learner or guardian and one agreement; reading does not use it, each change uses it once.",
  },
};

export const consentPaths = {
  "/consent/jwks.json": {
    get: {
      tags: tags("operator"),
      summary: "The consent registry's public keys (JWKS) that verify receipts",
      security: [],
      responses: {
        "200": ok(
          "A JWKS (Ed25519 public keys)",
          obj({ keys: { type: "array", items: { type: "object" } } }),
        ),
      },
    },
  },
  "/consent/notices": {
    post: {
      tags: tags("provider"),
      summary: "Make and store the privacy notice of an agreement",
      security: basic,
      requestBody: body(
        obj(
          {
            agreement: str,
            lang: { type: "string", enum: ["fr", "en"] },
            audience: { type: "string", enum: ["learner", "guardian", "young-learner"] },
          },
          ["agreement"],
        ),
      ),
      responses: {
        "200": ok("The notice and its Markdown", obj({ notice, markdown: str })),
        "400": error("Bad input"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such agreement for the caller"),
        "422": error("The agreement states no purpose, or one or a data category a notice cannot name"),
      },
    },
  },
  "/consent/notices/{id}": {
    get: {
      tags: tags("provider"),
      summary: "A stored notice (to a party of its agreement, or with a portal link of that agreement)",
      security: [...basic, ...portal],
      parameters: [idParam("The notice's id"), query("format", "json (default), markdown or html")],
      responses: { ...noticeFormats, "401": basicRefused, "403": forbidden, "404": error("No such notice") },
    },
  },
  "/consent/requests": {
    post: {
      tags: tags("provider"),
      summary: "Ask a learner's consent (one record per purpose, recipient and data category)",
      description:
        "The notice is the one named (stored, of this agreement) or one issued now in `language` (the guardian's version when `age` says a minor). When this server holds the provider's signing key, the portal links for the learner (and the guardian when `link.guardian` is given) are returned.",
      security: basic,
      requestBody: body(
        obj(
          {
            agreement: str,
            learner: {
              type: "string",
              description: "The learner's pseudonym in the agreement's linkage domain",
            },
            notice: obj({ id: str, digest: str }),
            language: { type: "string", enum: ["fr", "en"] },
            jurisdiction: { type: "string", description: "ISO 3166-1 alpha-2, default FR" },
            purposes: strings,
            recipients: strings,
            dataCategories: strings,
            retention: { oneOf: [obj({ duration: str }, ["duration"]), obj({ until: str }, ["until"])] },
            storageLocations: strings,
            age: { oneOf: [obj({ adult: { const: true } }), obj({ birthYearMonth: str })] },
            link: obj({
              ttlSeconds: { type: "integer" },
              guardian: obj({
                pseudonym: str,
                relationship: { type: "string", enum: ["parent", "legal-guardian"] },
              }),
            }),
          },
          [
            "agreement",
            "learner",
            "purposes",
            "recipients",
            "dataCategories",
            "retention",
            "storageLocations",
          ],
        ),
      ),
      responses: {
        "201": ok(
          "Requested",
          obj({
            notice: obj({ id: str, digest: str }),
            changes: { type: "array", items: change },
            inForce: strings,
            links: { type: "array", items: obj({ role: str, token: str, url: str, expiresAt: str }) },
          }),
        ),
        "200": ok("Every record asked is in force already"),
        "400": error("Bad input (unknown purpose or category…)"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such agreement for the caller"),
        "409": error("The agreement is not in force"),
      },
    },
  },
  "/consent/links": {
    post: {
      tags: tags("provider"),
      summary: "Sign portal links for a learner (and a guardian) with the provider's key held here",
      security: basic,
      requestBody: body(
        obj(
          {
            agreement: str,
            learner: str,
            age: { type: "object" },
            ttlSeconds: { type: "integer" },
            guardian: { type: "object" },
          },
          ["agreement", "learner"],
        ),
      ),
      responses: {
        "201": ok(
          "The links",
          obj({ links: { type: "array", items: obj({ role: str, token: str, url: str, expiresAt: str }) } }),
        ),
        "400": error("Bad input"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such agreement for the caller"),
        "409": error("No signing key of this provider here: it signs its links itself"),
      },
    },
  },
  "/consent/status": {
    get: {
      tags: tags("provider"),
      summary: "A learner's records (the caller's own requests) and their states",
      security: basic,
      parameters: [query("learner", "The pseudonym", true), query("agreement", "Only this agreement")],
      responses: {
        "200": ok("The records"),
        "400": error("No learner"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such agreement"),
      },
    },
  },
  "/consent/cohort": {
    post: {
      tags: tags("provider"),
      summary: "The pseudonyms with valid consent under an agreement at an instant (what builds use)",
      security: basic,
      requestBody: body(
        obj({ agreement: str, at: str, purpose: str, dataCategory: str, recipient: str }, ["agreement"]),
      ),
      responses: {
        "200": ok(
          "The cohort",
          obj({ agreement: str, at: str, count: { type: "integer" }, learners: strings }),
        ),
        "400": error("Bad input"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such agreement"),
      },
    },
  },
  "/consent/portal": {
    get: {
      tags: tags("portal"),
      summary: "The link's learner's records under its agreement",
      security: portal,
      responses: {
        "200": ok(
          "The records and the link's role and expiry",
          obj({ agreement: str, role: str, expiresAt: str, records: { type: "array", items: portalRecord } }),
        ),
        "401": linkRefused,
        "403": forbidden,
      },
    },
  },
  "/consent/portal/notice": {
    get: {
      tags: tags("portal"),
      summary: "The notice shown with the request (or in another language)",
      security: portal,
      parameters: [
        query("format", "json (default), markdown or html"),
        query("lang", "fr or en"),
        query("audience", "learner, guardian or young-learner: the same agreement in other words"),
      ],
      responses: { ...noticeFormats, "401": linkRefused },
    },
  },
  "/consent/portal/give": {
    post: {
      tags: tags("portal"),
      summary: "Give consent (the records named, or every open request): one click",
      security: portal,
      requestBody: body(obj({ records: strings }), false),
      responses: {
        "200": ok("The changes and their receipts, and the next link", portalChanges),
        "401": linkRefused,
        "403": forbidden,
        "409": error("The link was used, or the transition is not allowed"),
      },
    },
  },
  "/consent/portal/refuse": {
    post: {
      tags: tags("portal"),
      summary: "Refuse consent (the records named, or every open request)",
      security: portal,
      requestBody: body(obj({ records: strings }), false),
      responses: {
        "200": ok("The changes and their receipts, and the next link", portalChanges),
        "401": linkRefused,
        "403": forbidden,
        "409": error("The link was used, or the transition is not allowed"),
      },
    },
  },
  "/consent/portal/withdraw": {
    post: {
      tags: tags("portal"),
      summary: "Withdraw consent: records, purposes, or everything in force — one click",
      description:
        "Names records and/or purposes (every record in force they match), or nothing for everything in force. One link makes one change: all the chosen records are withdrawn together, each with its event and receipt, or none is. Consumers are notified (webhook, retried until acknowledged), a deletion duty is opened for the data they hold (assigned to the consumer, due within the grace period or the agreement's deletion deadline, named in the notification), and the learner is out of every build that starts after it.",
      security: portal,
      requestBody: withdrawalRecords,
      responses: {
        "200": ok("The changes and their receipts, and the next link", portalChanges),
        "401": linkRefused,
        "403": forbidden,
        "409": error("Nothing in force to withdraw, or the link was used"),
      },
    },
  },
  "/consent/portal/history": {
    get: {
      tags: tags("portal"),
      summary: "Every event of the learner's records under the agreement",
      security: portal,
      responses: { "200": ok("The events"), "401": linkRefused },
    },
  },
  "/consent/portal/receipts": {
    get: {
      tags: tags("portal"),
      summary: "Download every receipt, with the JWKS that verifies them",
      security: portal,
      responses: { "200": ok("The receipts (attachment)"), "401": linkRefused },
    },
  },
  "/consent/webhook": {
    put: {
      tags: tags("consumer"),
      summary: "Register (or replace) the consumer's webhook; the HMAC secret is returned once",
      description:
        'Each notification is POSTed with `Learnpool-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; a 2xx acknowledges it, anything else is retried with exponential backoff.',
      security: basic,
      requestBody: body(
        obj({ url: { type: "string", format: "uri" }, secret: { type: "string", minLength: 16 } }, ["url"]),
      ),
      responses: {
        "200": ok(
          "Registered",
          obj({ participant: str, url: str, secret: str, registeredAt: str, registeredBy: str }),
        ),
        "400": error("Not an https URL, credentials in it, or a short secret"),
        "401": basicRefused,
        "403": forbidden,
      },
    },
    get: {
      tags: tags("consumer"),
      summary: "The consumer's webhook (never its secret)",
      security: basic,
      responses: {
        "200": ok("The webhook"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("None registered"),
      },
    },
  },
  "/consent/notifications": {
    get: {
      tags: tags("consumer"),
      summary: "The caller's notifications (the operator: anyone's)",
      security: basic,
      parameters: [
        query("state", "pending or acknowledged"),
        query("agreement", "Only this agreement"),
        query("consumer", "The operator's filter"),
        query("limit", "At most this many (default 100)", false, { type: "integer" }),
      ],
      responses: {
        "200": ok("The notifications", obj({ notifications: { type: "array", items: notification } })),
        "400": error("Bad filter"),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
  "/consent/notifications/{id}/ack": {
    post: {
      tags: tags("consumer"),
      summary: "Acknowledge a notification (instead of, or beside, the webhook's 2xx)",
      security: basic,
      parameters: [idParam("The notification's id")],
      responses: {
        "200": ok("Acknowledged", obj({ notification })),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such notification of the caller"),
      },
    },
  },
  "/consent/notifications/deliver": {
    post: {
      tags: tags("operator"),
      summary: "Run one delivery round now",
      security: basic,
      responses: {
        "200": ok(
          "What was attempted",
          obj({
            attempted: { type: "integer" },
            acknowledged: { type: "integer" },
            failed: { type: "integer" },
          }),
        ),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
  "/consent/withdrawals/{id}": {
    get: {
      tags: tags("consumer"),
      summary: "A withdrawal, its notifications and the time from it to the last acknowledgement",
      security: basic,
      parameters: [idParam("The withdrawal's id")],
      responses: {
        "200": ok("The withdrawal"),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such withdrawal for the caller"),
      },
    },
  },
  "/consent/latency": {
    get: {
      tags: tags("operator"),
      summary: "Withdrawal-to-last-acknowledgement times: count, median, p95, max",
      security: basic,
      parameters: [query("agreement", "Only this agreement")],
      responses: { "200": ok("The figures", latency), "401": basicRefused, "403": forbidden },
    },
  },
  "/consent/sweep": {
    post: {
      tags: tags("operator"),
      summary: "Expire what time has ended and ask learners who came of age (notifies consumers of expiries)",
      security: basic,
      responses: {
        "200": ok("Counts", obj({ expired: { type: "integer" }, requested: { type: "integer" } })),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
};
