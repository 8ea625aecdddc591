import type { Lrs, Principal } from "../../lrs/index.js";
import { LrsError } from "../../lrs/index.js";
import type { XapiVersion } from "../../xapi/index.js";
import { decodeUtf8, json, mediaType, type Resource, type XapiReply, type XapiRequest } from "./http.js";

/** The HTTP request as the transport hands it over. */
export interface RawRequest {
  method: string;
  /** The path below the xAPI base, without leading slash, e.g. `statements`. */
  resource: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  body: Buffer | undefined;
  base: string;
}

const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "HEAD, GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers":
    "Content-Type, Content-Length, Authorization, If-Match, If-None-Match, X-Experience-API-Version, Accept-Language",
  "access-control-expose-headers":
    "ETag, Last-Modified, Content-Type, X-Experience-API-Version, X-Experience-API-Consistent-Through",
};

/** Form fields that alternate request syntax (xAPI 1.0.3) carries as headers. */
const ALTERNATE_HEADERS = [
  "authorization",
  "x-experience-api-version",
  "content-type",
  "content-length",
  "if-match",
  "if-none-match",
];

/**
 * The About resource's `version` list. Every 1.0.x header is served as 1.0.3, so all 1.0.x are listed.
 * A 1.0.x client gets the list without 2.0.0: the 1.0.3 conformance suite refuses any value outside
 * 0.9–1.0.3 (XAPI-00316), while the 2.0 suite requires 2.0.0 (XAPI-00317).
 */
const ABOUT_VERSIONS_1_0 = ["1.0.0", "1.0.1", "1.0.2", "1.0.3"];
const ABOUT_VERSIONS = [...ABOUT_VERSIONS_1_0, "2.0.0"];

/** Which version a request speaks, or undefined when the header is missing or unsupported. */
export function requestedVersion(header: string | undefined): XapiVersion | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^2\.0(\.\d+)?$/.test(value)) return "2.0.0";
  if (/^1\.0(\.\d+)?$/.test(value)) return "1.0.3";
  return undefined;
}

export class XapiRouter {
  constructor(
    private readonly lrs: Lrs,
    private readonly resources: Record<string, Resource>,
  ) {}

  async handle(raw: RawRequest): Promise<XapiReply> {
    let version: XapiVersion | undefined = requestedVersion(raw.headers["x-experience-api-version"]);
    const reply = await this.dispatch(raw, (v) => {
      version = v;
    }).catch((err: unknown) => errorReply(err));
    const headers: Record<string, string> = {
      ...CORS_HEADERS,
      ...reply.headers,
      "x-experience-api-version": version === "1.0.3" ? "1.0.3" : "2.0.0",
    };
    // Communication 2.1.3 (XAPI-00153): a GET of statements carries the header whatever its status.
    const method = raw.method.toUpperCase();
    if (raw.resource === "statements" && (method === "GET" || method === "HEAD")) {
      headers["x-experience-api-consistent-through"] ??= this.lrs.consistentThrough().toISOString();
    }
    return { ...reply, headers };
  }

  private async dispatch(raw: RawRequest, setVersion: (v: XapiVersion) => void): Promise<XapiReply> {
    let method = raw.method.toUpperCase();
    if (method === "OPTIONS") return { status: 204 };
    let { query, headers, body } = raw;

    if (query.method !== undefined) {
      ({ method, query, headers, body } = alternateSyntax(raw));
    }

    if (raw.resource === "about" && (method === "GET" || method === "HEAD")) {
      const v1 = requestedVersion(headers["x-experience-api-version"]) === "1.0.3";
      const reply = json(200, { version: v1 ? ABOUT_VERSIONS_1_0 : ABOUT_VERSIONS, extensions: {} });
      return method === "HEAD" ? { ...reply, body: undefined } : reply;
    }

    // Checked before the credential: the suites send DELETE /statements without one and expect 405,
    // and a request without the version header and without a credential and expect 400.
    const resource = this.resources[raw.resource];
    if (!resource) throw new LrsError(404, `no xAPI resource '${raw.resource}'`);
    const handlerMethod = method === "HEAD" ? "GET" : method;
    const handler = resource[handlerMethod as keyof Resource];
    if (!handler) {
      return json(
        405,
        { error: { status: 405, message: `${method} is not allowed on ${raw.resource}` } },
        {
          allow: Object.keys(resource).join(", "),
        },
      );
    }
    const version = requestedVersion(headers["x-experience-api-version"]);
    if (!version) {
      throw new LrsError(
        400,
        headers["x-experience-api-version"]
          ? `X-Experience-API-Version '${headers["x-experience-api-version"]}' is not supported; use 2.0.0 or 1.0.3`
          : "the X-Experience-API-Version header is required (2.0.0 or 1.0.3)",
      );
    }
    setVersion(version);
    if (raw.query.method !== undefined && version === "2.0.0") {
      throw new LrsError(400, "alternate request syntax (the method parameter) was removed in xAPI 2.0");
    }
    const principal = await this.authenticate(headers.authorization);

    const request: XapiRequest = {
      method: method as XapiRequest["method"],
      resource: raw.resource,
      params: query,
      headers,
      body,
      version,
      principal,
      base: raw.base,
    };
    const reply = await handler(request);
    return method === "HEAD" ? { ...reply, body: undefined } : reply;
  }

