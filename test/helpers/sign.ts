/**
 * Test-only: signed xAPI statements (JWS compact, RS256/384/512) and the self-signed X.509 certificates
 * their x5c headers carry. The certificate is assembled as DER here because node:crypto parses certificates
 * but cannot create them; the signature over it is node:crypto's.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from "node:crypto";
import { CompactSign } from "jose";
import { buildMultipartMixed } from "../../src/xapi/multipart.js";
import type { Attachment, Statement } from "../../src/xapi/types.js";
import { SIGNATURE_USAGE_TYPE } from "../../src/xapi/types.js";

export interface RsaKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let cached: RsaKeys | undefined;

/** A 2048-bit RSA key pair (jose refuses smaller RSA keys); generated once per test file. */
export function rsaKeys(): RsaKeys {
  cached ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return cached;
}

export function freshRsaKeys(): RsaKeys {
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

export interface SignOptions {
  alg?: "RS256" | "RS384" | "RS512";
  /** Extra certificates after the signer's in x5c (PEM). */
  chain?: string[];
}

/**
 * The JWS over `statement` as its signer would produce it: the statement without attachments (the signature
 * attachment does not exist yet when signing), with x5c when a certificate is given.
 */
export async function signStatement(
  statement: Statement,
  privateKey: KeyObject,
  certificatePem?: string,
  options: SignOptions = {},
): Promise<string> {
  const { attachments: _attachments, ...payload } = statement;
  const alg = options.alg ?? "RS256";
  const header: { alg: string; x5c?: string[] } = { alg };
  if (certificatePem !== undefined) {
    header.x5c = [certificatePem, ...(options.chain ?? [])].map(pemToBase64Der);
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(privateKey);
}

/** The signature attachment object for a JWS, as a client adds it to the statement. */
export function signatureAttachment(jws: string, overrides: Partial<Attachment> = {}): Attachment {
  const content = Buffer.from(jws, "utf8");
  return {
    usageType: SIGNATURE_USAGE_TYPE,
    display: { "en-US": "Signature" },
    contentType: "application/octet-stream",
    length: content.length,
    sha2: createHash("sha256").update(content).digest("hex"),
    ...overrides,
  };
}

/** A complete signed-statement request like the conformance suite's: statement part, then the JWS part. */
export async function signedStatementRequest(
  statement: Statement,
  privateKey: KeyObject,
  certificatePem?: string,
  options: SignOptions = {},
): Promise<{ statement: Statement; jws: string; contentType: string; body: Buffer }> {
  const jws = await signStatement(statement, privateKey, certificatePem, options);
  const attachment = signatureAttachment(jws);
  const signed: Statement = { ...statement, attachments: [...(statement.attachments ?? []), attachment] };
  const built = buildMultipartMixed([
    { headers: { "Content-Type": "application/json" }, body: JSON.stringify(signed) },
    {
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": attachment.sha2,
      },
      body: jws,
    },
  ]);
  return { statement: signed, jws, ...built };
}

function pemToBase64Der(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

// Minimal DER (ITU-T X.690) encoding: enough for one RSA self-signed X.509 v3 certificate.

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const nul = () => Buffer.from([0x05, 0x00]);
const utf8 = (text: string) => der(0x0c, Buffer.from(text, "utf8"));
const utcTime = (date: Date) =>
  der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, "")}Z`));
const bitString = (bytes: Buffer) => der(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const explicit = (n: number, inner: Buffer) => der(0xa0 + n, inner);

function integer(value: Buffer): Buffer {
  // A leading 0x00 keeps a value with its high bit set positive.
  const first = value[0] ?? 0;
  return der(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

export interface CertificateOptions {
  commonName?: string;
  /** Issuer name and key; without them the certificate is self-signed. */
  issuer?: { commonName: string; privateKey: KeyObject };
  serial?: number;
}

/** A PEM X.509 v3 certificate for `keys.publicKey`, signed (sha256WithRSAEncryption) by the issuer or itself. */
export function createCertificate(keys: RsaKeys, options: CertificateOptions = {}): string {
  const subject = options.commonName ?? "Learnpool test signer";
  const issuer = options.issuer ?? { commonName: subject, privateKey: keys.privateKey };
  const algorithm = sequence(oid(SHA256_WITH_RSA), nul());
  const name = (cn: string) => sequence(set(sequence(oid("2.5.4.3"), utf8(cn))));
  const now = Date.now();
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.from([options.serial ?? 1])),
    algorithm,
    name(issuer.commonName),
    sequence(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 365 * 86_400_000))),
    name(subject),
    keys.publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = sign("sha256", tbs, issuer.privateKey);
  const certificate = sequence(tbs, algorithm, bitString(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${certificate
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trim()}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(pem); // fails loudly here rather than in a test if the DER is wrong
  return pem;
}

/** A self-signed certificate for `keys`. */
export function selfSignedCertificate(keys: RsaKeys = rsaKeys(), commonName?: string): string {
  return createCertificate(keys, commonName === undefined ? {} : { commonName });
}
