/**
 * Signed statements (xAPI 1.0.3 Data 2.6, xAPI 2.0 / IEEE 9274.1.1 §4.2.6): the JWS carried in a signature
 * attachment must be a compact JWS with an RS256/RS384/RS512 algorithm whose payload is a statement logically
 * equivalent to the received one, and, when its header carries an x5c chain, must verify against the first
 * certificate. The LRS checks that a signature is well formed; it does not decide whom to trust.
 */
import { X509Certificate } from "node:crypto";
import { base64url, compactVerify, decodeProtectedHeader, type ProtectedHeaderParameters } from "jose";
import { statementDifference } from "./compare.js";
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
  const difference = statementDifference(payload, statement, version);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
