/**
 * Signed statements (xAPI 1.0.3 Data 2.6, xAPI 2.0 / IEEE 9274.1.1 §4.2.6): the JWS carried in a signature
 * attachment must be a compact JWS with an RS256/RS384/RS512 algorithm whose payload is a statement logically
 * equivalent to the received one, and, when its header carries an x5c chain, must verify against the first
 * certificate. The LRS checks that a signature is well formed; it does not decide whom to trust.
 */
import { X509Certificate } from "node:crypto";
import { base64url, compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from "jose";
import type { Problem } from "./problem.js";
import type { Statement, XapiVersion } from "./types.js";

export const SIGNATURE_ALGORITHMS = ["RS256", "RS384", "RS512"] as const;

export interface VerifySignatureOptions {
  /** Where the signature sits, for the problems' paths (default "signature"). */
  path?: string;
}

type Rule = "115" | "116" | "117" | "x5c" | "equivalent";

function ruleOf(rule: Rule, version: XapiVersion): string {
  const section = version === "2.0.0" ? "xAPI 2.0 4.2.6" : "Data 2.6";
  switch (rule) {
    case "115":
      return `XAPI-00115 (${section}${version === "2.0.0" ? "" : ".s4.b1"})`;
    case "116":
      return `XAPI-00116 (${section}${version === "2.0.0" ? "" : ".s4.b3"})`;
    case "117":
      return `XAPI-00117 (${section}${version === "2.0.0" ? "" : ".s4.b4"})`;
    case "x5c":
      return `${section}${version === "2.0.0" ? "" : ".s5.b3.b3"} (x5c)`;
    case "equivalent":
      return `${section}${version === "2.0.0" ? "" : ".s5.b3.b2"} (statement comparison)`;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Checks one JWS against the statement it signs. Returns no problem when the signature is well formed; every
 * problem means the LRS must refuse the statement with 400 Bad Request.
 */
export async function verifyStatementSignature(
  statement: Statement,
  jws: string,
  version: XapiVersion,
  options: VerifySignatureOptions = {},
): Promise<Problem[]> {
  const path = options.path ?? "signature";
  const problem = (rule: Rule, message: string, at = path): Problem[] => [
    { path: at, rule: ruleOf(rule, version), message },
  ];

  const token = jws.trim();
  if (token.startsWith("{")) {
    return problem(
      "115",
      "the signature uses the JWS JSON serialization; the JWS Compact Serialization is required",
    );
  }
  const segments = token.split(".");
  if (segments.length !== 3) {
    return problem(
      "115",
      `the signature is not a JWS in compact serialization: expected 3 dot-separated parts, found ${segments.length}`,
    );
  }
  const [headerSegment = "", payloadSegment = "", signatureSegment = ""] = segments;
  const names = ["header", "payload", "signature"] as const;
  for (const [i, segment] of [headerSegment, payloadSegment, signatureSegment].entries()) {
    if (segment === "" || !BASE64URL.test(segment)) {
      return problem("115", `the JWS ${names[i]} is ${segment === "" ? "empty" : "not base64url"}`);
    }
  }

  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return problem("115", "the JWS header is not a base64url-encoded JSON object");
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !(SIGNATURE_ALGORITHMS as readonly string[]).includes(alg)) {
    return problem(
      "117",
      `the JWS algorithm is ${typeof alg === "string" ? `"${alg}"` : "missing"}; it must be RS256, RS384 or RS512`,
      `${path}.header.alg`,
    );
  }
  if (header.b64 === false) {
    return problem(
      "116",
      "the JWS payload is unencoded (b64: false); it must be the base64url-encoded statement",
    );
  }

  let payload: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(base64url.decode(payloadSegment));
    payload = JSON.parse(text);
  } catch {
    return problem(
      "116",
      "the JWS payload is not a valid JSON serialization of a statement",
      `${path}.payload`,
    );
  }
  if (!isRecord(payload)) {
    return problem("116", "the JWS payload is JSON but not a statement object", `${path}.payload`);
  }

  const problems: Problem[] = [];
  if (header.x5c !== undefined) {
    problems.push(...(await checkX5c(token, header.x5c, alg, path, version)));
  }
  const difference = signedStatementDifference(payload, statement, version);
  if (difference !== undefined) {
    problems.push(
      ...problem(
        "equivalent",
        `the signed statement in the JWS payload differs from the received statement at ${difference}`,
        `${path}.payload${difference === "$" ? "" : difference.slice(1)}`,
      ),
    );
  }
  return problems;
}

/** RFC 7515 §4.1.6: x5c is an array of base64 (not base64url) DER certificates, the signer's first. */
async function checkX5c(
  token: string,
  x5c: unknown,
  alg: string,
  path: string,
  version: XapiVersion,
): Promise<Problem[]> {
  const at = `${path}.header.x5c`;
  const fail = (message: string): Problem[] => [{ path: at, rule: ruleOf("x5c", version), message }];
  if (!Array.isArray(x5c) || x5c.length === 0) return fail("x5c must be a non-empty array of certificates");

  const certificates: X509Certificate[] = [];
  for (const [i, entry] of x5c.entries()) {
    if (typeof entry !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) {
      return fail(`x5c[${i}] is not a base64-encoded DER certificate`);
    }
    try {
      certificates.push(new X509Certificate(Buffer.from(entry, "base64")));
    } catch {
      return fail(`x5c[${i}] is not a readable X.509 certificate`);
    }
  }
  // The chain must hold together: each certificate issued and signed by the next one.
  for (let i = 0; i + 1 < certificates.length; i++) {
    const child = certificates[i];
    const parent = certificates[i + 1];
    if (child === undefined || parent === undefined) continue;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return fail(`x5c[${i}] is not issued and signed by x5c[${i + 1}]`);
    }
  }

  const signer = certificates[0];
  if (signer === undefined) return fail("x5c must be a non-empty array of certificates");
  if (signer.publicKey.asymmetricKeyType !== "rsa") {
    return fail(
      `the first x5c certificate holds a ${signer.publicKey.asymmetricKeyType ?? "non-RSA"} key; ${alg} needs RSA`,
    );
  }
  try {
    await compactVerify(token, signer.publicKey, { algorithms: [alg] });
    return [];
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(`the signature does not verify with the first x5c certificate's public key (${reason})`);
  }
}

