import type { Principal } from "../../lrs/index.js";
import type { XapiVersion } from "../../xapi/index.js";

/** An xAPI request after transport concerns (alternate syntax, authentication, version) are settled. */
export interface XapiRequest {
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** The resource path under /xapi, e.g. `statements`, `activities/state`. */
  resource: string;
  params: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: Buffer | undefined;
  version: XapiVersion;
  principal: Principal;
  /** The path of the xAPI endpoint, e.g. `/xapi`, for `more` links. */
  base: string;
}

export interface XapiReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type ResourceHandler = (request: XapiRequest) => Promise<XapiReply>;

export type Resource = Partial<Record<"GET" | "PUT" | "POST" | "DELETE", ResourceHandler>>;

/**
 * A JSON reply. The media type goes without a charset parameter (JSON is UTF-8 by definition, RFC 8259):
 * the 1.0.3 suite compares the header to exactly `application/json` (XAPI-00161).
 */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): XapiReply {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: typeof value === "string" ? value : JSON.stringify(value),
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes a body as strict UTF-8; invalid bytes are the client's error. */
export function decodeUtf8(body: Buffer, what: string): string {
  try {
    return utf8.decode(body);
  } catch {
    throw Object.assign(new Error(`${what} is not valid UTF-8`), { status: 400 });
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Every parameter must be one the resource knows: the specification asks for a 400 otherwise. */
export function allowOnly(params: Record<string, string>, allowed: readonly string[], where: string): void {
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) {
      throw Object.assign(new Error(`unknown parameter ${name} for ${where}`), { status: 400 });
    }
  }
}
