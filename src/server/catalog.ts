/**
 * HTTP wiring of the contract module's catalog. Every route authenticates (HTTP Basic, the LRS's
 * credentials: a participant is its store).
 * - Dataspace Protocol 2025-1, catalog HTTPS binding: `POST /catalog/request` (CatalogRequestMessage →
 *   dcat:Catalog, pages through `Link` headers) and `GET /catalog/datasets/:id` (→ dcat:Dataset);
 *   errors are the protocol's CatalogError.
 * - Learnpool's JSON API: `GET /contract/catalog` (search), `GET /contract/catalog/:id[?version=]`,
 *   `GET /contract/catalog/:id/versions`, `POST /contract/catalog` (publish, a credential with scope
 *   `all` of the provider's own store), `POST /contract/catalog/:id/refresh`, `POST …/:id/withdraw`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  type Catalog,
  type CatalogEntry,
  CatalogError,
  type CatalogQuery,
  catalogDocument,
  catalogErrorDocument,
  type DataService,
  datasetDocument,
} from "../contract/index.js";
import type { Lrs, Principal } from "../lrs/index.js";
import { principalOf, refuse } from "./auth.js";

const DSP_PAGE = 50;
const QUERY_KEYS = [
  "q",
  "theme",
  "verb",
  "profile",
  "category",
  "format",
  "provider",
  "purpose",
  "from",
  "to",
] as const;

function jsonBody(body: unknown): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw new CatalogError(400, `the body is not JSON: ${(err as Error).message}`);
  }
}

const actorOf = (p: Principal) => ({ actor: p.key, storeId: p.storeId });

function dataService(request: FastifyRequest): DataService {
  const base = `${request.protocol}://${request.headers.host ?? "localhost"}`;
  return { id: `${base}/catalog#dsp`, endpointURL: base };
}

/** Our search parameters from a query string or a DSP filter object; anything else is refused. */
function readQuery(source: Record<string, unknown>, extra: readonly string[] = []): CatalogQuery {
  const query: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(source)) {
    if (extra.includes(k)) continue;
    if (k === "limit" || k === "offset") {
      const n = Number(v);
      if (typeof v !== "string" && typeof v !== "number")
        throw new CatalogError(400, `${k} must be a number`);
      query[k] = String(v).trim() === "" ? Number.NaN : n;
    } else if ((QUERY_KEYS as readonly string[]).includes(k)) {
      if (typeof v !== "string") throw new CatalogError(400, `${k} must be given once, as a string`);
      query[k] = v;
    } else
      throw new CatalogError(
        400,
        `unknown parameter ${k} (known: ${[...QUERY_KEYS, "limit", "offset"].join(", ")})`,
      );
  }
  return query as CatalogQuery;
}

