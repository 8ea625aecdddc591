/// <reference lib="dom" />
/**
 * The console's one door to the server: the JSON API on the same origin. A participant's credential
 * (key and secret) or a learner's portal link is kept in sessionStorage only (gone when the tab
 * closes) and sent as HTTP Basic or Bearer; nothing is sent anywhere else.
 */

export type Role = "operator" | "provider" | "consumer";

export type Session =
  | { kind: "participant"; key: string; secret: string; id: string; role: Role; title?: string }
  | { kind: "portal"; link: string };

const KEY = "learnpool.session";

export function session(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    return undefined;
  }
}

export function saveSession(s: Session | undefined): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function authorization(s: Session | undefined): string | undefined {
  if (!s) return undefined;
  if (s.kind === "portal") return `Bearer ${s.link}`;
  // btoa takes Latin-1: keys and secrets are base64url, so this is lossless.
  return `Basic ${btoa(`${s.key}:${s.secret}`)}`;
}

export interface CallOptions {
  method?: "GET" | "POST" | "PUT";
  body?: unknown;
  /** Text sent as is (a YAML job spec). */
  text?: string;
  /** Use this session instead of the stored one (at sign-in). */
  as?: Session;
}

async function raw(path: string, options: CallOptions = {}): Promise<Response> {
  const auth = authorization(options.as ?? session());
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  } else if (options.text !== undefined) {
    headers["content-type"] = "text/plain";
    body = options.text;
  }
  const res = await fetch(path, { method: options.method ?? "GET", headers, body, credentials: "omit" });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const j = (await res.json()) as { error?: { message?: string } };
      if (j.error?.message) message = j.error.message;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

export async function call<T = unknown>(path: string, options: CallOptions = {}): Promise<T> {
  const res = await raw(path, options);
  const type = res.headers.get("content-type") ?? "";
  return (type.includes("json") ? await res.json() : await res.text()) as T;
}

export async function blob(path: string, options: CallOptions = {}): Promise<Blob> {
  return (await raw(path, options)).blob();
}

export const enc = encodeURIComponent;
