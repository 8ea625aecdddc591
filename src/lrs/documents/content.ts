import { badRequest } from "../errors.js";

/** A document as the LRS keeps it: bytes and the media type they came with. */
export interface DocumentContent {
  contentType: string;
  content: Buffer;
}

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

export function isJsonType(contentType: string): boolean {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase() === "application/json";
}

type JsonObject = Record<string, unknown>;

function parseObject(content: Buffer): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(content));
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A POSTed application/json document must be a JSON object, merged or not (JSON Procedure). */
export function postedObject(posted: DocumentContent): JsonObject | undefined {
  if (!isJsonType(posted.contentType)) return undefined;
  const object = parseObject(posted.content);
  if (!object) throw badRequest("a POSTed application/json document must be a JSON object");
  return object;
}

/**
 * POST onto an existing document: both must be JSON objects; the new top-level properties replace
 * the stored ones, one level deep, and the rest is kept.
 */
export function mergeDocuments(stored: DocumentContent, posted: DocumentContent): DocumentContent {
  const incoming = postedObject(posted);
  const current = isJsonType(stored.contentType) ? parseObject(stored.content) : undefined;
  if (!incoming || !current) {
    throw badRequest(
      "POST merges JSON objects only: the stored and the posted documents must both be application/json objects",
    );
  }
  return {
    contentType: "application/json",
    content: Buffer.from(JSON.stringify({ ...current, ...incoming })),
  };
}
