import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildMessage,
  DSP_CONTEXT,
  DspMessageError,
  EXT_SIGNATURE,
  MESSAGE_TYPES,
  type MessageType,
  type MessageTypes,
  readMessage,
  sameOffer,
} from "../../src/contract/dsp/index.js";

const P = "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab";
const C = "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833";
const OFFER = {
  "@id": "urn:offer:1",
  "@type": "Offer",
  target: "urn:dataset:1",
  permission: [{ action: "use" }],
};
const ADDRESS = {
  endpointType: "https://w3id.org/idsa/v4.1/HTTP",
  endpoint: "https://provider.example/data",
  endpointProperties: [
    { name: "authorization", value: "secret" },
    { name: "authType", value: "bearer" },
  ],
};

/** One valid instance of every message, as the builders take it. */
const SAMPLES: { [T in MessageType]: MessageTypes[T] } = {
  ContractRequestMessage: { consumerPid: C, offer: OFFER, callbackAddress: "https://consumer.example/dsp" },
  ContractOfferMessage: {
    providerPid: P,
    consumerPid: C,
    offer: OFFER,
    callbackAddress: "https://p.example/dsp",
  },
  ContractAgreementMessage: {
    providerPid: P,
    consumerPid: C,
    agreement: { "@id": "urn:uuid:1", "@type": "Agreement", target: "urn:dataset:1" },
    agreementDigest: "ab",
    agreementDocument: "{}",
  },
  ContractAgreementVerificationMessage: { providerPid: P, consumerPid: C, signature: "h..s" },
  ContractNegotiationEventMessage: { providerPid: P, consumerPid: C, eventType: "FINALIZED" },
  ContractNegotiationTerminationMessage: { providerPid: P, consumerPid: C, code: "x", reason: ["why"] },
  ContractNegotiation: { providerPid: P, consumerPid: C, state: "REQUESTED" },
  ContractNegotiationError: {
    providerPid: P,
    consumerPid: C,
    code: "InvalidStateTransition",
    reason: ["no"],
  },
  TransferRequestMessage: {
    consumerPid: C,
    agreementId: "urn:uuid:1",
    format: "HttpData-PULL",
    callbackAddress: "https://consumer.example/dsp",
  },
  TransferStartMessage: { providerPid: P, consumerPid: C, dataAddress: ADDRESS },
  TransferSuspensionMessage: { providerPid: P, consumerPid: C, reason: ["pause"] },
  TransferCompletionMessage: { providerPid: P, consumerPid: C },
  TransferTerminationMessage: {
    providerPid: P,
    consumerPid: C,
    code: "AgreementNotValid",
    reason: ["ended"],
  },
  TransferProcess: { providerPid: P, consumerPid: C, state: "STARTED" },
  TransferError: { consumerPid: C, code: "x" },
};

