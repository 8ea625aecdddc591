/**
 * Statements sent with attachments (xAPI 1.0.3 Communication 1.5.2 and Data 2.4.11 / 2.6; xAPI 2.0 §4.1.3,
 * §4.2.6): the first multipart part holds the statements, each further part the raw data of attachments,
 * matched to attachment objects by SHA-2 and never any other way. Pure: no storage, no HTTP.
 */
import { createHash } from "node:crypto";
import {
  type Attachment,
  type MultipartPart,
  mediaTypeOf,
  type Problem,
  SIGNATURE_USAGE_TYPE,
  type Statement,
  verifyStatementSignature,
  type XapiVersion,
} from "../xapi/index.js";

/** One attachment's raw data, once, however many statements reference it. `sha2` is lower-case hex. */
export interface AttachmentFile {
  sha2: string;
  contentType: string;
  content: Buffer;
}

export interface PairingOptions {
  /** Which specification's rules and rule names apply (default "2.0.0"; the rules are the same in both). */
  version?: XapiVersion;
  /**
   * Both versions say the client MUST send "Content-Transfer-Encoding: binary" and the LRS SHOULD assume
   * binary: a part without the header is refused unless this is true. A value other than binary is always
   * refused (conformance test XAPI-00135 sends base64).
   */
  assumeBinaryTransferEncoding?: boolean;
}

export interface Pairing {
  problems: Problem[];
  files: AttachmentFile[];
}

const SIGNATURE_CONTENT_TYPE = "application/octet-stream";

/** SHA-2 digests by hex length; 1.0.3 and 2.0 recommend SHA-256, SHA-384 or SHA-512 but name no variant. */
const SHA2_BY_LENGTH: ReadonlyMap<number, readonly string[]> = new Map([
  [56, ["sha224", "sha512-224"]],
  [64, ["sha256", "sha512-256"]],
  [96, ["sha384"]],
  [128, ["sha512"]],
]);

function rule(id: string | undefined, communication: string, version: XapiVersion): string {
  const section = version === "2.0.0" ? "xAPI 2.0 4.1.3" : `Communication ${communication}`;
  return id === undefined ? section : `${id} (${section})`;
}

function signatureRule(version: XapiVersion): string {
  return `XAPI-00115 (${version === "2.0.0" ? "xAPI 2.0 4.2.6" : "Data 2.6.s4.b1"})`;
}

/**
 * The first part must exist and hold the statements as application/json (XAPI-00134). Parsing and validating
 * the JSON is the statement validator's job.
 */
export function checkStatementPart(
  parts: readonly MultipartPart[],
  version: XapiVersion = "2.0.0",
): Problem[] {
  const first = parts[0];
  const at = rule("XAPI-00134", "1.5.2.s2.b2.b1", version);
  if (first === undefined) {
    return [
      {
        path: "parts[0]",
        rule: at,
        message: "the multipart body has no part; the first must hold the statements",
      },
    ];
  }
  const contentType = first.headers["content-type"];
  if (contentType === undefined) {
    return [
      {
        path: "parts[0]",
        rule: at,
        message: "part 1 has no Content-Type header; it must be application/json",
      },
    ];
  }
  if (mediaTypeOf(contentType) !== "application/json") {
    return [
      {
        path: "parts[0]",
        rule: at,
        message: `part 1 has Content-Type "${contentType}"; the statements part must be application/json`,
      },
    ];
  }
  return [];
}

interface AttachmentRef {
  path: string;
  attachment: Attachment;
  /** The statement the attachment belongs to; undefined inside a SubStatement (signatures sign statements). */
  statement: Statement | undefined;
}

/**
 * Pairs the attachment parts (every part after the statements part) with the statements' attachment objects
 * and checks every rule for them, signatures included. The request must be refused with 400 Bad Request
 * when `problems` is not empty; otherwise `files` holds each distinct attachment's data once.
 */
export async function pairAttachments(
  statements: readonly Statement[],
  parts: readonly MultipartPart[],
  options: PairingOptions = {},
): Promise<Pairing> {
  const version = options.version ?? "2.0.0";
  const problems: Problem[] = [];
  const refs = attachmentRefs(statements);
  const refsBySha = new Map<string, AttachmentRef[]>();
  for (const ref of refs) {
    if (typeof ref.attachment.sha2 !== "string") continue;
    const sha = ref.attachment.sha2.toLowerCase();
    refsBySha.set(sha, [...(refsBySha.get(sha) ?? []), ref]);
  }

  const announced = new Set<string>();
  const files = new Map<string, AttachmentFile>();
  parts.forEach((part, index) => {
    const partProblems = checkAttachmentPart(part, index, refsBySha, options, version);
    problems.push(...partProblems.problems);
    if (partProblems.sha !== undefined) announced.add(partProblems.sha);
    if (
      partProblems.problems.length === 0 &&
      partProblems.sha !== undefined &&
      !files.has(partProblems.sha)
    ) {
      const first = refsBySha.get(partProblems.sha)?.[0];
      files.set(partProblems.sha, {
        sha2: partProblems.sha,
        contentType: part.headers["content-type"] ?? first?.attachment.contentType ?? SIGNATURE_CONTENT_TYPE,
        content: part.body,
      });
    }
  });

  for (const ref of refs) {
    const { attachment, path } = ref;
    const sha = typeof attachment.sha2 === "string" ? attachment.sha2.toLowerCase() : "";
    const isSignature = attachment.usageType === SIGNATURE_USAGE_TYPE;
    if (isSignature && mediaTypeOf(String(attachment.contentType)) !== SIGNATURE_CONTENT_TYPE) {
      problems.push({
        path,
        rule: signatureRule(version),
        message: `a signature attachment must have contentType "${SIGNATURE_CONTENT_TYPE}", not "${attachment.contentType}"`,
      });
      continue;
    }
    if (!announced.has(sha)) {
      if (isSignature) {
        problems.push({
          path,
          rule: signatureRule(version),
          message: `the signature attachment (sha2 ${attachment.sha2}) has no part carrying the JWS`,
        });
      } else if (attachment.fileUrl === undefined) {
        problems.push({
          path,
          rule: rule("XAPI-00129", "1.5.2.s3.b5", version),
          message: `the attachment (sha2 ${attachment.sha2}) has no fileUrl and no part with that X-Experience-API-Hash`,
        });
      }
      continue;
    }
    const file = files.get(sha);
    if (isSignature && file !== undefined && ref.statement !== undefined) {
      problems.push(
        ...(await verifyStatementSignature(ref.statement, file.content.toString("utf8"), version, { path })),
      );
    }
  }

  return { problems, files: [...files.values()] };
}

