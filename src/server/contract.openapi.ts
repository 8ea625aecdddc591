/**
 * The OpenAPI description of the contract module's HTTP API: the catalog (src/server/catalog.ts: the
 * Dataspace Protocol catalog binding and Learnpool's JSON API), participants and signed agreements
 * (src/server/agreements.ts) and enforcement (src/server/enforcement.ts). The Dataspace Protocol
 * negotiation and transfer endpoints are in dsp.openapi.ts.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Record<string, unknown>) => ({ "application/json": { schema } });

/** `{ error: { status, message } }`: every refusal of the JSON API. */
const error = (description: string) => ({ description, content: json(ref("Error")) });
const unauthenticated = {
  description: "No valid LRS credential (HTTP Basic); `WWW-Authenticate: Basic` says so",
  headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  content: json(ref("Error")),
};
const notParticipant = (extra = "") =>
  error(`The credential's store is not a registered participant of the data space${extra}`);

/** The Dataspace Protocol catalog binding's error body. */
const catalogError = (description: string) => ({ description, content: json(ref("CatalogError")) });

const path = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});
const query = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "query",
  description,
  schema,
});
const jsonBody = (schema: Record<string, unknown>, required = true) => ({ required, content: json(schema) });

const datasetId = path("id", "The dataset's id: `urn:uuid:…`, or the bare UUID");
const participantId = path("id", "The participant's id (its store id)");
const agreementId = path("id", "The agreement's id (`urn:uuid:…`)");

const iso = { type: "string", format: "date-time" };
const iri = { type: "string", format: "iri" };
const strings = { type: "array", items: { type: "string" } };
const object = { type: "object", additionalProperties: true };
const termCounts = {
  type: "array",
  items: {
    type: "object",
    required: ["id", "statements"],
    properties: { id: iri, statements: { type: "integer", minimum: 0 } },
  },
};

/** The catalog's search parameters: in the query string, or as a DSP CatalogRequestMessage filter. */
const searchProperties = {
  q: {
    type: "string",
    description: "Free text over title, description and keywords: every word must appear",
  },
  theme: { type: "string", description: "A dcat:theme, as published" },
  verb: { type: "string", description: "An xAPI verb IRI among the dataset's statements" },
  profile: { type: "string", description: "An xAPI profile (a context category activity id)" },
  category: {
    type: "string",
    description: "A DPV personal-data category (`EmailAddress`, `pd:…` or the IRI)",
  },
  format: { type: "string", description: "A distribution format (xapi+json, jsonl, parquet, csv)" },
  provider: { type: "string", description: "The providing store" },
  purpose: {
    type: "string",
    description:
      "A DPV purpose (`ResearchAndDevelopment`, `dpv:…` or an IRI): only offers that permit it to the caller, each hit with its `purposeFit`",
  },
  from: { type: "string", description: "ISO 8601: the statements' span ends at or after it" },
  to: { type: "string", description: "ISO 8601: the statements' span starts at or before it" },
};

