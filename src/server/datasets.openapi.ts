/**
 * The OpenAPI description of the pool's dataset versions (src/server/datasets.ts). Spread
 * `datasetPaths` into the document's paths.
 */

import { basic, basicRefused, dateTime, error, int, json, nullable, obj, str } from "./openapi-parts.js";

const forbidden = error("The credential's participant may not do this (its role, or its scope is not `all`)");
const ok = (description: string, schema: Record<string, unknown> = { type: "object" }) => ({
  description,
  content: json(schema),
});
const idParam = {
  name: "id",
  in: "path",
  required: true,
  description: "The version's id (urn:uuid:…)",
  schema: str,
};
const query = (name: string, description: string, schema: Record<string, unknown> = str) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});
const tags = ["datasets"];
const states = { type: "string", enum: ["current", "superseded", "deleted"] };

const version = obj({
  id: str,
  name: str,
  version: { type: "string", description: "MAJOR.MINOR.PATCH: 1.0.0, then 1.1.0… per dataset name" },
  agreement: str,
  consumer: { type: "string", description: "The consumer participant the agreement names" },
  merkleRoot: { type: "string", description: "The lineage's Merkle root over the records' hashes (hex)" },
  records: int,
  learners: int,
  purpose: nullable,
  specDigest: nullable,
  builtAt: dateTime,
  builtBy: str,
  recordedAt: dateTime,
  state: states,
  supersededAt: nullable,
  supersededReason: { type: ["string", "null"], description: "How many learners withdrew or expired" },
  deletedAt: nullable,
  deletionDigest: {
    type: ["string", "null"],
    description: "SHA-256 of the RFC 8785 form of the deletion evidence (the `deleted` event's `evidence`)",
  },
});
const file = obj({ path: str, sha256: str, bytes: int });
const detail = {
  allOf: [
    version,
    obj({
      dir: { type: "string", description: "Where the version lives on the server (operator only)" },
      files: { type: "array", items: file },
      summary: obj({
        consent: { type: "array", items: { type: "object" }, description: "Consent coverage per provider" },
        sources: { type: "array", items: { type: "object" } },
        labels: { type: ["object", "null"] },
        splits: { type: "object" },
        data: { type: "array", items: { type: "object" } },
      }),
      events: {
        type: "array",
        items: obj({
          seq: int,
          kind: { type: "string", enum: ["recorded", "downloaded", "superseded", "deleted"] },
          at: dateTime,
          actor: str,
          details: { type: "object" },
        }),
      },
      supersededBy: { type: ["object", "null"], properties: { id: str, version: str } },
    }),
  ],
};
const notification = obj({
  id: str,
  version: str,
  agreement: str,
  holder: str,
  event: { type: "string", enum: ["superseded"] },
  body: obj({
    type: { type: "string", enum: ["learnpool.dataset.superseded"] },
    id: str,
    version: str,
    name: str,
    number: str,
    agreement: str,
    at: dateTime,
    reason: str,
    learners: int,
    withdrawals: { type: "array", items: str, description: "The consent withdrawals (ids) behind it" },
  }),
  state: { type: "string", enum: ["pending", "acknowledged"] },
  attempts: int,
  nextAttemptAt: str,
  lastStatus: { type: ["integer", "null"] },
  lastError: nullable,
  createdAt: str,
  acknowledgedAt: nullable,
  acknowledgedBy: nullable,
});

export const datasetTag = {
  name: "datasets",
  description: "Pooled dataset versions: list, show, decided downloads, superseding and deletion",
};

