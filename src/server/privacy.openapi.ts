/** The OpenAPI description of the OPRF pseudonymization service (src/server/privacy.ts). */
const error = {
  description: "Refused",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};
const domainId = {
  name: "id",
  in: "path",
  required: true,
  description: "The linkage domain's id",
  schema: { type: "string" },
};
const base64 = { type: "string", contentEncoding: "base64" };

export const privacyPaths = {
  "/privacy/domains/{id}/oprf-key": {
    get: {
      summary: "The OPRF public key of a linkage domain",
      description:
        "The key providers verify the service's proofs against (RFC 9497, verifiable mode, suite ristretto255-SHA512). Public.",
      security: [],
      parameters: [
        domainId,
        {
          name: "keyId",
          in: "query",
          description: "A retired key's id (default: the current key)",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "The public key",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["domain", "iri", "suite", "keyId", "publicKey"],
                properties: {
                  domain: { type: "string" },
                  iri: {
                    type: "string",
                    format: "iri",
                    description: "homePage of the domain's pseudonymous accounts",
                  },
                  suite: { type: "string", enum: ["ristretto255-SHA512"] },
                  keyId: { type: "string" },
                  publicKey: base64,
                },
              },
            },
          },
        },
        "404": error,
      },
    },
  },
  "/privacy/domains/{id}/oprf": {
    post: {
      summary: "Evaluate blinded elements under a linkage domain's OPRF key",
      description:
        "For a credential of a store that is a member of the domain. The service never sees an identifier: the provider blinds `purpose ‖ 0x00 ‖ identifier`, and verifies the batched DLEQ proof before unblinding. Rate-limited per store (token bucket, identifiers per hour); every batch is written to the audit trail (store, domain, count).",
      parameters: [domainId],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["blinded"],
              properties: {
                blinded: { type: "array", items: base64, minItems: 1, maxItems: 1000 },
                keyId: { type: "string", description: "Evaluate under this key (default: the current one)" },
              },
            },
          },
        },
      },
      responses: {
        "200": {
          description: "The evaluated elements, in order, and one proof for the batch",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["keyId", "evaluated", "proof"],
                properties: {
                  keyId: { type: "string" },
                  evaluated: { type: "array", items: base64 },
                  proof: base64,
                },
              },
            },
          },
        },
        "400": error,
        "401": error,
        "403": error,
        "404": error,
        "429": {
          description: "Over the store's rate; Retry-After says when to come back",
          headers: { "Retry-After": { schema: { type: "integer" } } },
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
        "503": error,
      },
    },
  },
};
