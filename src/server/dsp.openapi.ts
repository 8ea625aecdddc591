/**
 * The OpenAPI description of the Dataspace Protocol 2025-1 endpoints (src/server/dsp.ts): contract
 * negotiation and transfer process, HTTPS binding, both roles, and the pull data plane.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Record<string, unknown>) => ({ "application/json": { schema } });

const negotiationError = (description: string) => ({
  description,
  content: json(ref("ContractNegotiationError")),
});
const transferError = (description: string) => ({ description, content: json(ref("TransferError")) });
/** The binding's 401 under /dsp: answered before the body is read, as the protocol's error body. */
const protocolUnauthenticated = (kind: "ContractNegotiationError" | "TransferError") => ({
  description: `No valid LRS credential (HTTP Basic): a ${kind} with code Unauthorized; \`WWW-Authenticate: Basic\``,
  headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  content: json(ref(kind)),
});
const negotiationUnauthenticated = protocolUnauthenticated("ContractNegotiationError");
const transferUnauthenticated = protocolUnauthenticated("TransferError");
/** The 401 of Learnpool's own JSON API (the consumer's routes under /contract/). */
const unauthenticated = {
  description: "No valid LRS credential (HTTP Basic): Learnpool's `{error}` body; `WWW-Authenticate: Basic`",
  headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  content: json(ref("Error")),
};

const pid = (side: string) => ({
  name: "pid",
  in: "path",
  required: true,
  description: `This side's process id (${side})`,
  schema: { type: "string" },
});
const body = (name: string) => ({ required: true, content: json(ref(name)) });

const ack = (what: "ContractNegotiation" | "TransferProcess", description: string) => ({
  description,
  content: json(ref(what)),
});

/** A negotiation message's responses: the process as it is after the message, or the protocol error. */
const negotiationResponses = (ok: "200" | "201", extra: Record<string, unknown> = {}) => ({
  [ok]: ack(
    "ContractNegotiation",
    ok === "201" ? "The negotiation, created" : "The negotiation after the message",
  ),
  "400": negotiationError(
    "InvalidJson, InvalidMessage (a field missing or wrong), InvalidStateTransition, or another refusal (its code says which)",
  ),
  "401": negotiationUnauthenticated,
  ...(ok === "200"
    ? { "404": negotiationError("NotFound: no such negotiation with the caller as counterparty") }
    : {}),
  ...extra,
});
const transferResponses = (ok: "200" | "201", extra: Record<string, unknown> = {}) => ({
  [ok]: ack(
    "TransferProcess",
    ok === "201" ? "The transfer process, created" : "The transfer process after the message",
  ),
  "400": transferError(
    "InvalidJson, InvalidMessage, InvalidStateTransition, or another refusal (its code says which)",
  ),
  "401": transferUnauthenticated,
  ...(ok === "200"
    ? { "404": transferError("NotFound: no such transfer process with the caller as counterparty") }
    : {}),
  ...extra,
});

/** Learnpool's JSON API refusal: `{ error: { status, message } }`. */
const error = (description: string) => ({ description, content: json(ref("Error")) });
const processView = (name: "Negotiation" | "Transfer") => ({ allOf: [ref(name), ref("ProcessHistory")] });
const consumerTags = ["negotiations and transfers"];

const pidPair = {
  providerPid: { type: "string", minLength: 1 },
  consumerPid: { type: "string", minLength: 1 },
};
const context = {
  description: "Must include https://w3id.org/dspace/2025/1/context.jsonld when the terms are compact",
  oneOf: [{ type: "string" }, { type: "array" }],
};
const message = (
  type: string,
  required: string[],
  properties: Record<string, unknown>,
  description?: string,
) => ({
  type: "object",
  ...(description ? { description } : {}),
  required: ["@context", "@type", ...required],
  properties: { "@context": context, "@type": { const: type }, ...properties },
});
const policy = { type: "object", required: ["@id"], additionalProperties: true };
const reason = { type: "array", items: {} };
const terminationMessage = (type: string) =>
  message(type, ["providerPid", "consumerPid"], { ...pidPair, code: { type: "string" }, reason });