// Statement comparison (1.0.3 Data 2.3.1 "Statement Comparison Requirements"; 2.0 §4.2.4 and §4.2.7): differences
// that the immutability exceptions allow are ignored, every other difference counts.

/**
 * The path ("$.verb.id") of the first difference between the signed statement and the received one that the
 * comparison rules do not excuse, or undefined when they are logically equivalent.
 */
export function signedStatementDifference(
  signed: unknown,
  received: Statement,
  version: XapiVersion,
): string | undefined {
  const a = isRecord(signed) ? { ...signed } : signed;
  const b: Record<string, unknown> = { ...(received as unknown as Record<string, unknown>) };
  if (isRecord(a)) {
    // Properties the LRS may assign or overwrite (2.3.1.b1) and attachments (2.3.1.b6) are not compared.
    for (const key of ["authority", "stored", "version", "attachments"]) {
      delete a[key];
      delete b[key];
    }
    // id and timestamp are LRS-assigned only when missing, so they are compared when both sides have one.
    for (const key of ["id", "timestamp"]) {
      if (a[key] === undefined || b[key] === undefined) {
        delete a[key];
        delete b[key];
      }
    }
  }
  return diff(normalizeStatement(a, version), normalizeStatement(b, version), "$");
}

function normalizeStatement(value: unknown, version: XapiVersion): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  if (typeof out.id === "string") out.id = out.id.toLowerCase();
  if (out.timestamp !== undefined) out.timestamp = normalizeTimestamp(out.timestamp);
  if (out.actor !== undefined) out.actor = normalizeActor(out.actor);
  if (isRecord(out.verb)) {
    // The verb's display is not part of the statement (2.3.1.b3).
    const { display: _display, ...verb } = out.verb;
    out.verb = verb;
  }
  if (out.object !== undefined) out.object = normalizeObject(out.object, version);
  if (out.context !== undefined) out.context = normalizeContext(out.context);
  if (isRecord(out.result) && version === "2.0.0" && typeof out.result.duration === "string") {
    out.result = { ...out.result, duration: normalizeDuration(out.result.duration) };
  }
  return out;
}