  private async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(authorization ?? "");
    if (match) {
      const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        const principal = await this.lrs.tenancy.authenticate(
          decoded.slice(0, colon),
          decoded.slice(colon + 1),
        );
        if (principal) return principal;
      }
    }
    throw Object.assign(
      new LrsError(401, "authentication required: HTTP Basic with a Learnpool credential"),
      {
        headers: { "www-authenticate": 'Basic realm="Learnpool xAPI", charset="UTF-8"' },
      },
    );
  }
}

/**
 * xAPI 1.0.3's alternate request syntax: POST ?method=PUT with a form body carrying the headers,
 * the content and the parameters. Any other query parameter is refused.
 */
function alternateSyntax(
  raw: RawRequest,
): Pick<RawRequest, "query" | "headers" | "body"> & { method: string } {
  const method = (raw.query.method ?? "").toUpperCase();
  if (raw.method.toUpperCase() !== "POST")
    throw new LrsError(400, "alternate request syntax must be sent as POST");
  if (!["GET", "HEAD", "PUT", "POST", "DELETE"].includes(method)) {
    throw new LrsError(400, `alternate request syntax: unknown method '${raw.query.method}'`);
  }
  for (const name of Object.keys(raw.query)) {
    if (name !== "method") {
      throw new LrsError(
        400,
        `alternate request syntax: parameter ${name} must be in the form body, not the URL`,
      );
    }
  }
  if (mediaType(raw.headers["content-type"]) !== "application/x-www-form-urlencoded") {
    throw new LrsError(400, "alternate request syntax needs an application/x-www-form-urlencoded body");
  }
  const form = new URLSearchParams(raw.body ? decodeUtf8(raw.body, "the form body") : "");
  const headers: Record<string, string | undefined> = { ...raw.headers, "content-type": undefined };
  const query: Record<string, string> = {};
  let content: string | undefined;
  for (const [name, value] of form) {
    const lower = name.toLowerCase();
    // A real header wins over its form twin (the specification does not say which does): the 1.0.3
    // suite sends X-Experience-API-Version 1.0.x as a header and 0.8 in the form, and expects 204.
    if (ALTERNATE_HEADERS.includes(lower)) {
      if (lower === "content-type" || lower === "content-length" || headers[lower] === undefined)
        headers[lower] = value;
    } else if (name === "content") content = value;
    else query[name] = value;
  }
  if ((method === "PUT" || method === "POST") && content === undefined) {
    throw new LrsError(400, "alternate request syntax: the form has no 'content' field");
  }
  if (headers["content-type"] === undefined && content !== undefined)
    headers["content-type"] = "application/json";
  return { method, query, headers, body: content === undefined ? undefined : Buffer.from(content, "utf8") };
}

export function errorReply(err: unknown): XapiReply {
  if (err instanceof LrsError) {
    const extra = (err as LrsError & { headers?: Record<string, string> }).headers ?? {};
    return json(
      err.status,
      {
        error: {
          status: err.status,
          message: err.message,
          ...(err.problems.length ? { problems: err.problems } : {}),
        },
      },
      extra,
    );
  }
  const status = (err as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return json(status, { error: { status, message: (err as Error).message } });
  }
  throw err;
}
