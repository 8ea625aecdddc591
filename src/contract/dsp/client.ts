/**
 * The outbound half of the HTTPS binding: sends a message to a counterparty's endpoint (the provider's
 * DSP base URL, or the consumer's callbackAddress) with the credential configured for that address.
 * Authorization headers are never logged or recorded.
 */
import type { JsonObject } from "./messages.js";
import { DspProtocolError } from "./states.js";

/** The Authorization header to present at a counterparty's URL (undefined: none). */
export type Authorize = (url: string) => string | undefined | Promise<string | undefined>;

export interface DspReply {
  status: number;
  body: unknown;
}

/** A counterparty that did not acknowledge a message: its status and its error body. */
export class DspRemoteError extends DspProtocolError {
  constructor(
    status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(502, "CounterpartyRefused", message);
    this.name = "DspRemoteError";
    this.remoteStatus = status;
  }
  readonly remoteStatus: number;
}

/** `base` + `path`, whether or not the base ends with a slash (the binding asks for both to work). */
export function resolve(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

export class DspClient {
  constructor(
    private readonly authorize: Authorize,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 15_000,
  ) {}

  async post(base: string, path: string, message: JsonObject): Promise<DspReply> {
    return this.send("POST", resolve(base, path), message);
  }

  async get(base: string, path: string): Promise<DspReply> {
    return this.send("GET", resolve(base, path));
  }

  private async send(method: string, url: string, message?: JsonObject): Promise<DspReply> {
    const headers: Record<string, string> = { accept: "application/json" };
    const authorization = await this.authorize(url);
    if (authorization) headers.authorization = authorization;
    if (message) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(message ? { body: JSON.stringify(message) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new DspRemoteError(0, `${method} ${url}: no answer (${(err as Error).message})`);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // a non-JSON body is kept as text, for the error message
    }
    if (!response.ok) {
      const reason = describe(body);
      throw new DspRemoteError(
        response.status,
        `${method} ${url}: ${response.status}${reason ? ` ${reason}` : ""}`,
        body,
      );
    }
    return { status: response.status, body };
  }
}

function describe(body: unknown): string {
  if (body && typeof body === "object") {
    const o = body as JsonObject;
    const reason = o.reason ?? o["dspace:reason"] ?? (o.error as JsonObject | undefined)?.message;
    if (reason !== undefined) return typeof reason === "string" ? reason : JSON.stringify(reason);
  }
  return typeof body === "string" ? body.slice(0, 200) : "";
}
