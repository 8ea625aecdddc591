/**
 * The Dataspace Protocol 2025-1 messages: builders that write each one in the protocol's compact form
 * (its context IRI, unprefixed terms), and readers that check a received body and say which field is
 * missing or wrong, and where. The context is never fetched: readers recognise the compact terms and
 * also the `dspace:`-prefixed and full-IRI forms other connectors write. Pure: no I/O.
 */
import { DspProtocolError } from "./states.js";

export const DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld";
/** Where the context maps the protocol's terms (unchanged since 0.8). */
export const DSPACE_NS = "https://w3id.org/dspace/v0.8/";
/** Learnpool's extension properties, written as full IRIs so that any JSON-LD processor keeps them. */
export const LEARNPOOL_DSP_NS = "https://w3id.org/learnpool/dsp/";
/** On a ContractAgreementMessage: the digest (as the agreement registry computes it) the parties sign. */
export const EXT_AGREEMENT_DIGEST = `${LEARNPOOL_DSP_NS}agreementDigest`;
/**
 * On a ContractAgreementMessage: the RFC 8785 canonical text of Learnpool's agreement document (the
 * ODRL Agreement wrapped with the parties, validity and offers), exactly what every party signs.
 */
export const EXT_AGREEMENT_DOCUMENT = `${LEARNPOOL_DSP_NS}agreementDocument`;
/**
 * On a ContractAgreementVerificationMessage: the consumer's detached JWS (RFC 7797, Ed25519) over the
 * agreement document's canonical text; its header names the key (kid).
 */
export const EXT_SIGNATURE = `${LEARNPOOL_DSP_NS}signature`;
export const HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP";

const PREFIXES = ["dspace:", DSPACE_NS, "https://w3id.org/dspace/2025/1/", "https://w3id.org/dspace/2024/1/"];

export type JsonObject = Record<string, unknown>;

export interface EndpointProperty {
  name: string;
  value: string;
}

export interface DataAddress {
  endpointType: string;
  endpoint?: string;
  endpointProperties?: EndpointProperty[];
}

export interface ContractRequestMessage {
  consumerPid: string;
  providerPid?: string;
  /** An ODRL Offer with its `@id` (the policy itself, or only the reference). */
  offer: JsonObject;
  callbackAddress?: string;
}
export interface ContractOfferMessage {
  providerPid: string;
  consumerPid?: string;
  offer: JsonObject;
  callbackAddress?: string;
}
export interface ContractAgreementMessage {
  providerPid: string;
  consumerPid: string;
  agreement: JsonObject;
  callbackAddress?: string;
  /** Extension: SHA-256 (hex) of agreementDocument. */
  agreementDigest?: string;
  /** Extension: the canonical text of the agreement document the parties sign. */
  agreementDocument?: string;
}
export interface ContractAgreementVerificationMessage {
  providerPid: string;
  consumerPid: string;
  /** Extension: the consumer's JWS over the agreement document; a plain connector sends none. */
  signature?: string;
}
export type NegotiationEventType = "ACCEPTED" | "FINALIZED";
export interface ContractNegotiationEventMessage {
  providerPid: string;
  consumerPid: string;
  eventType: NegotiationEventType;
}
export interface TerminationFields {
  providerPid: string;
  consumerPid: string;
  code?: string;
  reason?: unknown[];
}
export type ContractNegotiationTerminationMessage = TerminationFields;
export interface ContractNegotiation {
  providerPid: string;
  consumerPid: string;
  state: string;
}
export interface ProtocolErrorBody {
  providerPid?: string;
  consumerPid?: string;
  code?: string;
  reason?: unknown[];
}
export interface TransferRequestMessage {
  consumerPid: string;
  agreementId: string;
  format: string;
  dataAddress?: DataAddress;
  callbackAddress: string;
}
export interface TransferStartMessage {
  providerPid: string;
  consumerPid: string;
  dataAddress?: DataAddress;
}
export type TransferSuspensionMessage = TerminationFields;
export interface TransferCompletionMessage {
  providerPid: string;
  consumerPid: string;
}
export type TransferTerminationMessage = TerminationFields;
export interface TransferProcess {
  providerPid: string;
  consumerPid: string;
  state: string;
}

