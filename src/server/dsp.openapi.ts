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
/** The binding's 401: answered before the body is read, as Learnpool's error body. */
const unauthenticated = {
  description:
    "No valid LRS credential (HTTP Basic): Learnpool's `{error}` body, not a protocol error; `WWW-Authenticate: Basic`",
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
  "401": unauthenticated,
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
  "401": unauthenticated,
  ...(ok === "200"
    ? { "404": transferError("NotFound: no such transfer process with the caller as counterparty") }
    : {}),
  ...extra,
});

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
      description: "NotFound, InvalidMessage, InvalidStateTransition, Unauthorized, AgreementNotValid, …",
    },
    reason,
  }),
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
        "401": unauthenticated,
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
        "401": unauthenticated,
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
        "The bearer token of the transfer's DataAddress, not a Basic credential. Before every page: the token, the transfer STARTED, the agreement still valid in the registry, and the enforcement decision. When the agreement no longer holds the transfer is terminated, the consumer told, and the page refused. Statements as stored, oldest first, one JSON object a line; `Learnpool-Next-Cursor` gives the next page's cursor.",
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
        "403": transferError("TransferNotStarted, or AgreementNotValid (the transfer is terminated)"),
      },
    },
  },
};
