/**
 * The OpenAPI 3.1 description of the HTTP API, served at /openapi.json and browsable at /docs.
 * Each resource's description sits in its own file beside its handlers; this assembles them.
 */
import { privacyPaths } from "./privacy.openapi.js";
import { documentsPaths } from "./xapi/documents.openapi.js";
import { statementsPaths } from "./xapi/statements.openapi.js";

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Learnpool",
      version: "0.1.0",
      description:
        "Learnpool's HTTP API. The xAPI Learning Record Store (xAPI 2.0 = IEEE 9274.1.1-2023, and 1.0.3, chosen by the X-Experience-API-Version header) lives under /xapi. Every xAPI resource except About needs HTTP Basic authentication with a Learnpool credential; each credential belongs to one store and carries xAPI scopes.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: { basic: { type: "http", scheme: "basic" } },
      parameters: {
        version: {
          name: "X-Experience-API-Version",
          in: "header",
          required: true,
          schema: { type: "string", enum: ["2.0.0", "1.0.3"] },
          description: "2.0.x selects xAPI 2.0; 1.0.x selects 1.0.3.",
        },
      },
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: {
              type: "object",
              properties: {
                status: { type: "integer" },
                message: { type: "string" },
                problems: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      path: { type: "string" },
                      rule: { type: "string" },
                      message: { type: "string" },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    security: [{ basic: [] }],
    paths: {
      "/xapi/about": {
        get: {
          summary: "xAPI versions this LRS speaks",
          security: [],
          responses: { "200": { description: "The About object" } },
        },
      },
      ...statementsPaths,
      ...documentsPaths,
      ...privacyPaths,
    },
  };
}