export interface MessageTypes {
  ContractRequestMessage: ContractRequestMessage;
  ContractOfferMessage: ContractOfferMessage;
  ContractAgreementMessage: ContractAgreementMessage;
  ContractAgreementVerificationMessage: ContractAgreementVerificationMessage;
  ContractNegotiationEventMessage: ContractNegotiationEventMessage;
  ContractNegotiationTerminationMessage: ContractNegotiationTerminationMessage;
  ContractNegotiation: ContractNegotiation;
  ContractNegotiationError: ProtocolErrorBody;
  TransferRequestMessage: TransferRequestMessage;
  TransferStartMessage: TransferStartMessage;
  TransferSuspensionMessage: TransferSuspensionMessage;
  TransferCompletionMessage: TransferCompletionMessage;
  TransferTerminationMessage: TransferTerminationMessage;
  TransferProcess: TransferProcess;
  TransferError: ProtocolErrorBody;
}
export type MessageType = keyof MessageTypes;

type FieldKind = "string" | "object" | "array" | "eventType" | "dataAddress";
interface Field {
  kind: FieldKind;
  required: boolean;
  /** The key in the message when it is an extension (a full IRI). */
  iri?: string;
}
const req = (kind: FieldKind): Field => ({ kind, required: true });
const opt = (kind: FieldKind): Field => ({ kind, required: false });
const ext = (iri: string): Field => ({ kind: "string", required: false, iri });

const termination = {
  providerPid: req("string"),
  consumerPid: req("string"),
  code: opt("string"),
  reason: opt("array"),
};
const errorBody = {
  providerPid: opt("string"),
  consumerPid: opt("string"),
  code: opt("string"),
  reason: opt("array"),
};

/** Every message's fields, from the 2025-1 JSON schemas. */
const SCHEMAS: { [T in MessageType]: Record<string, Field> } = {
  ContractRequestMessage: {
    consumerPid: req("string"),
    providerPid: opt("string"),
    offer: req("object"),
    callbackAddress: opt("string"),
  },
  ContractOfferMessage: {
    providerPid: req("string"),
    consumerPid: opt("string"),
    offer: req("object"),
    callbackAddress: opt("string"),
  },
  ContractAgreementMessage: {
    providerPid: req("string"),
    consumerPid: req("string"),
    agreement: req("object"),
    callbackAddress: opt("string"),
    agreementDigest: ext(EXT_AGREEMENT_DIGEST),
    agreementDocument: ext(EXT_AGREEMENT_DOCUMENT),
  },
  ContractAgreementVerificationMessage: {
    providerPid: req("string"),
    consumerPid: req("string"),
    signature: ext(EXT_SIGNATURE),
  },
  ContractNegotiationEventMessage: {
    providerPid: req("string"),
    consumerPid: req("string"),
    eventType: req("eventType"),
  },
  ContractNegotiationTerminationMessage: termination,
  ContractNegotiation: { providerPid: req("string"), consumerPid: req("string"), state: req("string") },
  ContractNegotiationError: errorBody,
  TransferRequestMessage: {
    consumerPid: req("string"),
    agreementId: req("string"),
    format: req("string"),
    dataAddress: opt("dataAddress"),
    callbackAddress: req("string"),
  },
  TransferStartMessage: {
    providerPid: req("string"),
    consumerPid: req("string"),
    dataAddress: opt("dataAddress"),
  },
  TransferSuspensionMessage: termination,
  TransferCompletionMessage: { providerPid: req("string"), consumerPid: req("string") },
  TransferTerminationMessage: termination,
  TransferProcess: { providerPid: req("string"), consumerPid: req("string"), state: req("string") },
  TransferError: errorBody,
};

export const MESSAGE_TYPES = Object.keys(SCHEMAS) as MessageType[];

/** A body that is not the message it should be; the binding answers 400 with it. */
export class DspMessageError extends DspProtocolError {
  constructor(message: string) {
    super(400, "InvalidMessage", message);
    this.name = "DspMessageError";
  }
}

/** Builds a message in compact form: the context, the type, the fields given (extensions as IRIs). */
export function buildMessage<T extends MessageType>(type: T, fields: MessageTypes[T]): JsonObject {
  const schema = SCHEMAS[type];
  const out: JsonObject = { "@context": [DSP_CONTEXT], "@type": type };
  for (const [name, value] of Object.entries(fields as unknown as JsonObject)) {
    if (value === undefined) continue;
    const field = schema[name];
    if (!field) throw new Error(`${type} has no field ${name}`);
    out[field.iri ?? name] = field.kind === "dataAddress" ? dataAddressJson(value as DataAddress) : value;
  }
  return out;
}