function normalizeObject(value: unknown, version: XapiVersion): unknown {
  if (!isRecord(value)) return value;
  switch (value.objectType) {
    case "Agent":
    case "Group":
      return normalizeActor(value);
    case "SubStatement":
      return normalizeStatement(value, version);
    case "StatementRef":
      return typeof value.id === "string" ? { ...value, id: value.id.toLowerCase() } : value;
    default:
      return normalizeActivity(value);
  }
}

/**
 * An Activity's definition is not part of the statement (2.3.1.b2). A missing objectType means the default
 * one, so both spellings are the same statement.
 */
function normalizeActivity(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const { definition: _definition, ...activity } = value;
  return { ...activity, objectType: activity.objectType ?? "Activity" };
}

function normalizeContext(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  if (typeof out.registration === "string") out.registration = out.registration.toLowerCase();
  if (out.instructor !== undefined) out.instructor = normalizeActor(out.instructor);
  if (out.team !== undefined) out.team = normalizeActor(out.team);
  if (isRecord(out.statement) && typeof out.statement.id === "string") {
    out.statement = { ...out.statement, id: out.statement.id.toLowerCase() };
  }
  if (isRecord(out.contextActivities)) {
    const activities: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(out.contextActivities)) {
      // A single Activity and an array of one are the same (the LRS returns arrays).
      activities[key] = (Array.isArray(entry) ? entry : [entry]).map(normalizeActivity);
    }
    out.contextActivities = activities;
  }
  if (Array.isArray(out.contextAgents)) {
    out.contextAgents = out.contextAgents.map((entry) =>
      isRecord(entry) ? { ...entry, agent: normalizeActor(entry.agent) } : entry,
    );
  }
  if (Array.isArray(out.contextGroups)) {
    out.contextGroups = out.contextGroups.map((entry) =>
      isRecord(entry) ? { ...entry, group: normalizeActor(entry.group) } : entry,
    );
  }
  return out;
}

/** The domain of an e-mail address is case-insensitive (2.3.1.b7); a Group's members are unordered (2.3.1.b5). */
function normalizeActor(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value, objectType: value.objectType ?? "Agent" };
  if (typeof out.mbox === "string") {
    const at = out.mbox.lastIndexOf("@");
    const mbox = at < 0 ? out.mbox : out.mbox.slice(0, at) + out.mbox.slice(at).toLowerCase();
    out.mbox = mbox.replace(/^mailto:/i, "mailto:");
  }
  if (typeof out.mbox_sha1sum === "string") out.mbox_sha1sum = out.mbox_sha1sum.toLowerCase();
  if (Array.isArray(out.member)) {
    out.member = out.member
      .map(normalizeActor)
      .map((member) => ({ member, key: stableStringify(member) }))
      .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0))
      .map(({ member }) => member);
  }
  return out;
}

/** The serialization of a timestamp is not part of the statement (2.3.1.b4): compare instants, to the millisecond. */
function normalizeTimestamp(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** xAPI 2.0 §4.2.7: precision of a duration beyond 0.01 s is not compared. 1.0.3 compares the string (2.3.1.b8). */
function normalizeDuration(duration: string): string {
  const match = /^(.*?)(\d+)(?:[.,](\d+))?S$/.exec(duration);
  if (match === null) return duration;
  const [, head = "", whole = "", fraction = ""] = match;
  const hundredths = fraction.slice(0, 2).replace(/0+$/, "");
  return `${head}${whole}${hundredths === "" ? "" : `.${hundredths}`}S`;
}

function diff(a: unknown, b: unknown, path: string): string | undefined {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return path;
    if (a.length !== b.length) return path;
    for (let i = 0; i < a.length; i++) {
      const found = diff(a[i], b[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isRecord(a) || isRecord(b)) {
    if (!isRecord(a) || !isRecord(b)) return path;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort()) {
      const found = diff(a[key], b[key], `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return Object.is(a, b) || a === b ? undefined : path;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