/** The routes over the environment's one catalog (see contract/environment.ts). */
export function registerCatalogRoutes(app: FastifyInstance, lrs: Lrs, catalog: Catalog): void {
  /** Our JSON API: `{ error: { status, message, problems? } }`. */
  const api =
    (fn: (principal: Principal, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await principalOf(lrs, request);
      if (!principal) return refuse(reply, 401, "an LRS credential (HTTP Basic) is needed");
      try {
        return await fn(principal, request, reply);
      } catch (err) {
        if (!(err instanceof CatalogError)) throw err;
        if (err.problems.length === 0) return refuse(reply, err.status, err.message);
        return reply
          .code(err.status)
          .send({ error: { status: err.status, message: err.message, problems: err.problems } });
      }
    };

  /** The Dataspace Protocol: a CatalogError body whatever goes wrong. */
  const dsp =
    (fn: (principal: Principal, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await principalOf(lrs, request);
      if (!principal)
        return reply
          .code(401)
          .header("www-authenticate", 'Basic realm="learnpool"')
          .send(catalogErrorDocument("401", ["an LRS credential (HTTP Basic) is needed"]));
      try {
        return await fn(principal, request, reply);
      } catch (err) {
        if (!(err instanceof CatalogError)) throw err;
        return reply
          .code(err.status)
          .send(catalogErrorDocument(String(err.status), [err.message, ...err.problems]));
      }
    };

  const needsAll = (principal: Principal) => {
    if (!principal.scopes.has("all"))
      throw new CatalogError(403, "publishing and withdrawing need a credential with scope all");
  };

  // ------------------------------------------------------------ Dataspace Protocol 2025-1

  app.post(
    "/catalog/request",
    { schema: { hide: true } },
    dsp(async (principal, request, reply) => {
      const message = jsonBody(request.body) as Record<string, unknown> | undefined;
      if (!message || typeof message !== "object" || Array.isArray(message))
        throw new CatalogError(400, "the body must be a CatalogRequestMessage");
      const type = message["@type"];
      if (type !== "CatalogRequestMessage" && type !== "dspace:CatalogRequestMessage")
        throw new CatalogError(400, `@type must be CatalogRequestMessage, not ${JSON.stringify(type)}`);
      // `filter`: objects of our search parameters, all applied (one object is the usual case).
      const filters =
        message.filter === undefined ? [] : Array.isArray(message.filter) ? message.filter : [message.filter];
      let query: CatalogQuery = {};
      for (const f of filters) {
        if (!f || typeof f !== "object" || Array.isArray(f))
          throw new CatalogError(
            400,
            `unsupported filter ${JSON.stringify(f)}: give an object of ${QUERY_KEYS.join(", ")}`,
          );
        query = { ...query, ...readQuery(f as Record<string, unknown>, ["@type"]) };
      }
      const token = (request.query as Record<string, string | undefined>).continuationToken;
      const offset =
        token === undefined ? 0 : Number.parseInt(Buffer.from(token, "base64url").toString(), 10);
      if (!Number.isSafeInteger(offset) || offset < 0)
        throw new CatalogError(400, "continuationToken is not one this catalog gave");
      const page = await catalog.search({ ...query, offset, limit: DSP_PAGE }, actorOf(principal));
      const service = dataService(request);
      const link = (at: number, rel: string) =>
        `<${service.endpointURL}/catalog/request?continuationToken=${Buffer.from(String(at)).toString("base64url")}>; rel="${rel}"`;
      const links = [
        ...(offset > 0 ? [link(Math.max(0, offset - DSP_PAGE), "previous")] : []),
        ...(page.next !== undefined ? [link(page.next, "next")] : []),
      ];
      if (links.length > 0) reply.header("link", links.join(", "));
      return catalogDocument(page.items, {
        id: `${service.endpointURL}/catalog`,
        participantId: await catalog.operatorIri(),
        service,
      });
    }),
  );

  app.get(
    "/catalog/datasets/:id",
    { schema: { hide: true } },
    dsp(async (principal, request) => {
      const { id } = request.params as { id: string };
      const entry = await catalog.read(id, actorOf(principal));
      if (entry.withdrawn) throw new CatalogError(404, `dataset ${id} was withdrawn from the catalog`);
      return datasetDocument(entry, dataService(request));
    }),
  );

  // ------------------------------------------------------------ Learnpool's JSON API

  app.get(
    "/contract/catalog",
    { schema: { hide: true } },
    api(async (principal, request) =>
      catalog.search(readQuery(request.query as Record<string, unknown>), actorOf(principal)),
    ),
  );

  app.post(
    "/contract/catalog",
    { schema: { hide: true } },
    api(async (principal, request, reply) => {
      needsAll(principal);
      const body = jsonBody(request.body) as Record<string, unknown> | undefined;
      if (!body || typeof body !== "object" || Array.isArray(body))
        throw new CatalogError(
          400,
          "the body must be { description, offer, accessPolicy?, dataset?, store? }",
        );
      const known = new Set(["store", "description", "offer", "accessPolicy", "dataset"]);
      const unknown = Object.keys(body).filter((k) => !known.has(k));
      if (unknown.length > 0) throw new CatalogError(400, `unknown field ${unknown.join(", ")}`);
      if (body.store !== undefined && typeof body.store !== "string")
        throw new CatalogError(400, "store must be a store id");
      if (body.dataset !== undefined && typeof body.dataset !== "string")
        throw new CatalogError(400, "dataset must be an id");
      const entry = await catalog.publish(
        {
          storeId: (body.store as string | undefined) ?? principal.storeId,
          description: body.description,
          offer: body.offer,
          ...(body.accessPolicy !== undefined ? { accessPolicy: body.accessPolicy } : {}),
          ...(body.dataset !== undefined ? { dataset: body.dataset as string } : {}),
        },
        actorOf(principal),
      );
      return reply
        .code(201)
        .header("location", `/contract/catalog/${encodeURIComponent(entry.dataset)}`)
        .send(entry);
    }),
  );

  app.get(
    "/contract/catalog/:id",
    { schema: { hide: true } },
    api(async (principal, request): Promise<CatalogEntry> => {
      const { id } = request.params as { id: string };
      const { version, ...rest } = request.query as Record<string, string | undefined>;
      if (Object.keys(rest).length > 0)
        throw new CatalogError(400, `unknown parameter ${Object.keys(rest).join(", ")}`);
      const n = version === undefined ? undefined : Number(version);
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 1))
        throw new CatalogError(400, "version must be a positive integer");
      return catalog.read(id, actorOf(principal), n);
    }),
  );

  app.get(
    "/contract/catalog/:id/versions",
    { schema: { hide: true } },
    api(async (principal, request) => {
      const { id } = request.params as { id: string };
      return { versions: await catalog.versions(id, actorOf(principal)) };
    }),
  );

  app.post(
    "/contract/catalog/:id/refresh",
    { schema: { hide: true } },
    api(async (principal, request, reply) => {
      needsAll(principal);
      const { id } = request.params as { id: string };
      return reply.code(201).send(await catalog.refresh(id, actorOf(principal)));
    }),
  );

  app.post(
    "/contract/catalog/:id/withdraw",
    { schema: { hide: true } },
    api(async (principal, request) => {
      needsAll(principal);
      const { id } = request.params as { id: string };
      const body = (jsonBody(request.body) ?? {}) as { reason?: unknown };
      if (body.reason !== undefined && typeof body.reason !== "string")
        throw new CatalogError(400, "reason must be a string");
      return catalog.withdraw(id, body.reason ?? "withdrawn by the provider", actorOf(principal));
    }),
  );
}