function dataAddressJson(address: DataAddress): JsonObject {
  return {
    "@type": "DataAddress",
    endpointType: address.endpointType,
    ...(address.endpoint !== undefined ? { endpoint: address.endpoint } : {}),
    ...(address.endpointProperties
      ? {
          endpointProperties: address.endpointProperties.map((p) => ({
            "@type": "EndpointProperty",
            name: p.name,
            value: p.value,
          })),
        }
      : {}),
  };
}

/** The term a key or type names, without a `dspace:` prefix or namespace. */
export function term(name: string): string {
  for (const prefix of PREFIXES) if (name.startsWith(prefix)) return name.slice(prefix.length);
  return name;
}

/** One value from compact or expanded JSON-LD: a one-element array, `{@value}` or `{@id}` unwrapped. */
function scalar(value: unknown): unknown {
  let v = value;
  if (Array.isArray(v) && v.length === 1) v = v[0];
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as JsonObject;
    const keys = Object.keys(o).filter((k) => k !== "@type" && k !== "@language");
    if (keys.length === 1 && (keys[0] === "@value" || keys[0] === "@id")) return o[keys[0]];
  }
  return v;
}

/** The message's own keys by term: `consumerPid`, `dspace:consumerPid` and the IRI are one field. */
function byTerm(body: JsonObject): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(body)) {
    if (key.startsWith(LEARNPOOL_DSP_NS)) fields.set(key, value);
    else fields.set(term(key), value);
  }
  return fields;
}

function typeOf(body: JsonObject): string | undefined {
  const t = scalar(body["@type"] ?? body.type);
  return typeof t === "string" ? term(t) : undefined;
}

/**
 * Reads `body` as a message of `type`: checks the context (when written in compact form), the type and
 * every field. Throws DspMessageError naming the message, the field and what is wrong.
 */
export function readMessage<T extends MessageType>(type: T, body: unknown): MessageTypes[T] {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new DspMessageError(`${type}: the body must be a JSON object`);
  }
  const o = body as JsonObject;
  const rawType = scalar(o["@type"]);
  if (rawType === undefined) throw new DspMessageError(`${type}: @type is missing`);
  const found = typeOf(o);
  if (found !== type) {
    throw new DspMessageError(`${type}: @type is ${JSON.stringify(rawType)}, expected ${type}`);
  }
  // Compact terms mean nothing without the context that defines them.
  if (rawType === type) {
    const context = o["@context"];
    const contexts = Array.isArray(context) ? context : [context];
    if (context === undefined) throw new DspMessageError(`${type}: @context is missing (${DSP_CONTEXT})`);
    if (!contexts.some((c) => typeof c === "string" && c.startsWith("https://w3id.org/dspace/"))) {
      throw new DspMessageError(`${type}: @context does not include ${DSP_CONTEXT}`);
    }
  }
  const fields = byTerm(o);
  const out: JsonObject = {};
  for (const [name, field] of Object.entries(SCHEMAS[type])) {
    const raw = fields.get(field.iri ?? name);
    if (raw === undefined || raw === null) {
      if (field.required) throw new DspMessageError(`${type}: ${name} is missing`);
      continue;
    }
    out[name] = readField(type, name, field.kind, raw);
  }
  return out as unknown as MessageTypes[T];
}

function readField(type: string, name: string, kind: FieldKind, raw: unknown): unknown {
  const where = `${type}: ${name}`;
  switch (kind) {
    case "string": {
      const v = scalar(raw);
      if (typeof v !== "string" || v === "") throw new DspMessageError(`${where} must be a non-empty string`);
      return v;
    }
    case "eventType": {
      const v = scalar(raw);
      const t = typeof v === "string" ? term(v) : undefined;
      if (t !== "ACCEPTED" && t !== "FINALIZED") {
        throw new DspMessageError(`${where} must be ACCEPTED or FINALIZED, not ${JSON.stringify(v)}`);
      }
      return t;
    }
    case "array":
      return Array.isArray(raw) ? raw : [raw];
    case "object": {
      const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        throw new DspMessageError(`${where} must be an object`);
      }
      if (typeof (v as JsonObject)["@id"] !== "string") {
        throw new DspMessageError(`${where}.@id is missing`);
      }
      return v;
    }
    case "dataAddress":
      return readDataAddress(where, raw);
  }
}

