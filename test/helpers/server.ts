import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { Lrs } from "../../src/lrs/index.js";
import { buildServer } from "../../src/server/index.js";
import type { Database } from "../../src/store/index.js";
import type { Backend } from "./databases.js";

export interface TestLrs {
  app: FastifyInstance;
  lrs: Lrs;
  db: Database;
  /** Headers for a credential with every scope on store `s1`. */
  headers: (version?: string) => Record<string, string>;
  /** Adds a credential on a store (created if needed) and returns its headers. */
  credential: (storeId: string, scopes?: string[]) => Promise<(version?: string) => Record<string, string>>;
  /** POST /xapi/statements with a JSON body, as the credential of `headers` (default: store s1, all scopes). */
  post: (body: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
  /** GET /xapi/statements?query. */
  get: (query: string, headers?: Record<string, string>) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

export function basic(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`;
}

export async function testLrs(backend: Backend): Promise<TestLrs> {
  const db = await backend.open();
  const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
  const app = await buildServer({ lrs, logger: false });
  const credential = async (storeId: string, scopes: string[] = ["all"]) => {
    await lrs.tenancy.ensureStore(storeId, storeId, "test");
    const made = await lrs.tenancy.addCredential({ storeId, scopes, actor: "test" });
    return (version = "2.0.0") => ({
      authorization: basic(made.key, made.secret),
      "x-experience-api-version": version,
    });
  };
  const headers = await credential("s1");
  return {
    app,
    lrs,
    db,
    headers,
    credential,
    post: (body, h = headers()) =>
      app.inject({
        method: "POST",
        url: "/xapi/statements",
        headers: { ...h, "content-type": "application/json" },
        payload: JSON.stringify(body),
      }),
    get: (query, h = headers()) =>
      app.inject({ method: "GET", url: `/xapi/statements?${query}`, headers: h }),
    close: async () => {
      await app.close();
      await lrs.close();
      await db.close();
    },
  };
}

/**
 * The Authorization header of a credential with every scope on each of `stores`, by store id, plus
 * `labReadOnly`: a credential of store `lab` that may only read statements.
 */
export async function participantAuth(lrs: Lrs, stores: readonly string[]): Promise<Record<string, string>> {
  const as: Record<string, string> = {};
  for (const storeId of stores) {
    const made = await lrs.tenancy.addCredential({ storeId, scopes: ["all"], actor: "test" });
    as[storeId] = basic(made.key, made.secret);
  }
  const reader = await lrs.tenancy.addCredential({
    storeId: "lab",
    scopes: ["statements/read"],
    actor: "test",
  });
  as.labReadOnly = basic(reader.key, reader.secret);
  return as;
}
