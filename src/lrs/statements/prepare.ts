import { randomUUID } from "node:crypto";
import {
  normalizeStatement,
  type Problem,
  SIGNATURE_USAGE_TYPE,
  type Statement,
  VOIDED_VERB,
  validateStatements,
  type XapiVersion,
} from "../../xapi/index.js";
import { collectDefinitions, type Definitions } from "../definitions.js";
import { type IndexEntry, indexEntries, statementRefTarget } from "./indexing.js";

/**
 * The CPU-heavy half of storing statements, free of I/O and of the store's state, so that it can run
 * on a worker thread while the event loop and the database serve others: decode, parse, validate,
 * normalize, serialize, and work out each statement's index entries.
 */
export interface PreparedStatement {
  /** Lower-cased; made here when the client sent none. */
  id: string;
  /**
   * The statement's JSON as it will be stored, but for `stored`, `authority` and (when the client sent
   * none) `timestamp`, which the LRS adds under the store's write lock.
   */
  json: string;
  clientTimestamp: boolean;
  /** Index entries of the statement as sent (the authority's entry is added by the LRS). */
  index: IndexEntry[];
  refTarget: string | undefined;
  voiding: boolean;
}

export interface PreparedBatch {
  statements: PreparedStatement[];
  definitions: Definitions;
  /** The validated statements, kept only when asked (attachments need them); not sent across threads. */
  parsed?: Statement[];
  /** Some attachment needs a multipart part: it has no fileUrl, or it is a signature. */
  needsParts: boolean;
}

export type Preparation =
  | { ok: true; batch: PreparedBatch }
  | { ok: false; message: string; problems: Problem[] };

const utf8 = new TextDecoder("utf-8", { fatal: true });

function refuse(message: string, problems: Problem[] = []): Preparation {
  return { ok: false, message, problems };
}

/** From the bytes of an application/json body. */
export function prepareJson(
  bytes: Uint8Array,
  version: XapiVersion,
  statementId?: string,
  options: { keepParsed?: boolean } = {},
): Preparation {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return refuse("the request body is not valid UTF-8");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return refuse(`the body is not valid JSON: ${(err as Error).message}`);
  }
  return prepareStatements(body, version, statementId, options);
}

/** From a parsed body: one statement or an array of them. */
export function prepareStatements(
  body: unknown,
  version: XapiVersion,
  statementId?: string,
  options: { keepParsed?: boolean } = {},
): Preparation {
  if (statementId !== undefined) {
    if (Array.isArray(body) || body === null || typeof body !== "object") {
      return refuse("PUT /statements takes a single statement object");
    }
    const id = (body as { id?: unknown }).id;
    if (typeof id === "string" && id.toLowerCase() !== statementId.toLowerCase()) {
      return refuse(`the statement's id ${id} differs from the statementId parameter ${statementId}`);
    }
  }
  const problems = validateStatements(body, version);
  if (problems.length > 0)
    return refuse(`invalid statement: ${problems[0]?.message ?? "see problems"}`, problems);
  const list = (Array.isArray(body) ? body : [body]) as Statement[];
  if (statementId !== undefined && list[0] && list[0].id === undefined)
    list[0] = { ...list[0], id: statementId };
  const defaultVersion = version === "2.0.0" ? "2.0.0" : "1.0.0";
  const normalized = list.map(normalizeStatement);
  const statements = normalized.map((statement): PreparedStatement => {
    // What the LRS owns is dropped here and set under the lock: stored and authority always.
    const { stored: _stored, authority: _authority, ...rest } = statement;
    const id = rest.id ?? randomUUID();
    const complete: Statement = { ...rest, id, version: rest.version ?? defaultVersion };
    return {
      id,
      json: JSON.stringify(complete),
      clientTimestamp: rest.timestamp !== undefined,
      index: indexEntries(complete),
      refTarget: statementRefTarget(complete),
      voiding: complete.verb.id === VOIDED_VERB && complete.object.objectType === "StatementRef",
    };
  });
  const batch: PreparedBatch = {
    statements,
    definitions: collectDefinitions(normalized),
    needsParts: list.some(needsPart),
  };
  if (options.keepParsed) batch.parsed = list;
  return { ok: true, batch };
}

function needsPart(statement: Statement): boolean {
  const attachments = [
    ...(statement.attachments ?? []),
    ...(statement.object.objectType === "SubStatement" ? (statement.object.attachments ?? []) : []),
  ];
  return attachments.some((a) => a.fileUrl === undefined || a.usageType === SIGNATURE_USAGE_TYPE);
}