function readDataAddress(where: string, raw: unknown): DataAddress {
  const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new DspMessageError(`${where} must be an object`);
  }
  const fields = byTerm(v as JsonObject);
  const endpointType = scalar(fields.get("endpointType"));
  if (typeof endpointType !== "string" || endpointType === "") {
    throw new DspMessageError(`${where}.endpointType is missing`);
  }
  const address: DataAddress = { endpointType };
  const endpoint = scalar(fields.get("endpoint"));
  if (endpoint !== undefined) {
    if (typeof endpoint !== "string") throw new DspMessageError(`${where}.endpoint must be a string`);
    address.endpoint = endpoint;
  }
  const props = fields.get("endpointProperties");
  if (props !== undefined) {
    const list = Array.isArray(props) ? props : [props];
    address.endpointProperties = list.map((p, i) => {
      const pf = p !== null && typeof p === "object" ? byTerm(p as JsonObject) : new Map<string, unknown>();
      const name = scalar(pf.get("name"));
      const value = scalar(pf.get("value"));
      if (typeof name !== "string")
        throw new DspMessageError(`${where}.endpointProperties[${i}].name is missing`);
      if (typeof value !== "string") {
        throw new DspMessageError(`${where}.endpointProperties[${i}].value must be a string`);
      }
      return { name, value };
    });
  }
  return address;
}

/** The @type of a body, by term (for routes that accept more than one). */
export function messageTypeOf(body: unknown): string | undefined {
  return body !== null && typeof body === "object" && !Array.isArray(body)
    ? typeOf(body as JsonObject)
    : undefined;
}

/** The value of an endpoint property, by name (`authorization`, `authType`). */
export function endpointProperty(address: DataAddress | undefined, name: string): string | undefined {
  return address?.endpointProperties?.find((p) => term(p.name) === name)?.value;
}

/** The local name of a key or term: after the last `/`, `#` or `:` (a prefix or namespace dropped). */
function localName(name: string): string {
  return name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("#"), name.lastIndexOf(":")) + 1);
}

/**
 * Whether a key or an endpoint property's name holds a credential, in any form a peer may write it:
 * `authorization`, `dspace:authorization`, a full IRI (`https://w3id.org/dspace/v0.8/authorization`,
 * the 2025-1 namespace, another connector's), a token, secret, password or API key.
 */
export function isSecretName(name: string): boolean {
  return /authorization|token|secret|password|credential|api_?key/i.test(localName(name));
}

const REDACTED = "[redacted]";

/** An endpoint property's name, whatever its form (`name`, `dspace:name`, an IRI, `{@value}`, `[…]`). */
function propertyName(o: JsonObject): string | undefined {
  for (const [key, value] of Object.entries(o)) {
    if (localName(key) !== "name") continue;
    const v = scalar(value);
    if (typeof v === "string") return v;
  }
  return undefined;
}

/**
 * A copy of a message (or any JSON) with every credential replaced by `replacement`, wherever it is:
 * the value of any endpoint property whose name is a secret's (see isSecretName), in compact, prefixed
 * or expanded form, and the value of any key that names one. What history, audit and views may keep.
 */
export function redactSecrets<T>(value: T, replacement = REDACTED): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== "object") return v;
    const o = v as JsonObject;
    const name = propertyName(o);
    const secretProperty = name !== undefined && isSecretName(name);
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(o)) {
      if (key.startsWith("@") && key !== "@value") out[key] = walk(inner);
      else if (isSecretName(key)) out[key] = replacement;
      else if (secretProperty && localName(key) === "value") out[key] = replacement;
      else out[key] = walk(inner);
    }
    return out;
  };
  return walk(value) as T;
}

/**
 * A policy in a comparable form: `@context` dropped, `odrl:`/`dspace:` prefixes and the ODRL namespace
 * removed from keys and string values, so that the same offer written compact or prefixed compares equal.
 */
export function comparablePolicy(policy: unknown): unknown {
  const strip = (s: string) =>
    s.startsWith("odrl:")
      ? s.slice(5)
      : s.startsWith("http://www.w3.org/ns/odrl/2/")
        ? s.slice("http://www.w3.org/ns/odrl/2/".length)
        : term(s);
  if (Array.isArray(policy)) {
    const items = policy.map(comparablePolicy);
    return items.length === 1 ? items[0] : items;
  }
  if (policy !== null && typeof policy === "object") {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(policy as JsonObject)) {
      if (k === "@context") continue;
      out[strip(k)] = comparablePolicy(v);
    }
    return out;
  }
  return typeof policy === "string" ? strip(policy) : policy;
}