export const datasetPaths = {
  "/datasets/versions": {
    get: {
      tags,
      summary: "Dataset versions the caller may see, newest first",
      description:
        "The operator sees every version, a consumer those built for it, a provider those of the agreements it is party to.",
      security: basic,
      parameters: [
        query("agreement", "Only under this agreement"),
        query("state", "Only in this state", states),
      ],
      responses: {
        "200": ok("The versions", obj({ versions: { type: "array", items: version } })),
        "400": error("A state that is not current, superseded or deleted"),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
  "/datasets/versions/{id}": {
    get: {
      tags,
      summary: "A version: files with SHA-256, lineage root, consent coverage, history, successor",
      security: basic,
      parameters: [idParam],
      responses: {
        "200": ok("The version", detail),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such version for the caller"),
      },
    },
  },
  "/datasets/versions/{id}/download": {
    post: {
      tags,
      summary: "Ask to download a version (the export-download decision, audited; one use counted)",
      description:
        "Only the consumer the agreement names, only while the version is current, only when the agreement's policy permits `distribute` for the build's purpose. A permit opens a one-hour window in which each file is fetched from its `url`. Needs scope `all`.",
      security: basic,
      parameters: [idParam],
      responses: {
        "200": ok(
          "Permitted: the decision and the files",
          obj({
            version: str,
            decision: obj({ decision: str, reason: str, at: dateTime }),
            until: dateTime,
            files: {
              type: "array",
              items: obj({ path: str, sha256: str, bytes: int, url: str }),
            },
          }),
        ),
        "401": basicRefused,
        "403": error("Not the agreement's consumer, or the decision point denied it (the reason says why)"),
        "404": error("No such version for the caller"),
        "410": error("The version was superseded (the error names its successor, if built) or deleted"),
      },
    },
  },
  "/datasets/versions/{id}/files/{path}": {
    get: {
      tags,
      summary: "One file of a version, under a permitted download (audited)",
      security: basic,
      parameters: [
        idParam,
        {
          name: "path",
          in: "path",
          required: true,
          description:
            "The file's path in the version, URL-encoded as one segment (data%2Ftrain-00000-of-00001.parquet)",
          schema: str,
        },
      ],
      responses: {
        "200": {
          description: "The file's bytes",
          headers: {
            "Repr-Digest": { schema: str, description: "RFC 9530: sha-256=:<base64>:" },
            "X-Content-SHA256": { schema: str, description: "The SHA-256 (hex) recorded for the file" },
          },
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        "400": error("Not a plain relative path"),
        "401": basicRefused,
        "403": error("No permitted download is open, or the agreement is no longer valid"),
        "404": error("No such version or file for the caller"),
        "409": error("The file on disk is not as recorded"),
        "410": error("The version was superseded or deleted"),
      },
    },
  },
  "/datasets/builds": {
    post: {
      tags,
      summary: "Build a dataset version from a spec and record it (operator; the build decision is audited)",
      description:
        "The body is the build spec (YAML or JSON, as `learnpool dataset build` reads it). The version is written under the server's datasets folder as `<name>/<version>`, whatever the spec's `output` says, and takes the dataset's next number. Needs scope `all`.",
      security: basic,
      requestBody: {
        required: true,
        content: { "application/yaml": { schema: str }, "application/json": { schema: { type: "object" } } },
      },
      responses: {
        "200": ok(
          "The recorded version and the build's counts",
          obj({ version, records: int, learners: int, splits: { type: "object" } }),
        ),
        "400": error(
          "The spec is invalid (every problem with its key path) or its name cannot name a folder",
        ),
        "401": basicRefused,
        "403": error("Not the operator, or the build decision was denied (the reason says why)"),
        "501": error("This server builds no datasets"),
      },
    },
  },
  "/datasets/sweep": {
    post: {
      tags,
      summary: "Supersede versions a learner withdrew from, delete those whose agreement ended (operator)",
      security: basic,
      responses: {
        "200": ok(
          "What the sweep did",
          obj({
            superseded: obj({ superseded: { type: "array", items: { type: "object" } }, notifications: int }),
            deleted: obj({
              deleted: {
                type: "array",
                items: obj({ id: str, name: str, version: str, digest: str, files: int }),
              },
              dutiesFulfilled: { type: "array", items: str },
              dutiesLeftOpen: { type: "array", items: str },
            }),
          }),
        ),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
  "/datasets/notifications": {
    get: {
      tags,
      summary: "Notifications to a version's holders (the caller's; the operator sees all)",
      security: basic,
      parameters: [
        query("state", "pending or acknowledged", { type: "string", enum: ["pending", "acknowledged"] }),
      ],
      responses: {
        "200": ok("The notifications", obj({ notifications: { type: "array", items: notification } })),
        "400": error("Bad state"),
        "401": basicRefused,
        "403": forbidden,
      },
    },
  },
  "/datasets/notifications/{id}/ack": {
    post: {
      tags,
      summary: "Acknowledge a notification (its holder; idempotent)",
      security: basic,
      parameters: [{ ...idParam, description: "The notification's id" }],
      responses: {
        "200": ok("The notification", obj({ notification })),
        "401": basicRefused,
        "403": forbidden,
        "404": error("No such notification for the caller"),
      },
    },
  },
};