export const contractSchemas = {
  CatalogRefusal: {
    type: "object",
    description: "A refusal of the catalog's JSON API: Learnpool's error, its problems as sentences.",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["status", "message"],
        properties: {
          status: { type: "integer" },
          message: { type: "string" },
          problems: { type: "array", items: { type: "string" }, description: "Every problem found" },
        },
      },
    },
  },
  // ------------------------------------------------------------ catalog
  ProviderDescription: {
    type: "object",
    description: "What the provider states about a dataset; volumes, verbs and the time span are derived.",
    required: ["title", "description"],
    additionalProperties: false,
    properties: {
      title: { type: "string", minLength: 1, maxLength: 300 },
      description: { type: "string", minLength: 1, maxLength: 20000 },
      language: { type: "string", description: "BCP 47 tag of title and description", default: "en" },
      themes: { ...strings, description: "dcat:theme: concept IRIs or plain labels" },
      keywords: strings,
      dataCategories: {
        ...strings,
        description: "DPV personal-data categories (`Name`, `EmailAddress`, `Identifier`, `Age`, …)",
      },
      formats: {
        type: "array",
        items: { type: "string", enum: ["xapi+json", "jsonl", "parquet", "csv"] },
        default: ["xapi+json"],
      },
    },
  },
  DerivedStatistics: {
    type: "object",
    description: "Derived from the provider's store at publication: aggregates only, never a learner.",
    required: ["derivedAt", "statements", "learners", "temporal", "verbs", "profiles", "activityTypes"],
    properties: {
      derivedAt: iso,
      statements: { type: "integer", minimum: 0, description: "Statements neither voided nor voiding" },
      learners: { type: "integer", minimum: 0, description: "Distinct agents as actors" },
      temporal: {
        oneOf: [
          { type: "object", required: ["start", "end"], properties: { start: iso, end: iso } },
          { type: "null" },
        ],
      },
      verbs: termCounts,
      profiles: termCounts,
      activityTypes: termCounts,
    },
  },
  PurposeFit: {
    type: "object",
    description:
      "How the offer fits the purpose searched for: `permitted`, or `conditional` on constraints the catalog cannot judge at discovery.",
    required: ["fit", "reason"],
    properties: {
      fit: { type: "string", enum: ["permitted", "conditional", "refused"] },
      actions: { ...strings, description: "The actions granted for the purpose: odrl:use or narrower ones" },
      conditions: { ...strings, description: "Constraints whose state is unknown, as `left operator right`" },
      reason: { type: "string" },
    },
  },
  CatalogEntry: {
    type: "object",
    description: "One version of a dataset offer, as published. Never changed once stored.",
    required: [
      "dataset",
      "version",
      "latestVersion",
      "provider",
      "publisher",
      "publishedAt",
      "description",
      "statistics",
      "offerId",
      "offer",
    ],
    properties: {
      dataset: { type: "string", description: "`urn:uuid:…`, the same across versions" },
      version: { type: "integer", minimum: 1 },
      latestVersion: { type: "integer", minimum: 1 },
      provider: { type: "string", description: "The providing participant's store id" },
      publisher: { ...iri, description: "The provider as an ODRL party: the offer's assigner" },
      publishedAt: iso,
      description: ref("ProviderDescription"),
      statistics: ref("DerivedStatistics"),
      offerId: { type: "string" },
      offer: { ...object, description: "The ODRL Offer, JSON-LD as published" },
      accessPolicy: {
        ...object,
        description: "The ODRL Set deciding who may see the entry, when restricted",
      },
      withdrawn: {
        type: "object",
        required: ["at", "reason"],
        properties: { at: iso, reason: { type: "string" } },
      },
    },
  },
  CatalogHit: {
    allOf: [ref("CatalogEntry"), { type: "object", properties: { purposeFit: ref("PurposeFit") } }],
  },
  CatalogPage: {
    type: "object",
    required: ["items", "total", "offset", "limit"],
    properties: {
      items: { type: "array", items: ref("CatalogHit") },
      total: { type: "integer", minimum: 0, description: "Matching entries the caller may see" },
      offset: { type: "integer", minimum: 0 },
      limit: { type: "integer", minimum: 1, maximum: 100 },
      next: { type: "integer", description: "The offset of the next page, when there is one" },
    },
  },
  DcatDataset: {
    type: "object",
    description:
      "A dataset as DCAT 3 JSON-LD in the Dataspace Protocol 2025-1 compact form, its offer as `hasPolicy`.",
    required: ["@id", "@type", "hasPolicy", "distribution"],
    properties: {
      "@context": { type: "array" },
      "@id": { type: "string" },
      "@type": { const: "Dataset" },
      title: { type: "string" },
      hasPolicy: { type: "array", items: object },
      distribution: { type: "array", items: object },
    },
  },
  DcatCatalog: {
    type: "object",
    required: ["@context", "@id", "@type", "participantId", "service", "dataset"],
    properties: {
      "@context": { type: "array" },
      "@id": { type: "string" },
      "@type": { const: "Catalog" },
      participantId: { ...iri, description: "The data space operator" },
      service: { type: "array", items: object },
      dataset: { type: "array", items: ref("DcatDataset") },
    },
  },
  CatalogRequestMessage: {
    type: "object",
    required: ["@type"],
    properties: {
      "@context": {},
      "@type": { enum: ["CatalogRequestMessage", "dspace:CatalogRequestMessage"] },
      filter: {
        description:
          "Learnpool's filter: an object of search parameters, or a list of them (all applied). Unknown keys are refused.",
        oneOf: [
          { $ref: "#/components/schemas/CatalogFilter" },
          { type: "array", items: ref("CatalogFilter") },
        ],
      },
    },
  },
  CatalogFilter: {
    type: "object",
    additionalProperties: false,
    properties: { "@type": {}, ...searchProperties },
  },
  CatalogError: {
    type: "object",
    description: "The Dataspace Protocol's catalog error.",
    required: ["@context", "@type", "code", "reason"],
    properties: {
      "@context": { type: "array" },
      "@type": { const: "CatalogError" },
      code: { type: "string", description: "The HTTP status, as a string" },
      reason: strings,
    },
  },

  // ------------------------------------------------------------ participants and agreements
  Participant: {
    type: "object",
    required: ["id", "iri", "role", "title", "createdAt"],
    properties: {
      id: { type: "string", description: "Its store id" },
      iri: { ...iri, description: "Its ODRL party IRI and Dataspace Protocol participantId" },
      role: { type: "string", enum: ["operator", "provider", "consumer"] },
      title: { type: "string" },
      createdAt: iso,
    },
  },
  PublicJwk: {
    type: "object",
    description: "An Ed25519 public key (RFC 8037); never a private one (`d`).",
    required: ["kty", "crv", "x"],
    properties: {
      kty: { const: "OKP" },
      crv: { const: "Ed25519" },
      x: { type: "string", contentEncoding: "base64url", description: "The 32-byte public key" },
      kid: { type: "string", description: "If given, its RFC 7638 thumbprint" },
    },
  },
  ParticipantKey: {
    type: "object",
    required: ["kid", "participant", "publicJwk", "createdAt", "revokedAt"],
    properties: {
      kid: { type: "string", description: "The key's RFC 7638 thumbprint" },
      participant: { type: "string" },
      publicJwk: ref("PublicJwk"),
      createdAt: iso,
      revokedAt: { type: ["string", "null"], format: "date-time" },
    },
  },
  ParticipantCategory: {
    type: "object",
    required: ["participant", "category", "addedAt", "addedBy", "removedAt", "removedBy"],
    properties: {
      participant: { type: "string" },
      category: iri,
      addedAt: iso,
      addedBy: { type: "string" },
      removedAt: { type: ["string", "null"], format: "date-time" },
      removedBy: { type: ["string", "null"] },
    },
  },
  Jwks: {
    type: "object",
    required: ["keys"],
    properties: {
      keys: {
        type: "array",
        items: {
          allOf: [
            ref("PublicJwk"),
            {
              type: "object",
              required: ["kid", "alg", "use"],
              properties: { kid: { type: "string" }, alg: { const: "EdDSA" }, use: { const: "sig" } },
            },
          ],
        },
      },
    },
  },
  Party: {
    type: "object",
    required: ["participant", "role"],
    properties: {
      participant: { type: "string", description: "The participant's id (store id)" },
      role: { type: "string", enum: ["provider", "consumer", "operator"] },
      iri: { ...iri, description: "Set by the registry: the participant's IRI" },
    },
  },
  AgreementDraft: {
    type: "object",
    description: "What a proposer submits: the document is fixed from it and never changes.",
    required: ["parties", "policy", "notAfter"],
    properties: {
      id: { type: "string", description: "urn:uuid:<lower-case uuid>; made when absent" },
      proposedBy: {
        type: "string",
        description: "The caller's participant id (the default); naming another is refused (403)",
      },
      parties: {
        type: "array",
        minItems: 3,
        description: "Each participant once: exactly one consumer, one operator, at least one provider",
        items: ref("Party"),
      },
      offers: { ...strings, description: "The catalog offers (IRIs) the agreement came from" },
      policy: {
        ...object,
        description:
          "The ODRL Agreement, compact JSON-LD; its uid, when given, is the agreement's id, and its rules name only the parties' IRIs",
      },
      notBefore: { ...iso, description: "Default: the proposal time" },
      notAfter: { ...iso, description: "Required: no agreement is open-ended" },
      linkageDomain: { type: "string", description: "The privacy module's linkage domain of the transfers" },
      deidentificationProfile: { type: "string" },
    },
  },
  AgreementSummary: {
    type: "object",
    required: ["id", "digest", "parties", "offers", "notBefore", "notAfter", "createdAt"],
    properties: {
      id: { type: "string" },
      digest: { type: "string", description: "SHA-256 of the canonical document, hex" },
      parties: { type: "array", items: ref("Party") },
      offers: strings,
      notBefore: iso,
      notAfter: iso,
      createdAt: iso,
    },
  },
  Agreement: {
    type: "object",
    required: [
      "id",
      "document",
      "canonical",
      "digest",
      "parties",
      "offers",
      "notBefore",
      "notAfter",
      "proposedBy",
      "createdAt",
      "status",
    ],
    properties: {
      id: { type: "string" },
      document: {
        ...object,
        description:
          "The agreement document: type LearnpoolAgreement, version 1, id, createdAt, proposedBy, parties, offers, validity, linkageDomain?, deidentificationProfile?, policy",
      },
      canonical: {
        type: "string",
        description: "The RFC 8785 canonical text: exactly what each party signs",
      },
      digest: { type: "string", description: "SHA-256 of `canonical`, hex" },
      parties: { type: "array", items: ref("Party") },
      offers: strings,
      notBefore: iso,
      notAfter: iso,
      linkageDomain: { type: "string" },
      deidentificationProfile: { type: "string" },
      proposedBy: { type: "string" },
      createdAt: iso,
      status: ref("AgreementStatus"),
    },
  },
  AgreementStatus: {
    type: "object",
    required: [
      "agreementId",
      "digest",
      "state",
      "valid",
      "reason",
      "signedBy",
      "missing",
      "notBefore",
      "notAfter",
      "at",
    ],
    properties: {
      agreementId: { type: "string" },
      digest: { type: "string" },
      state: {
        type: "string",
        enum: ["proposed", "final", "not-yet-valid", "expired", "terminated", "revoked"],
      },
      valid: {
        type: "boolean",
        description: "Whether data may flow under it at `at`: final and within its validity",
      },
      reason: { type: "string" },
      signedBy: { ...strings, description: "Parties that have signed, in order" },
      missing: { ...strings, description: "Parties yet to sign" },
      notBefore: iso,
      notAfter: iso,
      at: { ...iso, description: "The instant this status is for" },
    },
  },
  AgreementEvent: {
    type: "object",
    description: "One link of the agreement's hash chain (the first links to the document's digest).",
    required: ["agreementId", "seq", "type", "participant", "kid", "jws", "at", "prevHash", "hash"],
    properties: {
      agreementId: { type: "string" },
      seq: { type: "integer", minimum: 1 },
      type: { type: "string", enum: ["proposed", "signed", "terminated", "revoked"] },
      participant: { type: "string" },
      kid: { type: ["string", "null"] },
      jws: { type: ["string", "null"] },
      at: iso,
      prevHash: { type: "string" },
      hash: { type: "string" },
      statement: {
        type: "object",
        description: "The signed statement of a termination or revocation",
        properties: {
          agreement: { type: "string" },
          digest: { type: "string" },
          event: { type: "string", enum: ["terminated", "revoked"] },
          reason: { type: "string" },
          at: iso,
        },
      },
    },
  },
  AgreementVerification: {
    type: "object",
    required: ["ok", "agreementId", "events"],
    properties: {
      ok: { type: "boolean" },
      agreementId: { type: "string" },
      digest: { type: "string" },
      events: { type: "integer", minimum: 0, description: "Events checked (all of them when ok)" },
      failure: {
        type: "object",
        required: ["reason"],
        properties: { seq: { type: "integer" }, reason: { type: "string" } },
      },
    },
  },
  SignedAct: {
    type: "object",
    required: ["jws"],
    properties: {
      jws: {
        type: "string",
        description: "A compact JWS (EdDSA) by one of the caller's registered, unrevoked keys (header `kid`)",
      },
    },
  },

  // ------------------------------------------------------------ enforcement
  AccessRequest: {
    type: "object",
    description: "What is to be done, as the ODRL evaluator reads it.",
    required: ["action"],
    properties: {
      id: { type: "string" },
      action: { type: "string", description: "An ODRL action (`use`, `odrl:read`, or an IRI)" },
      target: { type: "string" },
      assignee: {
        type: "string",
        description: "Default: the caller's IRI; a party other than the operator may name only itself",
      },
      assigner: { type: "string" },
      context: { ...object, description: "Left-operand values (purpose, spatial, …), keyed by name or IRI" },
    },
  },
  Duty: {
    type: "object",
    required: [
      "id",
      "agreement",
      "duty",
      "kind",
      "action",
      "origin",
      "assignee",
      "due",
      "state",
      "openedAt",
      "closedAt",
    ],
    properties: {
      id: { type: "string" },
      agreement: { type: "string" },
      duty: {
        type: "string",
        description: "The ODRL duty's IRI (or blank-node id) in the agreement's policy",
      },
      kind: { type: "string", enum: ["deletion", "anonymization", "inform", "nextPolicy", "other"] },
      action: { type: "string" },
      origin: { type: "string", description: "What opened it: a permission, the policy, or a violated rule" },
      assignee: { type: ["string", "null"], description: "The participant who must fulfil it" },
      due: { type: ["string", "null"], format: "date-time" },
      state: { type: "string", enum: ["open", "fulfilled", "violated"] },
      evidence: { description: "The evidence accepted, once fulfilled" },
      openedAt: iso,
      closedAt: { type: ["string", "null"], format: "date-time" },
    },
  },
  EnforcementDecision: {
    type: "object",
    required: ["decision", "reason", "step", "agreement", "at", "rule", "constraint", "remedies", "duties"],
    properties: {
      decision: { type: "string", enum: ["Permit", "Deny", "NotApplicable"] },
      reason: { type: "string", description: "Why, naming the rule and constraint that decided" },
      step: { type: "string" },
      agreement: { type: "string" },
      at: iso,
      rule: { type: ["string", "null"], description: "The deciding rule" },
      constraint: { type: ["string", "null"], description: "The deciding constraint" },
      remedies: { ...strings, description: "Remedies of the prohibition that denied" },
      duties: { type: "array", items: ref("Duty"), description: "Duties this decision opened" },
    },
  },
};

