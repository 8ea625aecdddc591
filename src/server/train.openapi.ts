/**
 * The OpenAPI description of training jobs (src/server/train.ts). Spread `trainPaths` into the
 * document's paths and add `trainTag` to its tags.
 */

import { basic, basicRefused, dateTime, error, int, json, nullable, obj, str } from "./openapi-parts.js";

const tags = ["train"];
const states = { type: "string", enum: ["queued", "running", "succeeded", "failed", "refused"] };
const idParam = {
  name: "id",
  in: "path",
  required: true,
  description: "The job's id (urn:uuid:…), URL-encoded",
  schema: str,
};

const job = obj({
  id: str,
  agreement: str,
  version: { type: "string", description: "The dataset version trained on" },
  consumer: str,
  submittedBy: str,
  purpose: { type: ["string", "null"], description: "The purpose admission was asked for" },
  state: states,
  reason: { type: ["string", "null"], description: "Why it was refused or failed" },
  progress: obj({ stage: nullable, fraction: { type: "number", minimum: 0, maximum: 1 } }),
  submittedAt: dateTime,
  startedAt: nullable,
  finishedAt: nullable,
});
const artefact = obj({
  name: str,
  kind: { type: "string", enum: ["model", "metrics", "picture", "card"] },
  path: str,
  sha256: str,
  bytes: int,
  mediaType: str,
  released: { type: "boolean" },
  reason: { type: ["string", "null"], description: "Why it is withheld; null when released" },
});
const detail = {
  allOf: [
    job,
    obj({
      spec: { type: "object", description: "The job spec as checked, with its defaults" },
      specDigest: str,
      artefacts: {
        type: "array",
        items: artefact,
        description: "Each file with its verdict (the consumer only; a provider sees none)",
      },
      release: {
        type: ["object", "null"],
        properties: {
          outcome: { type: "string", enum: ["released", "partial", "withheld"] },
          decision: { type: ["object", "null"], description: "The model-release decision" },
          gate: { type: "object", description: "What the release gate measured and decided on" },
          withheld: { type: "array", items: obj({ name: str, reason: str }) },
        },
      },
      withdrawalsAfterTraining: {
        type: "array",
        items: obj({ withdrawal: str, recordedAt: dateTime }),
        description: "Consent withdrawals of the version's learners after training (ids only)",
      },
      events: {
        type: "array",
        items: obj({ seq: int, kind: str, at: dateTime, actor: str, details: { type: "object" } }),
      },
      result: { type: "object", description: "The raw evaluation (the operator only)" },
      dir: { type: "string", description: "The job's folder on the server (the operator only)" },
    }),
  ],
};

export const trainTag = {
  name: "train",
  description: "Training jobs in the trusted environment: admission, limits, progress, gated release",
};

export const trainPaths = {
  "/train/jobs": {
    post: {
      tags,
      summary: "Submit a training job on a dataset version (a consumer)",
      description:
        "The body is the job spec (YAML or JSON; see the README). The decision point decides `training-admission` (purpose, count of runs): a permit queues the job and starts it (202), a denial records it refused (403, with the job).",
      security: basic,
      requestBody: {
        required: true,
        content: { "application/yaml": { schema: str }, "application/json": { schema: { type: "object" } } },
      },
      responses: {
        "202": { description: "Admitted and queued", content: json(obj({ job })) },
        "400": error(
          "The spec is invalid (every problem with its key path), or the version has no such view",
        ),
        "401": basicRefused,
        "403": {
          description: "Not a consumer, scope not `all`, or admission denied (the refused job is returned)",
          content: json(obj({ error: { $ref: "#/components/schemas/Error" }, job })),
        },
        "404": error("No such version for this consumer"),
      },
    },
    get: {
      tags,
      summary: "Training jobs the caller may see, newest first",
      security: basic,
      parameters: [
        { name: "state", in: "query", required: false, schema: states },
        { name: "version", in: "query", required: false, schema: str },
      ],
      responses: {
        "200": { description: "The jobs", content: json(obj({ jobs: { type: "array", items: job } })) },
        "400": error("Unknown state"),
        "401": basicRefused,
      },
    },
  },
  "/train/jobs/{id}": {
    get: {
      tags,
      summary: "A training job: state, progress, release outcome, artefacts' verdicts, history",
      security: basic,
      parameters: [idParam],
      responses: {
        "200": { description: "The job", content: json(detail) },
        "401": basicRefused,
        "404": error("No such job the caller may see"),
      },
    },
  },
  "/train/jobs/{id}/artifacts/{name}": {
    get: {
      tags,
      summary: "A released artefact of a job (its consumer only)",
      description:
        "Served with its SHA-256 in `Repr-Digest` and `X-Content-SHA256`, once its bytes are checked against the record. Each artefact served is audited.",
      security: basic,
      parameters: [
        idParam,
        {
          name: "name",
          in: "path",
          required: true,
          description: "The artefact's name (README.md, model.onnx…)",
          schema: str,
        },
      ],
      responses: {
        "200": {
          description: "The file",
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        "401": basicRefused,
        "403": error("The artefact is withheld (the reason says why)"),
        "404": error("No such job for this consumer, or no such artefact"),
        "409": error("The file is not as recorded"),
      },
    },
  },
};