export const dspSchemas = {
  ContractRequestMessage: message(
    "ContractRequestMessage",
    ["consumerPid", "offer"],
    {
      ...pidPair,
      offer: {
        ...policy,
        description: "An ODRL Offer of the catalog, by its `@id` (the whole offer or only it)",
      },
      callbackAddress: {
        type: "string",
        format: "uri",
        description: "The consumer's DSP base URL; required when the negotiation starts",
      },
    },
    "From the consumer: starts a negotiation (no providerPid) or counter-offers.",
  ),
  ContractOfferMessage: message(
    "ContractOfferMessage",
    ["providerPid", "offer"],
    {
      ...pidPair,
      offer: {
        ...policy,
        description:
          "When the negotiation starts: `assignee` names the consumer participant (a store of this connector)",
      },
      callbackAddress: { type: "string", format: "uri" },
    },
    "From the provider: starts a negotiation (no consumerPid) or counter-offers.",
  ),
  ContractAgreementMessage: message("ContractAgreementMessage", ["providerPid", "consumerPid", "agreement"], {
    ...pidPair,
    agreement: {
      ...policy,
      description: "The ODRL Agreement, with target, timestamp, assigner and assignee",
    },
    callbackAddress: { type: "string", format: "uri" },
    "https://w3id.org/learnpool/dsp/agreementDocument": {
      type: "string",
      description:
        "Extension: the RFC 8785 canonical text of Learnpool's agreement document, what every party signs",
    },
    "https://w3id.org/learnpool/dsp/agreementDigest": {
      type: "string",
      description: "Extension: SHA-256 (hex) of agreementDocument; must match it",
    },
  }),
  ContractAgreementVerificationMessage: message(
    "ContractAgreementVerificationMessage",
    ["providerPid", "consumerPid"],
    {
      ...pidPair,
      "https://w3id.org/learnpool/dsp/signature": {
        type: "string",
        description:
          "Extension: the consumer's detached JWS (RFC 7797, EdDSA) over the agreement document; recorded in the agreement registry before the negotiation moves",
      },
    },
  ),
  ContractNegotiationEventMessage: message(
    "ContractNegotiationEventMessage",
    ["providerPid", "consumerPid", "eventType"],
    {
      ...pidPair,
      eventType: { type: "string", enum: ["ACCEPTED", "FINALIZED"] },
    },
  ),
  ContractNegotiationTerminationMessage: terminationMessage("ContractNegotiationTerminationMessage"),
  ContractNegotiation: message("ContractNegotiation", ["providerPid", "consumerPid", "state"], {
    ...pidPair,
    state: {
      type: "string",
      enum: ["REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED"],
    },
  }),
  ContractNegotiationError: message("ContractNegotiationError", [], {
    providerPid: { type: "string" },
    consumerPid: { type: "string" },
    code: {
      type: "string",
      description: "NotFound, InvalidMessage, InvalidStateTransition, UnknownOffer, …",
    },
    reason,
  }),
  DataAddress: {
    type: "object",
    required: ["endpointType"],
    properties: {
      "@type": { const: "DataAddress" },
      endpointType: { type: "string", description: "https://w3id.org/idsa/v4.1/HTTP" },
      endpoint: {
        type: "string",
        format: "uri",
        description: "The data endpoint: /dsp/transfers/{pid}/data",
      },
      endpointProperties: {
        type: "array",
        description: "`authorization`: the bearer token; `authType`: bearer",
        items: {
          type: "object",
          required: ["name", "value"],
          properties: {
            "@type": { const: "EndpointProperty" },
            name: { type: "string" },
            value: { type: "string" },
          },
        },
      },
    },
  },
  TransferRequestMessage: message(
    "TransferRequestMessage",
    ["consumerPid", "agreementId", "format", "callbackAddress"],
    {
      consumerPid: { type: "string", minLength: 1 },
      agreementId: { type: "string", description: "A FINALIZED negotiation's agreement with the caller" },
      format: { type: "string", enum: ["HttpData-PULL"] },
      dataAddress: ref("DataAddress"),
      callbackAddress: { type: "string", format: "uri" },
    },
  ),
  TransferStartMessage: message("TransferStartMessage", ["providerPid", "consumerPid"], {
    ...pidPair,
    dataAddress: ref("DataAddress"),
  }),
  TransferCompletionMessage: message("TransferCompletionMessage", ["providerPid", "consumerPid"], pidPair),
  TransferSuspensionMessage: terminationMessage("TransferSuspensionMessage"),
  TransferTerminationMessage: terminationMessage("TransferTerminationMessage"),
  TransferProcess: message("TransferProcess", ["providerPid", "consumerPid", "state"], {
    ...pidPair,
    state: { type: "string", enum: ["REQUESTED", "STARTED", "SUSPENDED", "COMPLETED", "TERMINATED"] },
  }),
  TransferError: message("TransferError", [], {
    providerPid: { type: "string" },
    consumerPid: { type: "string" },
    code: {
      type: "string",
      description:
        "NotFound, InvalidMessage, InvalidStateTransition, Unauthorized, AgreementNotValid (the agreement no longer holds), PolicyDenied (the policy decision refuses), …",
    },
    reason,
  }),

  // ------------------------------------------------------------ Learnpool's JSON API: the processes as kept here
  Negotiation: {
    type: "object",
    description: "A contract negotiation as this side keeps it (either role).",
    required: ["localPid", "role", "participant", "counterparty", "state", "createdAt", "updatedAt"],
    properties: {
      localPid: { type: "string", description: "This side's pid" },
      role: { type: "string", enum: ["provider", "consumer"] },
      participant: { type: "string", description: "Our participant (its store id)" },
      counterparty: { type: "string", description: "The store the other participant calls us with" },
      providerPid: { type: "string" },
      consumerPid: { type: "string" },
      counterpartyAddress: { type: "string", format: "uri" },
      state: {
        type: "string",
        enum: ["REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED"],
      },
      offerId: { type: "string" },
      datasetId: { type: "string" },
      offer: { type: "object", description: "The latest offer (ODRL JSON)" },
      agreementId: { type: "string" },
      agreement: { type: "object" },
      createdAt: { type: "string", format: "date-time" },
      updatedAt: { type: "string", format: "date-time" },
    },
  },
  Transfer: {
    type: "object",
    description:
      "A transfer process as this side keeps it (either role). Never a data plane token: the DataAddress's `authorization` reads `[hidden]`.",
    required: [
      "localPid",
      "role",
      "participant",
      "counterparty",
      "state",
      "agreementId",
      "format",
      "createdAt",
      "updatedAt",
    ],
    properties: {
      localPid: { type: "string" },
      role: { type: "string", enum: ["provider", "consumer"] },
      participant: { type: "string" },
      counterparty: { type: "string" },
      providerPid: { type: "string" },
      consumerPid: { type: "string" },
      counterpartyAddress: { type: "string", format: "uri" },
      state: { type: "string", enum: ["REQUESTED", "STARTED", "SUSPENDED", "COMPLETED", "TERMINATED"] },
      agreementId: { type: "string" },
      format: { type: "string" },
      dataAddress: ref("DataAddress"),
      createdAt: { type: "string", format: "date-time" },
      updatedAt: { type: "string", format: "date-time" },
    },
  },
  ProcessHistory: {
    type: "object",
    description:
      "The process's messages, in order (tokens redacted), and why it was terminated, when it was.",
    required: ["history"],
    properties: {
      reason: { type: "string", description: "From the last termination message" },
      history: {
        type: "array",
        items: {
          type: "object",
          required: ["seq", "direction", "type", "stateAfter", "body", "at"],
          properties: {
            seq: { type: "integer" },
            direction: { type: "string", enum: ["received", "sent"] },
            type: { type: "string", description: "The message type (or `undone`)" },
            stateBefore: { type: "string" },
            stateAfter: { type: "string" },
            body: { type: "object" },
            at: { type: "string", format: "date-time" },
          },
        },
      },
    },
  },
};

