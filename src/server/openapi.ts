/**
 * The OpenAPI 3.1 description of the HTTP API, served at /openapi.json and browsable at /docs.
 * Each resource's description sits in its own file beside its handlers; this assembles them.
 */
import { auditPaths } from "./audit.openapi.js";
import { consentPaths, consentSecuritySchemes } from "./consent.openapi.js";
import { contractPaths, contractSchemas } from "./contract.openapi.js";
import { datasetPaths, datasetTag } from "./datasets.openapi.js";
import { dspPaths, dspSchemas } from "./dsp.openapi.js";
import { privacyPaths } from "./privacy.openapi.js";
import { trainPaths, trainTag } from "./train.openapi.js";
import { documentsPaths } from "./xapi/documents.openapi.js";
import { statementsPaths } from "./xapi/statements.openapi.js";

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Learnpool",
      version: "0.1.0",
      description:
        "Learnpool's HTTP API. The xAPI Learning Record Store (xAPI 2.0 = IEEE 9274.1.1-2023, and 1.0.3, chosen by the X-Experience-API-Version header) lives under /xapi. Every xAPI resource except About needs HTTP Basic authentication with a Learnpool credential; each credential belongs to one store and carries xAPI scopes. The contract module (catalog, participants, agreements, enforcement) lives under /contract, and the Dataspace Protocol 2025-1 bindings under /catalog and /dsp: there the credential's store is the participant of the data space, and changes need the scope `all`.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        basic: { type: "http", scheme: "basic" },
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "The Dataspace Protocol pull data plane: the token of a started transfer's DataAddress (endpointProperties `authorization`).",
        },
        ...consentSecuritySchemes,
      },
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
        ...contractSchemas,
        ...dspSchemas,
      },
    },
    security: [{ basic: [] }],
    tags: [
      { name: "catalog", description: "Providers' dataset offers (DCAT), searched by consumers" },
      { name: "participants", description: "The data space's participants (one per store) and their keys" },
      { name: "agreements", description: "Multi-party ODRL agreements, signed as JWS by every party" },
      { name: "enforcement", description: "Policy decisions at every step that touches data, and duties" },
      {
        name: "negotiations and transfers",
        description: "A participant's own Dataspace Protocol processes: start, follow, pull, end",
      },
      {
        name: "dataspace protocol",
        description: "Eclipse Dataspace Protocol 2025-1: catalog, contract negotiation and transfer process",
      },
      datasetTag,
      trainTag,
      {
        name: "Audit",
        description: "The operator's view of the hash-chained audit trail and its verification",
      },
    ],
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
      ...contractPaths,
      ...dspPaths,
      ...consentPaths,
      ...datasetPaths,
      ...trainPaths,
      ...auditPaths,
    },
  };
}