function attachmentRefs(statements: readonly Statement[]): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  statements.forEach((statement, i) => {
    (statement.attachments ?? []).forEach((attachment, j) => {
      refs.push({ path: `statements[${i}].attachments[${j}]`, attachment, statement });
    });
    const object = statement.object;
    if (object.objectType === "SubStatement") {
      (object.attachments ?? []).forEach((attachment, j) => {
        refs.push({ path: `statements[${i}].object.attachments[${j}]`, attachment, statement: undefined });
      });
    }
  });
  return refs;
}

function checkAttachmentPart(
  part: MultipartPart,
  index: number,
  refsBySha: ReadonlyMap<string, AttachmentRef[]>,
  options: PairingOptions,
  version: XapiVersion,
): { problems: Problem[]; sha: string | undefined } {
  // Numbers and paths count the statements part: the first attachment part is "part 2", parts[1].
  const number = index + 2;
  const path = `parts[${index + 1}]`;
  const problems: Problem[] = [];

  const encoding = part.headers["content-transfer-encoding"];
  if (
    encoding === undefined
      ? options.assumeBinaryTransferEncoding !== true
      : encoding.toLowerCase() !== "binary"
  ) {
    problems.push({
      path,
      rule: rule("XAPI-00135", "1.5.2.s2.b2.b4", version),
      message:
        encoding === undefined
          ? `part ${number} has no Content-Transfer-Encoding header; attachment parts must be sent as binary`
          : `part ${number} has Content-Transfer-Encoding "${encoding}"; attachment parts must be binary`,
    });
  }

  const header = part.headers["x-experience-api-hash"];
  if (header === undefined || header === "") {
    problems.push({
      path,
      rule: rule("XAPI-00132", "1.5.2.s2.b2.b3", version),
      message: `part ${number} has no X-Experience-API-Hash header`,
    });
    return { problems, sha: undefined };
  }
  const sha = header.toLowerCase();
  const algorithms = /^[0-9a-f]+$/.test(sha) ? SHA2_BY_LENGTH.get(sha.length) : undefined;
  if (algorithms === undefined) {
    problems.push({
      path,
      rule: rule("XAPI-00132", "1.5.2.s2.b2.b3", version),
      message: `part ${number}'s X-Experience-API-Hash "${header}" is not a hex SHA-2 digest`,
    });
    return { problems, sha: undefined };
  }

  const refs = refsBySha.get(sha);
  if (refs === undefined) {
    problems.push({
      path,
      rule: rule("XAPI-00128", "1.5.2.s2.b2.b2", version),
      message: `part ${number}'s X-Experience-API-Hash ${header} matches the sha2 of no attachment in the statements`,
    });
    return { problems, sha: undefined };
  }

  if (!algorithms.some((algorithm) => createHash(algorithm).update(part.body).digest("hex") === sha)) {
    problems.push({
      path,
      rule: rule(undefined, "1.5.2.s1.b4", version),
      message: `part ${number}'s content does not hash to its X-Experience-API-Hash ${header}`,
    });
  }

  // Where a part header and an attachment property say the same thing, they must agree (1.5.2.s2.b2.b7).
  const contentType = part.headers["content-type"];
  const length = part.headers["content-length"];
  for (const { attachment, path: refPath } of refs) {
    if (
      contentType !== undefined &&
      mediaTypeOf(contentType) !== mediaTypeOf(String(attachment.contentType))
    ) {
      problems.push({
        path,
        rule: rule(undefined, "1.5.2.s2.b2.b7", version),
        message: `part ${number} has Content-Type "${contentType}" but ${refPath} has contentType "${attachment.contentType}"`,
      });
    }
    if (length !== undefined && Number(length) !== attachment.length) {
      problems.push({
        path,
        rule: rule(undefined, "1.5.2.s2.b2.b7", version),
        message: `part ${number} has Content-Length ${length} but ${refPath} has length ${attachment.length}`,
      });
    }
  }
  return { problems, sha };
}