const tags = ["dataspace protocol"];
const who =
  "The counterparty's store's LRS credential (HTTP Basic): a process answers only its counterparty (or its own participant), anyone else gets a 404.";

export const dspPaths = {
  // ------------------------------------------------------------ negotiations: provider endpoints
  "/dsp/negotiations/request": {
    post: {
      tags,
      summary: "A consumer starts a negotiation on one of our offers (provider)",
      description: `${who} The offer must be a catalog offer of a store here, not the caller's own; the answer (an agreement, a counter-offer, or a termination: UnknownOffer, or PolicyDenied when the policy decision refuses the consumer) is sent later to the callbackAddress.`,
      requestBody: body("ContractRequestMessage"),
      responses: negotiationResponses("201", {
        "409": negotiationError("Exists: the consumerPid names a negotiation already"),
      }),
    },
  },
  "/dsp/negotiations/{pid}": {
    get: {
      tags,
      summary: "A negotiation's state (either role)",
      description: who,
      parameters: [pid("providerPid or consumerPid")],
      responses: {
        "200": ack("ContractNegotiation", "The negotiation"),
        "401": negotiationUnauthenticated,
        "404": negotiationError("NotFound"),
      },
    },
  },
  "/dsp/negotiations/{pid}/request": {
    post: {
      tags,
      summary: "The consumer's counter-offer (provider)",
      description: who,
      parameters: [pid("providerPid")],
      requestBody: body("ContractRequestMessage"),
      responses: negotiationResponses("200"),
    },
  },
  "/dsp/negotiations/{pid}/agreement/verification": {
    post: {
      tags,
      summary: "The consumer verifies the agreement (provider)",
      description: `${who} With Learnpool's signature extension the consumer's JWS over the agreement document is recorded in the agreement registry first (one that does not verify is refused and nothing moves); FINALIZED follows once every party has signed. Without it the negotiation stays VERIFIED until the consumer signs (see /agreement/signature).`,
      parameters: [pid("providerPid")],
      requestBody: body("ContractAgreementVerificationMessage"),
      responses: negotiationResponses("200", {
        "409": negotiationError(
          "SignatureRefused: the registry refuses the signature in the agreement's state",
        ),
      }),
    },
  },
  "/dsp/negotiations/{pid}/agreement/signature": {
    post: {
      tags,
      summary: "The consumer's signature, after a verification that carried none (Learnpool extension)",
      description: `${who} In state AGREED or VERIFIED; the JWS is recorded in the agreement registry, and a VERIFIED negotiation is finalized (FINALIZED sent to the consumer) when every party has signed.`,
      parameters: [pid("providerPid")],
      requestBody: {
        required: true,
        content: json({
          type: "object",
          properties: {
            "https://w3id.org/learnpool/dsp/signature": { type: "string" },
            signature: { type: "string", description: "The same, by its short name" },
          },
        }),
      },
      responses: negotiationResponses("200", {
        "409": negotiationError("SignatureRefused or NoAddress"),
        "502": negotiationError("CounterpartyRefused: the consumer refused the FINALIZED event"),
      }),
    },
  },
  // ------------------------------------------------------------ negotiations: consumer callbacks
  "/dsp/negotiations/offers": {
    post: {
      tags,
      summary: "A provider starts a negotiation with an offer to one of our participants (consumer)",
      description: `${who} The offer's assignee must be a store of this connector; the consumer decides later (accept or terminate).`,
      requestBody: body("ContractOfferMessage"),
      responses: negotiationResponses("201"),
    },
  },
  "/dsp/negotiations/{pid}/offers": {
    post: {
      tags,
      summary: "The provider's counter-offer (consumer)",
      description: who,
      parameters: [pid("consumerPid")],
      requestBody: body("ContractOfferMessage"),
      responses: negotiationResponses("200"),
    },
  },
  "/dsp/negotiations/{pid}/agreement": {
    post: {
      tags,
      summary: "The provider's agreement (consumer)",
      description: `${who} The agreement is checked (target, timestamp, assigner, assignee; the extension document against its digest), then verified, and signed when a signer is configured, in the background.`,
      parameters: [pid("consumerPid")],
      requestBody: body("ContractAgreementMessage"),
      responses: negotiationResponses("200"),
    },
  },
  // ------------------------------------------------------------ negotiations: both roles
  "/dsp/negotiations/{pid}/events": {
    post: {
      tags,
      summary: "ACCEPTED (to the provider) or FINALIZED (to the consumer)",
      description: `${who} The pid's role at this side decides which event it may be.`,
      parameters: [pid("providerPid or consumerPid")],
      requestBody: body("ContractNegotiationEventMessage"),
      responses: negotiationResponses("200"),
    },
  },
  "/dsp/negotiations/{pid}/termination": {
    post: {
      tags,
      summary: "The counterparty ends the negotiation (either role)",
      description: `${who} Allowed in any state but FINALIZED and TERMINATED.`,
      parameters: [pid("providerPid or consumerPid")],
      requestBody: body("ContractNegotiationTerminationMessage"),
      responses: negotiationResponses("200"),
    },
  },

  // ------------------------------------------------------------ transfers
  "/dsp/transfers/request": {
    post: {
      tags,
      summary: "A consumer asks for the data of a finalized agreement (provider)",
      description: `${who} Idempotent on consumerPid. The agreement must be a FINALIZED negotiation's with the caller, valid now in the registry, and permitted by the policy decision; only the HttpData-PULL format is served. The start (with the DataAddress and its bearer token) is sent later to the callbackAddress.`,
      requestBody: body("TransferRequestMessage"),
      responses: transferResponses("201", {
        "403": transferError(
          "AgreementNotValid (the agreement is not valid now), or PolicyDenied (the policy decision on the transfer refuses it); the reason says why",
        ),
      }),
    },
  },
  "/dsp/transfers/{pid}": {
    get: {
      tags,
      summary: "A transfer process's state (either role)",
      description: who,
      parameters: [pid("providerPid or consumerPid")],
      responses: {
        "200": ack("TransferProcess", "The transfer process"),
        "401": transferUnauthenticated,
        "404": transferError("NotFound"),
      },
    },
  },
  ...Object.fromEntries(
    (
      [
        ["start", "TransferStartMessage", "Start (to the consumer, with the DataAddress) or resume"],
        ["completion", "TransferCompletionMessage", "The counterparty completes the transfer"],
        ["suspension", "TransferSuspensionMessage", "The counterparty suspends the transfer"],
        ["termination", "TransferTerminationMessage", "The counterparty ends the transfer"],
      ] as const
    ).map(([verb, type, summary]) => [
      `/dsp/transfers/{pid}/${verb}`,
      {
        post: {
          tags,
          summary: `${summary} (either role)`,
          description: `${who} The message's pid of this side must be the path's. A provider's bearer token ends with its transfer (completion, termination).`,
          parameters: [pid("providerPid or consumerPid")],
          requestBody: body(type),
          responses: transferResponses("200"),
        },
      },
    ]),
  ),
  "/dsp/transfers/{pid}/data": {
    get: {
      tags,
      summary: "The pull data plane: one page of the provider store's statements",
      description:
        "The bearer token of the transfer's DataAddress, not a Basic credential. Before every page: the token, the transfer STARTED, the agreement still valid in the registry, and the enforcement decision. When the agreement no longer holds (AgreementNotValid) or the policy refuses the page (PolicyDenied), the transfer is terminated, the consumer told, and the page refused. Statements as stored, oldest first, one JSON object a line; `Learnpool-Next-Cursor` gives the next page's cursor.",
      security: [{ bearer: [] }],
      parameters: [
        pid("providerPid"),
        {
          name: "cursor",
          in: "query",
          description: "The `Learnpool-Next-Cursor` of the previous page",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "A page of statements (empty at the end)",
          headers: {
            "Learnpool-Next-Cursor": {
              description: "Present when there is a next page",
              schema: { type: "string" },
            },
          },
          content: { "application/x-ndjson": { schema: { type: "string" } } },
        },
        "401": {
          ...transferError("Unauthorized: no bearer token, or not this transfer's"),
          headers: { "WWW-Authenticate": { schema: { type: "string", const: "Bearer" } } },
        },
        "403": transferError(
          "TransferNotStarted; AgreementNotValid when the agreement no longer holds (expired, terminated, revoked); PolicyDenied when the policy decision refuses the page (a count exhausted…). On AgreementNotValid and PolicyDenied the transfer is terminated with the same code.",
        ),
      },
    },
  },
  // ------------------------------------------------------------ the consumer's starts (Learnpool's JSON API)
  "/contract/negotiations": {
    post: {
      tags: consumerTags,
      summary: "Ask a provider for one of its offers (start a negotiation as the consumer)",
      description:
        "A credential with scope `all` of the consumer store (the negotiation's participant). Sends the ContractRequestMessage to the provider's DSP address and records the negotiation REQUESTED; the rest (agreement, verification and signature, FINALIZED) follows through the /dsp callbacks. A provider's refusal keeps its 4xx status; the negotiation is then TERMINATED here.",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["provider", "offer"],
          properties: {
            provider: {
              type: "string",
              format: "uri",
              description: "The provider's Dataspace Protocol address",
            },
            offer: {
              description: "The offer's id (from the catalog), or an ODRL offer with its @id",
              oneOf: [{ type: "string" }, { type: "object", required: ["@id"] }],
            },
            counterparty: {
              type: "string",
              description:
                "The store the provider calls this side with (default: the peers file's, for that address)",
            },
          },
        }),
      },
      responses: {
        "201": { description: "The negotiation, REQUESTED", content: json(processView("Negotiation")) },
        "400": error("No provider, offer or counterparty, or a bad address"),
        "401": unauthenticated,
        "403": error("Not scope `all`"),
        "4XX": error("The provider's refusal, its status kept"),
        "502": error("The provider could not be reached, or failed"),
      },
    },
    get: {
      tags: consumerTags,
      summary: "The negotiations of the caller's store (either role)",
      description: "Any LRS credential: its store's negotiations.",
      responses: {
        "200": {
          description: "The negotiations",
          content: json({ type: "array", items: ref("Negotiation") }),
        },
        "401": unauthenticated,
      },
    },
  },
  "/contract/negotiations/{pid}": {
    get: {
      tags: consumerTags,
      summary: "One negotiation of the caller's store, with its messages",
      description: "Any LRS credential of the negotiation's participant store; anyone else gets a 404.",
      parameters: [pid("this side's")],
      responses: {
        "200": { description: "The negotiation", content: json(processView("Negotiation")) },
        "401": unauthenticated,
        "404": error("No such negotiation of the caller's store"),
      },
    },
  },
  "/contract/transfers": {
    post: {
      tags: consumerTags,
      summary: "Ask for the data of a FINALIZED agreement (start a transfer as the consumer)",
      description:
        "A credential with scope `all` of the consumer store. Sends the TransferRequestMessage (HttpData-PULL) to the provider; the provider starts the transfer with a DataAddress that this side keeps (its token is never shown).",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["negotiation"],
          properties: {
            negotiation: {
              type: "string",
              description: "The pid of a FINALIZED negotiation held as consumer",
            },
            format: { type: "string", default: "HttpData-PULL" },
          },
        }),
      },
      responses: {
        "201": { description: "The transfer, REQUESTED", content: json(ref("Transfer")) },
        "400": error("No negotiation, or a bad format"),
        "401": unauthenticated,
        "403": error("Not scope `all`"),
        "404": error("No such negotiation of the caller's store"),
        "409": error("The negotiation is not FINALIZED, or not held as consumer"),
        "4XX": error("The provider's refusal, its status kept (403: the agreement or the policy said no)"),
        "502": error("The provider could not be reached, or failed"),
      },
    },
    get: {
      tags: consumerTags,
      summary: "The transfers of the caller's store (either role)",
      description: "Any LRS credential: its store's transfers, without tokens.",
      responses: {
        "200": { description: "The transfers", content: json({ type: "array", items: ref("Transfer") }) },
        "401": unauthenticated,
      },
    },
  },
  "/contract/transfers/{pid}": {
    get: {
      tags: consumerTags,
      summary: "One transfer of the caller's store, with its messages",
      description: "Any LRS credential of the transfer's participant store; anyone else gets a 404.",
      parameters: [pid("this side's")],
      responses: {
        "200": { description: "The transfer", content: json(processView("Transfer")) },
        "401": unauthenticated,
        "404": error("No such transfer of the caller's store"),
      },
    },
  },
  "/contract/transfers/{pid}/data": {
    get: {
      tags: consumerTags,
      summary: "Pull one page of the data through this side",
      description:
        "A credential with scope `all` of the consumer store: although the page is stored nowhere here, each page pulled makes the provider count one use of the agreement (an ODRL count), so a pull spends what the agreement allows and a read-only credential must not exhaust it. This side presents the transfer's bearer token at the provider's data endpoint and relays the page: JSON lines, the next cursor in `Learnpool-Next-Cursor`. The provider re-checks the agreement and the policy at every page.",
      parameters: [
        pid("consumerPid"),
        {
          name: "cursor",
          in: "query",
          description: "The `Learnpool-Next-Cursor` of the previous page",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "A page of statements (empty at the end)",
          headers: {
            "Learnpool-Next-Cursor": {
              description: "Present when there is a next page",
              schema: { type: "string" },
            },
          },
          content: { "application/x-ndjson": { schema: { type: "string" } } },
        },
        "401": unauthenticated,
        "403": error("Not scope `all` (a pull counts a use at the provider)"),
        "404": error("No such transfer of the caller's store"),
        "409": error("The transfer has no DataAddress to pull from (not started, or not the consumer's)"),
        "4XX": error(
          "The provider's refusal, its status kept (403: not STARTED, or the agreement no longer holds)",
        ),
        "502": error("The provider could not be reached, or failed"),
      },
    },
  },
  ...Object.fromEntries(
    (
      [
        ["completion", "Complete a transfer of the caller's store"],
        ["suspension", "Suspend a transfer of the caller's store"],
        ["termination", "Terminate a transfer of the caller's store"],
      ] as const
    ).map(([verb, summary]) => [
      `/contract/transfers/{pid}/${verb}`,
      {
        post: {
          tags: consumerTags,
          summary,
          description:
            "A credential with scope `all` of the transfer's participant store (either role). Sends the message to the counterparty; the state moves only if it is accepted (a termination stands even if the counterparty cannot be told). A provider's bearer token ends with its transfer.",
          parameters: [pid("this side's")],
          requestBody: {
            required: false,
            content: json({
              type: "object",
              properties: {
                reason: { type: "string", description: "Told to the counterparty (not on completion)" },
              },
            }),
          },
          responses: {
            "200": { description: "The transfer after the message", content: json(ref("Transfer")) },
            "400": error("A bad body, or the state does not allow the message"),
            "401": unauthenticated,
            "403": error("Not scope `all`"),
            "404": error("No such transfer of the caller's store"),
            "409": error("No address for the counterparty"),
            "4XX": error("The counterparty's refusal, its status kept"),
            "502": error("The counterparty could not be reached, or failed"),
          },
        },
      },
    ]),
  ),
};