const STEPS = [
  "catalog-access",
  "negotiation",
  "transfer",
  "dataset-build",
  "training-admission",
  "model-release",
  "export-download",
];

const catalogTag = ["catalog"];
const participantsTag = ["participants"];
const agreementsTag = ["agreements"];
const enforcementTag = ["enforcement"];

export const contractPaths = {
  // ------------------------------------------------------------ Dataspace Protocol 2025-1 catalog binding
  "/catalog/request": {
    post: {
      tags: ["dataspace protocol"],
      summary: "The catalog the caller may see (DSP CatalogRequestMessage → dcat:Catalog)",
      description:
        "Dataspace Protocol 2025-1, catalog HTTPS binding. Any LRS credential (its store is the participant asking). Only current, not withdrawn entries whose access policy permits the caller are listed (hidden ones are audited); `filter` narrows them with the same parameters as `GET /contract/catalog`. 50 datasets a page: the `Link` header carries `next` and `previous` URLs with a `continuationToken`. Errors are CatalogError bodies.",
      parameters: [query("continuationToken", "An opaque token from a previous page's `Link` header")],
      requestBody: jsonBody(ref("CatalogRequestMessage")),
      responses: {
        "200": {
          description: "The catalog",
          headers: {
            Link: {
              description: 'RFC 8288 links to the other pages, rel="next" and rel="previous"',
              schema: { type: "string" },
            },
          },
          content: json(ref("DcatCatalog")),
        },
        "400": catalogError("Not a CatalogRequestMessage, an unsupported filter, or a bad token"),
        "401": {
          ...catalogError("No valid LRS credential (HTTP Basic)"),
          headers: { "WWW-Authenticate": { schema: { type: "string" } } },
        },
      },
    },
  },
  "/catalog/datasets/{id}": {
    get: {
      tags: ["dataspace protocol"],
      summary: "One dataset of the catalog (DSP → dcat:Dataset)",
      description:
        "Dataspace Protocol 2025-1, catalog HTTPS binding. Any LRS credential. A dataset the caller may not see, or one withdrawn, is a 404 (the refusal is audited).",
      parameters: [datasetId],
      responses: {
        "200": { description: "The dataset, its offer as `hasPolicy`", content: json(ref("DcatDataset")) },
        "401": {
          ...catalogError("No valid LRS credential (HTTP Basic)"),
          headers: { "WWW-Authenticate": { schema: { type: "string" } } },
        },
        "404": catalogError("No such dataset the caller may see, or withdrawn"),
      },
    },
  },

  // ------------------------------------------------------------ catalog: Learnpool's JSON API
  "/contract/catalog": {
    get: {
      tags: catalogTag,
      summary: "Search the catalog",
      description:
        "Any LRS credential. Current, not withdrawn entries the caller may see (by each entry's access policy, fail closed; hidden entries are audited), newest publication first. With `purpose`, only offers that permit that purpose to the caller (or may, on constraints unknown at discovery) are kept, each with its `purposeFit`. Every parameter is given at most once; an unknown one is a 400.",
      parameters: [
        ...Object.entries(searchProperties).map(([name, s]) =>
          query(name, s.description, { type: "string" }),
        ),
        query("limit", "Page size, 1 to 100", { type: "integer", minimum: 1, maximum: 100, default: 20 }),
        query("offset", "Entries to skip", { type: "integer", minimum: 0, default: 0 }),
      ],
      responses: {
        "200": { description: "A page of entries", content: json(ref("CatalogPage")) },
        "400": error("An unknown or repeated parameter, a bad date, limit or offset, an unknown category"),
        "401": unauthenticated,
      },
    },
    post: {
      tags: catalogTag,
      summary: "Publish a dataset offer, or a new version of one",
      description:
        "A credential with scope `all` of the providing store (a provider publishes only for its own store; a refusal is audited). The description is checked with every problem listed in `error.problems`; the statistics are derived from the store; the offer is an ODRL Offer with a uid, at least one permission, the provider's IRI as the assigner of every rule and no target but the dataset. With `dataset`, a new version of that dataset (the provider's own).",
      requestBody: jsonBody({
        type: "object",
        required: ["description", "offer"],
        additionalProperties: false,
        properties: {
          description: ref("ProviderDescription"),
          offer: { description: "The ODRL Offer: a JSON-LD object (ODRL context), or its JSON text" },
          accessPolicy: {
            description: "An ODRL Set deciding who may see the entry; absent: every participant",
          },
          dataset: {
            type: "string",
            description: "Republication: the dataset (urn:uuid) this is a version of",
          },
          store: { type: "string", description: "The providing store (default: the credential's)" },
        },
      }),
      responses: {
        "201": {
          description: "Published",
          headers: { Location: { schema: { type: "string" }, description: "/contract/catalog/{dataset}" } },
          content: json(ref("CatalogEntry")),
        },
        "400": {
          description: "The body, description or policies are not valid (`problems` lists each)",
          content: json(ref("CatalogRefusal")),
        },
        "401": unauthenticated,
        "403": error("Not scope `all`, or another provider's store or dataset"),
        "404": error("No such store"),
        "409": error("The offer's id is another dataset's"),
      },
    },
  },
  "/contract/catalog/{id}": {
    get: {
      tags: catalogTag,
      summary: "One dataset's entry, newest version or the one asked",
      description:
        "Any LRS credential. Withdrawn versions stay readable. Whether the caller may see it is decided by the newest version's access policy; a refusal is audited and answered 404, as if the dataset did not exist.",
      parameters: [datasetId, query("version", "A version number", { type: "integer", minimum: 1 })],
      responses: {
        "200": { description: "The entry", content: json(ref("CatalogEntry")) },
        "400": error("A bad version, or an unknown parameter"),
        "401": unauthenticated,
        "404": error("No such dataset the caller may see, or no such version"),
      },
    },
  },
  "/contract/catalog/{id}/versions": {
    get: {
      tags: catalogTag,
      summary: "Every version of a dataset, oldest first",
      description: "Any LRS credential; the same visibility rule as reading the entry.",
      parameters: [datasetId],
      responses: {
        "200": {
          description: "The versions",
          content: json({
            type: "object",
            required: ["versions"],
            properties: { versions: { type: "array", items: ref("CatalogEntry") } },
          }),
        },
        "401": unauthenticated,
        "404": error("No such dataset the caller may see"),
      },
    },
  },
  "/contract/catalog/{id}/refresh": {
    post: {
      tags: catalogTag,
      summary: "Derive the statistics again and publish them as a new version",
      description:
        "A credential with scope `all` of the providing store. The description and policies are unchanged. A withdrawn dataset is not refreshed: publish it again to bring it back. No body.",
      parameters: [datasetId],
      responses: {
        "201": { description: "The new version", content: json(ref("CatalogEntry")) },
        "401": unauthenticated,
        "403": error("Not scope `all`, or another provider's dataset"),
        "404": error("No such dataset"),
        "409": error("The dataset is withdrawn"),
      },
    },
  },
  "/contract/catalog/{id}/withdraw": {
    post: {
      tags: catalogTag,
      summary: "Withdraw a dataset from the catalog",
      description:
        "A credential with scope `all` of the providing store. Its versions so far leave search and the DSP catalog, and stay readable by id.",
      parameters: [datasetId],
      requestBody: jsonBody(
        {
          type: "object",
          properties: { reason: { type: "string", default: "withdrawn by the provider" } },
        },
        false,
      ),
      responses: {
        "200": { description: "The withdrawn entry", content: json(ref("CatalogEntry")) },
        "400": error("The body is not JSON, or reason is not a string"),
        "401": unauthenticated,
        "403": error("Not scope `all`, or another provider's dataset"),
        "404": error("No such dataset"),
        "409": error("Withdrawn already"),
      },
    },
  },

  // ------------------------------------------------------------ participants
  "/contract/me": {
    get: {
      tags: participantsTag,
      summary: "The participant a credential is",
      description:
        "Any registered participant's credential: what the web console asks at sign-in to show the pages of the participant's role.",
      responses: {
        "200": {
          description: "The participant, its store, and the credential's scopes",
          content: json({
            type: "object",
            required: ["participant", "store", "scopes"],
            properties: {
              participant: ref("Participant"),
              store: { type: "string" },
              scopes: { type: "array", items: { type: "string" } },
            },
          }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
      },
    },
  },
  "/contract/participants": {
    post: {
      tags: participantsTag,
      summary: "Register a store as a participant of the data space",
      description:
        "Only the operator, with a credential of scope `all` (the first participant, the operator, is registered with the CLI). The store must exist; there is one operator; IRIs are unique. Public keys may be registered at once.",
      requestBody: jsonBody({
        type: "object",
        required: ["id", "role"],
        properties: {
          id: { type: "string", minLength: 1, description: "The participant's store id" },
          role: { type: "string", enum: ["operator", "provider", "consumer"] },
          title: { type: "string", description: "Default: the id" },
          iri: { ...iri, description: "Default: urn:learnpool:participant:{id}" },
          keys: { type: "array", items: ref("PublicJwk") },
        },
      }),
      responses: {
        "201": {
          description: "Registered, with the keys added",
          content: json({
            allOf: [
              ref("Participant"),
              {
                type: "object",
                required: ["keys"],
                properties: { keys: { type: "array", items: ref("ParticipantKey") } },
              },
            ],
          }),
        },
        "400": error("A missing id, a bad role, title, IRI or key"),
        "401": unauthenticated,
        "403": notParticipant(", not the operator, or not scope `all`"),
        "404": error("No such store"),
        "409": error("Registered already, the IRI is taken, an operator exists, or a key is registered"),
      },
    },
    get: {
      tags: participantsTag,
      summary: "The participants of the data space",
      description: "Any registered participant's credential.",
      responses: {
        "200": {
          description: "The participants",
          content: json({ type: "array", items: ref("Participant") }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
      },
    },
  },
  "/contract/participants/{id}": {
    get: {
      tags: participantsTag,
      summary: "One participant, with every key it has had",
      description: "Any registered participant's credential.",
      parameters: [participantId],
      responses: {
        "200": {
          description: "The participant; revoked keys keep their `revokedAt`",
          content: json({
            allOf: [
              ref("Participant"),
              {
                type: "object",
                required: ["keys"],
                properties: { keys: { type: "array", items: ref("ParticipantKey") } },
              },
            ],
          }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such participant"),
      },
    },
  },
  "/contract/participants/{id}/jwks.json": {
    get: {
      tags: participantsTag,
      summary: "A participant's public keys as a JWK Set",
      description:
        "Public: anyone verifying a party's signature fetches it. The keys that may sign now (unrevoked), as Ed25519 JWKs with their kid (RFC 7638 thumbprint).",
      security: [],
      parameters: [participantId],
      responses: {
        "200": {
          description: "The JWK Set",
          content: { "application/jwk-set+json": { schema: ref("Jwks") } },
        },
        "404": error("No such participant"),
      },
    },
  },
  "/contract/participants/{id}/keys": {
    post: {
      tags: participantsTag,
      summary: "Add a public key to a participant",
      description:
        "The participant itself or the operator, with a credential of scope `all`. The body is the Ed25519 public JWK; its kid is its RFC 7638 thumbprint (a kid given must agree). A key is never changed nor deleted, only revoked.",
      parameters: [participantId],
      requestBody: jsonBody(ref("PublicJwk")),
      responses: {
        "201": { description: "The key", content: json(ref("ParticipantKey")) },
        "400": error("Not an Ed25519 public JWK, a private key, or a kid that is not the thumbprint"),
        "401": unauthenticated,
        "403": notParticipant(", neither that participant nor the operator, or not scope `all`"),
        "404": error("No such participant"),
        "409": error("The key is registered already (to this or another participant)"),
      },
    },
  },
  "/contract/participants/{id}/categories": {
    get: {
      tags: participantsTag,
      summary: "A participant's categories: those it is in now, and every membership it had",
      description:
        "Any registered participant. Categories are collections such as `lp:PublicResearchInEducation`: a consent whose recipient is a category counts for the participants in it at the instant asked, and the catalog's access policies see them as ODRL `partOf` (an assignee PartyCollection with that uid).",
      parameters: [participantId],
      responses: {
        "200": {
          description: "The current categories and the history",
          content: json({
            type: "object",
            properties: {
              participant: { type: "string" },
              categories: { type: "array", items: iri },
              history: { type: "array", items: ref("ParticipantCategory") },
            },
          }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such participant"),
      },
    },
    post: {
      tags: participantsTag,
      summary: "Put a participant in a category (operator)",
      description:
        "The operator, with a credential of scope `all`. `lp:` names are expanded to Learnpool's namespace; anything else must be an absolute IRI. Audited `participant.category.add`; the row is never deleted.",
      parameters: [participantId],
      requestBody: jsonBody({
        type: "object",
        required: ["category"],
        properties: { category: { type: "string", description: "The category's IRI (or `lp:` name)" } },
      }),
      responses: {
        "201": { description: "The membership", content: json(ref("ParticipantCategory")) },
        "400": error("No category, or not an IRI"),
        "401": unauthenticated,
        "403": notParticipant(", not the operator, or not scope `all`"),
        "404": error("No such participant"),
        "409": error("The participant is in that category already"),
      },
    },
  },
  "/contract/participants/{id}/categories/remove": {
    post: {
      tags: participantsTag,
      summary: "Take a participant out of a category from now on (operator)",
      description:
        "The operator, with a credential of scope `all`. The membership's removal time is set, once; consent given to the category stops counting for the participant from then (and still counts for instants before). Audited `participant.category.remove`.",
      parameters: [participantId],
      requestBody: jsonBody({
        type: "object",
        required: ["category"],
        properties: { category: { type: "string" } },
      }),
      responses: {
        "200": { description: "The membership, removed", content: json(ref("ParticipantCategory")) },
        "400": error("No category, or not an IRI"),
        "401": unauthenticated,
        "403": notParticipant(", not the operator, or not scope `all`"),
        "404": error("The participant is not in that category"),
      },
    },
  },
  "/contract/participants/{id}/keys/{kid}/revoke": {
    post: {
      tags: participantsTag,
      summary: "Revoke a participant's key from now on",
      description:
        "The participant itself or the operator, with a credential of scope `all`. The key verifies no new signature; those it made before stay valid. No body.",
      parameters: [participantId, path("kid", "The key's id (its thumbprint)")],
      responses: {
        "200": { description: "The revoked key", content: json(ref("ParticipantKey")) },
        "401": unauthenticated,
        "403": notParticipant(", neither that participant nor the operator, or not scope `all`"),
        "404": error("The participant has no such key"),
        "409": error("Revoked already"),
      },
    },
  },

  // ------------------------------------------------------------ agreements
  "/contract/agreements": {
    post: {
      tags: agreementsTag,
      summary: "Propose an agreement",
      description:
        "The operator or the agreement's consumer, with a credential of scope `all`; the proposer is the caller. The document (parties and their IRIs, offers, validity, the ODRL Agreement) is fixed here and never changes; every party then signs its canonical text.",
      requestBody: jsonBody(ref("AgreementDraft")),
      responses: {
        "201": { description: "The agreement, with its status (proposed)", content: json(ref("Agreement")) },
        "400": error("The draft is not valid (parties, policy, dates, an unregistered participant)"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, proposing for another, or neither operator nor consumer"),
        "409": error("An agreement with that id exists"),
      },
    },
    get: {
      tags: agreementsTag,
      summary: "The agreements the caller is party to (the operator: all)",
      description: "Any registered participant's credential.",
      parameters: [query("participant", "The operator only: the agreements this participant is party to")],
      responses: {
        "200": {
          description: "The agreements, without their documents",
          content: json({ type: "array", items: ref("AgreementSummary") }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
      },
    },
  },
  "/contract/agreements/{id}": {
    get: {
      tags: agreementsTag,
      summary: "One agreement, its document and its status now",
      description: "A party to it, or the operator; anyone else gets a 404.",
      parameters: [agreementId],
      responses: {
        "200": { description: "The agreement", content: json(ref("Agreement")) },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/agreements/{id}/canonical": {
    get: {
      tags: agreementsTag,
      summary: "The exact bytes a party signs",
      description:
        "A party, or the operator. The RFC 8785 canonical text of the document, for clients that would rather not canonicalize; `Digest` carries its SHA-256.",
      parameters: [agreementId],
      responses: {
        "200": {
          description: "The canonical document",
          headers: { Digest: { description: "sha-256=<base64>", schema: { type: "string" } } },
          content: json({ type: "object" }),
        },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/agreements/{id}/status": {
    get: {
      tags: agreementsTag,
      summary: "The agreement's status, now or at an instant",
      description: "A party, or the operator. Whether data may flow under it (`valid`), and why.",
      parameters: [agreementId, query("at", "ISO 8601 date-time (default: now)", iso)],
      responses: {
        "200": { description: "The status", content: json(ref("AgreementStatus")) },
        "400": error("`at` is not a date-time"),
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/agreements/{id}/verify": {
    get: {
      tags: agreementsTag,
      summary: "Check the agreement's whole record again",
      description:
        "A party, or the operator. The canonical form and digest, the parties, the hash chain of events, every signature against the keys, and the audit trail's copy of each event; `ok: false` names the first failure.",
      parameters: [agreementId],
      responses: {
        "200": { description: "The verification", content: json(ref("AgreementVerification")) },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/agreements/{id}/events": {
    get: {
      tags: agreementsTag,
      summary: "The agreement's events (proposal, signatures, termination, revocation)",
      description: "A party, or the operator. In order, hash-chained.",
      parameters: [agreementId],
      responses: {
        "200": { description: "The events", content: json({ type: "array", items: ref("AgreementEvent") }) },
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/agreements/{id}/signatures": {
    post: {
      tags: agreementsTag,
      summary: "Sign the agreement",
      description:
        "A party, with a credential of scope `all`, signs as itself: a detached JWS (RFC 7797, EdDSA, `typ` of agreements) over the canonical text, by one of its registered, unrevoked keys. The agreement is final once every party has signed.",
      parameters: [agreementId],
      requestBody: jsonBody(ref("SignedAct")),
      responses: {
        "200": { description: "The status after the signature", content: json(ref("AgreementStatus")) },
        "400": error("No `jws`, or not a compact JWS"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, or not a party"),
        "404": error("No such agreement the caller is party to"),
        "409": error("Signed already by the caller, or the agreement's state allows no signature"),
        "422": error("The signature does not verify (alg, typ, kid, key revoked or another's)"),
      },
    },
  },
  "/contract/agreements/{id}/termination": {
    post: {
      tags: agreementsTag,
      summary: "Terminate the agreement",
      description:
        "A party, with a credential of scope `all`: a compact JWS (payload embedded) of the termination statement `{agreement, digest, event: terminated, reason, at}`, `at` within ten minutes of the registry's clock. Data stops flowing under it: the transfers running under it are terminated as soon as it is recorded (and the data endpoint refuses any next page).",
      parameters: [agreementId],
      requestBody: jsonBody(ref("SignedAct")),
      responses: {
        "200": { description: "The status after the termination", content: json(ref("AgreementStatus")) },
        "400": error("No `jws`, or not a compact JWS"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, or not a party"),
        "404": error("No such agreement the caller is party to"),
        "409": error("The agreement has ended already, or cannot be terminated in its state"),
        "422": error("The signature or statement does not hold"),
      },
    },
  },
  "/contract/agreements/{id}/revocation": {
    post: {
      tags: agreementsTag,
      summary: "Revoke the agreement (the operator)",
      description:
        "The agreement's operator party, with a credential of scope `all`: a compact JWS of the revocation statement `{agreement, digest, event: revoked, reason, at}`. The transfers running under it are terminated as soon as it is recorded.",
      parameters: [agreementId],
      requestBody: jsonBody(ref("SignedAct")),
      responses: {
        "200": { description: "The status after the revocation", content: json(ref("AgreementStatus")) },
        "400": error("No `jws`, or not a compact JWS"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, or not the operator party"),
        "404": error("No such agreement the caller is party to"),
        "409": error("The agreement has ended already, or cannot be revoked in its state"),
        "422": error("The signature or statement does not hold"),
      },
    },
  },

  // ------------------------------------------------------------ enforcement
  "/contract/agreements/{id}/decisions": {
    post: {
      tags: enforcementTag,
      summary: "Ask the policy decision for a step that touches data",
      description:
        "A party to the agreement (anyone else gets a 404), with a credential of scope `all`: a decision changes state (a Permit counts the use and may open duties). The agreement's ODRL policy is evaluated for the request now (a decision over HTTP is always for now: `at` is refused), after the agreement's status: an agreement that is not valid denies. A party other than the operator asks only as itself (the request's assignee defaults to, and must be, its IRI). A Permit may open the duties it carries, and counts the use; every decision is written to the audit trail.",
      parameters: [agreementId],
      requestBody: jsonBody({
        type: "object",
        required: ["step", "request"],
        properties: {
          step: { type: "string", enum: STEPS },
          request: ref("AccessRequest"),
        },
      }),
      responses: {
        "200": {
          description: "The decision (a Deny is a 200 too)",
          content: json(ref("EnforcementDecision")),
        },
        "400": error("An unknown step, a request that is not one, or an `at`"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, or asking as another party"),
        "404": error("No such agreement the caller is party to"),
      },
    },
  },
  "/contract/duties": {
    get: {
      tags: enforcementTag,
      summary: "The duties of the agreements the caller is party to (the operator: of every agreement)",
      description:
        "Any registered participant's credential (a read: any scope). A participant reads the duties of the agreements it is party to, and an agreement it is not party to is a 404; the operator reads the duties of every agreement, as it reads every agreement.",
      parameters: [
        query("agreement", "Only this agreement's duties"),
        query("state", "Only duties in this state", {
          type: "string",
          enum: ["open", "fulfilled", "violated"],
        }),
      ],
      responses: {
        "200": {
          description: "The duties",
          content: json({
            type: "object",
            required: ["duties"],
            properties: { duties: { type: "array", items: ref("Duty") } },
          }),
        },
        "400": error("A bad state"),
        "401": unauthenticated,
        "403": notParticipant(),
        "404": error("No such agreement (that the caller is party to, unless it is the operator)"),
      },
    },
  },
  "/contract/duties/{id}/evidence": {
    post: {
      tags: enforcementTag,
      summary: "Fulfil an open duty with its evidence",
      description:
        "The duty's assignee (the operator too, for anonymization and nextPolicy duties), a party to its agreement, with a credential of scope `all` (fulfilling a duty changes state). The evidence depends on the duty's kind: deletion `{jws}` (a compact JWS by the assignee's key over `{agreement, duty, deletedAt, deleted}`, dated no later than the due date); anonymization `{report}` meeting the agreed level; inform `{informed: [...], at, how?}`; nextPolicy `{release, policy}` (the agreed next policy); other `{note}`. Evidence refused is audited.",
      parameters: [path("id", "The duty's id")],
      requestBody: jsonBody({
        type: "object",
        description: "The evidence, by the duty's kind",
        anyOf: [
          { type: "object", required: ["jws"], properties: { jws: { type: "string" } } },
          { type: "object", required: ["report"], properties: { report: object } },
          {
            type: "object",
            required: ["informed", "at"],
            properties: { informed: strings, at: iso, how: { type: "string" } },
          },
          {
            type: "object",
            required: ["release", "policy"],
            properties: { release: { type: "string" }, policy: { type: "string" } },
          },
          { type: "object", required: ["note"], properties: { note: { type: "string", minLength: 1 } } },
        ],
      }),
      responses: {
        "200": {
          description: "The fulfilled duty",
          content: json({ type: "object", required: ["duty"], properties: { duty: ref("Duty") } }),
        },
        "400": error("The body is not a JSON object"),
        "401": unauthenticated,
        "403": notParticipant(", not scope `all`, or not the duty's assignee"),
        "404": error("No such duty of an agreement the caller is party to"),
        "409": error("The duty is no longer open"),
        "422": error("The evidence does not hold (the reason says why)"),
      },
    },
  },
};