describe("DSP messages", () => {
  it.each(MESSAGE_TYPES)("%s: built in compact form and read back unchanged", (type) => {
    const built = buildMessage(type, SAMPLES[type] as never);
    expect(built["@context"]).toEqual([DSP_CONTEXT]);
    expect(built["@type"]).toBe(type);
    expect(readMessage(type, built)).toEqual(SAMPLES[type]);
  });

  it.each(MESSAGE_TYPES)("%s: read from the dspace:-prefixed form", (type) => {
    const built = buildMessage(type, SAMPLES[type] as never);
    const prefixed: Record<string, unknown> = { "@context": "https://w3id.org/dspace/2025/1/context.json" };
    for (const [k, v] of Object.entries(built)) {
      if (k === "@context") continue;
      prefixed[k === "@type" ? k : k.startsWith("https://") ? k : `dspace:${k}`] =
        k === "@type" ? `dspace:${v}` : v;
    }
    if (typeof prefixed["dspace:eventType"] === "string")
      prefixed["dspace:eventType"] = `dspace:${prefixed["dspace:eventType"]}`;
    expect(readMessage(type, prefixed)).toEqual(SAMPLES[type]);
  });

  it("reads the expanded form (arrays of @value / @id)", () => {
    const expanded = {
      "@type": ["https://w3id.org/dspace/v0.8/ContractNegotiationEventMessage"],
      "https://w3id.org/dspace/v0.8/providerPid": [{ "@value": P }],
      "https://w3id.org/dspace/v0.8/consumerPid": [{ "@value": C }],
      "https://w3id.org/dspace/v0.8/eventType": [{ "@id": "https://w3id.org/dspace/v0.8/ACCEPTED" }],
    };
    expect(readMessage("ContractNegotiationEventMessage", expanded)).toEqual({
      providerPid: P,
      consumerPid: C,
      eventType: "ACCEPTED",
    });
  });

  it("the signature extension is a full IRI", () => {
    const built = buildMessage("ContractAgreementVerificationMessage", {
      providerPid: P,
      consumerPid: C,
      signature: "h..s",
    });
    expect(built[EXT_SIGNATURE]).toBe("h..s");
    expect(built).not.toHaveProperty("signature");
  });

  const refusals: [string, MessageType, unknown, RegExp][] = [
    ["not an object", "ContractRequestMessage", [], /ContractRequestMessage: the body must be a JSON object/],
    ["no @type", "ContractRequestMessage", { consumerPid: C }, /@type is missing/],
    [
      "another @type",
      "ContractRequestMessage",
      { "@context": [DSP_CONTEXT], "@type": "ContractOfferMessage" },
      /@type is "ContractOfferMessage", expected ContractRequestMessage/,
    ],
    [
      "no @context",
      "ContractNegotiation",
      { "@type": "ContractNegotiation", providerPid: P, consumerPid: C, state: "X" },
      /@context is missing/,
    ],
    [
      "another context",
      "ContractNegotiation",
      {
        "@context": "https://example.org/ctx",
        "@type": "ContractNegotiation",
        providerPid: P,
        consumerPid: C,
        state: "X",
      },
      /@context does not include/,
    ],
    [
      "missing consumerPid",
      "ContractRequestMessage",
      { "@context": [DSP_CONTEXT], "@type": "ContractRequestMessage", offer: OFFER },
      /ContractRequestMessage: consumerPid is missing/,
    ],
    [
      "offer without @id",
      "ContractRequestMessage",
      {
        "@context": [DSP_CONTEXT],
        "@type": "ContractRequestMessage",
        consumerPid: C,
        offer: { target: "x" },
      },
      /ContractRequestMessage: offer.@id is missing/,
    ],
    [
      "offer not an object",
      "ContractRequestMessage",
      { "@context": [DSP_CONTEXT], "@type": "ContractRequestMessage", consumerPid: C, offer: "urn:offer:1" },
      /offer must be an object/,
    ],
    [
      "empty pid",
      "TransferCompletionMessage",
      { "@context": [DSP_CONTEXT], "@type": "TransferCompletionMessage", providerPid: "", consumerPid: C },
      /providerPid must be a non-empty string/,
    ],
    [
      "wrong eventType",
      "ContractNegotiationEventMessage",
      {
        "@context": [DSP_CONTEXT],
        "@type": "ContractNegotiationEventMessage",
        providerPid: P,
        consumerPid: C,
        eventType: "AGREED",
      },
      /eventType must be ACCEPTED or FINALIZED, not "AGREED"/,
    ],
    [
      "dataAddress without endpointType",
      "TransferStartMessage",
      {
        "@context": [DSP_CONTEXT],
        "@type": "TransferStartMessage",
        providerPid: P,
        consumerPid: C,
        dataAddress: { endpoint: "x" },
      },
      /TransferStartMessage: dataAddress.endpointType is missing/,
    ],
    [
      "endpoint property without value",
      "TransferStartMessage",
      {
        "@context": [DSP_CONTEXT],
        "@type": "TransferStartMessage",
        providerPid: P,
        consumerPid: C,
        dataAddress: { endpointType: "t", endpointProperties: [{ name: "authorization" }] },
      },
      /dataAddress.endpointProperties\[0\].value must be a string/,
    ],
    [
      "transfer request without format",
      "TransferRequestMessage",
      {
        "@context": [DSP_CONTEXT],
        "@type": "TransferRequestMessage",
        consumerPid: C,
        agreementId: "a",
        callbackAddress: "https://c",
      },
      /TransferRequestMessage: format is missing/,
    ],
  ];
  it.each(refusals)("refuses %s, naming the field", (_name, type, body, expected) => {
    expect(() => readMessage(type, body)).toThrow(DspMessageError);
    expect(() => readMessage(type, body)).toThrow(expected);
  });

  it("reads the specification's 2025-1 examples (fixtures)", () => {
    const dir = new URL("./fixtures/dsp/", import.meta.url);
    const agreement = JSON.parse(readFileSync(new URL("contract-agreement-message.json", dir), "utf8"));
    expect(readMessage("ContractAgreementMessage", agreement).agreement["@id"]).toBe(
      "urn:uuid:e8dc8655-44c2-46ef-b701-4cffdc2faa44",
    );
    const start = JSON.parse(readFileSync(new URL("transfer-start-message.json", dir), "utf8"));
    expect(readMessage("TransferStartMessage", start).dataAddress?.endpointProperties?.[0]?.name).toBe(
      "authorization",
    );
  });

  it("an offer by reference or with the same rules is the offer; other rules are a counter-offer", () => {
    const offered = {
      datasetId: "urn:dataset:1",
      policy: { "@context": "http://www.w3.org/ns/odrl.jsonld", permission: [{ action: "use" }] },
    };
    expect(sameOffer({ "@id": "urn:offer:1" }, offered)).toBe(true);
    expect(
      sameOffer(
        {
          "@id": "urn:offer:1",
          "@type": "Offer",
          target: "urn:dataset:1",
          "odrl:permission": [{ "odrl:action": "odrl:use" }],
        },
        offered,
      ),
    ).toBe(true);
    expect(sameOffer({ "@id": "urn:offer:1", permission: [{ action: "distribute" }] }, offered)).toBe(false);
    expect(
      sameOffer({ "@id": "urn:offer:1", target: "urn:dataset:2", permission: [{ action: "use" }] }, offered),
    ).toBe(false);
  });
});
