import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import {
  type ContractEnvironment,
  contractEnvironment,
  contractSettingsFromEnvironment,
} from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import { PrivacyLedger } from "../privacy/dp/ledger.js";
import type { OprfService } from "../privacy/index.js";
import { registerConsole } from "../web/index.js";
import { registerAgreementRoutes } from "./agreements.js";
import { registerAuditRoutes } from "./audit.js";
import { registerCatalogRoutes } from "./catalog.js";
import { consentServicesFromEnvironment, registerConsentRoutes } from "./consent.js";
import { datasetServicesFromEnvironment, registerDatasetRoutes } from "./datasets.js";
import { registerDspRoutes } from "./dsp.js";
import { registerEnforcementRoutes } from "./enforcement.js";
import { openApiDocument } from "./openapi.js";
import { privacyServiceFromEnvironment, registerPrivacyRoutes } from "./privacy.js";
import { registerTrainRoutes, trainServicesFromEnvironment } from "./train.js";
import { xapiResources } from "./xapi/resources.js";
import { type RawRequest, XapiRouter } from "./xapi/router.js";

export interface ServerOptions {
  lrs: Lrs;
  /** pino options, or false for silence (tests). */
  logger?: FastifyServerOptions["logger"];
  /** Largest request body, in bytes. */
  bodyLimit?: number;
  /** The OPRF pseudonymization service (default: from the environment, see privacy.ts). */
  privacy?: OprfService;
  /**
   * The contract module's services, built once (default: from the environment, see
   * contract/environment.ts): catalog, agreements, DSP and enforcement routes share them.
   */
  contract?: ContractEnvironment;
}

export const XAPI_BASE = "/xapi";

/**
 * Request logs name the route and the outcome, never the query string (it carries agents' mboxes),
 * the body or the Authorization header.
 */
const serializers = {
  req(req: { method: string; url: string; id: string }) {
    return { id: req.id, method: req.method, path: req.url.split("?")[0] };
  },
  res(res: { statusCode: number }) {
    return { status: res.statusCode };
  },
};

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger === undefined ? { level: "info", serializers } : options.logger;
  const app = Fastify({
    logger: logger && typeof logger === "object" ? { serializers, ...logger } : logger,
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    // Deep JSON and odd media types are the xAPI layer's to judge: every body arrives as bytes.
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  // Once shutdown begins, replies to the requests still in flight close their connections: a client's
  // idle keep-alive connection would otherwise hold the server open until it is killed.
  let closing = false;
  app.addHook("preClose", async () => {
    closing = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  // The document is assembled by hand (see openapi.ts); its type is checked there, not by the plugin.
  await app.register(fastifySwagger, {
    mode: "static",
    specification: { document: openApiDocument() as never },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => openApiDocument());
  app.get("/health", { schema: { hide: true } }, async () => {
    await options.lrs.db.one("SELECT 1 AS ok");
    return { status: "ok" };
  });

  registerPrivacyRoutes(app, options.lrs, options.privacy ?? privacyServiceFromEnvironment(options.lrs));
  const contract = options.contract ?? contractEnvironment(options.lrs, contractSettingsFromEnvironment());
  registerCatalogRoutes(app, options.lrs, contract.catalog);
  registerAgreementRoutes(app, options.lrs, contract.agreements);
  registerDspRoutes(app, options.lrs, contract.dsp, { peerStore: contract.peerStore });
  registerEnforcementRoutes(app, options.lrs, contract);
  const consent = consentServicesFromEnvironment(options.lrs, contract);
  registerConsentRoutes(app, options.lrs, consent);
  const datasets = datasetServicesFromEnvironment(options.lrs, contract, consent);
  // After the notifier's listener: versions holding a withdrawn learner are superseded in the
  // withdrawal's own transaction, naming it.
  consent.registry.onChange(datasets.versions.listener());
  registerDatasetRoutes(app, options.lrs, datasets);
  const train = trainServicesFromEnvironment(options.lrs, contract, datasets.versions, consent, {
    ledger: new PrivacyLedger(options.lrs.db, options.lrs.audit),
  });
  // Withdrawals after training are recorded against the jobs whose data held the learner.
  consent.registry.onChange(train.jobs.listener());
  registerTrainRoutes(app, options.lrs, train);
  registerAuditRoutes(app, options.lrs, contract.agreements.participants);
  registerConsole(app);

  const router = new XapiRouter(options.lrs, xapiResources(options.lrs));
  const handler = async (
    request: import("fastify").FastifyRequest,
    reply: import("fastify").FastifyReply,
  ): Promise<void> => {
    const url = new URL(request.url, "http://x");
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const raw: RawRequest = {
      method: request.method,
      resource: url.pathname.slice(XAPI_BASE.length + 1).replace(/\/+$/, ""),
      query,
      headers: request.headers as Record<string, string | undefined>,
      body: Buffer.isBuffer(request.body) ? request.body : undefined,
      base: XAPI_BASE,
    };
    const result = await router.handle(raw);
    reply.code(result.status);
    for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
    // Bytes, so that Fastify leaves the Content-Type as the resource set it (it appends a charset to
    // string payloads, and the 1.0.3 suite wants exactly `application/json`).
    const body = typeof result.body === "string" ? Buffer.from(result.body, "utf8") : result.body;
    await (body === undefined ? reply.send() : reply.send(body));
  };
  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
    url: `${XAPI_BASE}/*`,
    handler,
    schema: { hide: true },
  });

  // Fastify's own 404 handler logs the whole URL, query string (and so an agent's mbox) included.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    void reply
      .code(404)
      .header("access-control-allow-origin", "*")
      .send({ error: { status: 404, message: `no route ${request.method} ${path}` } });
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const message =
      error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
        ? `the request body is larger than the limit of ${options.bodyLimit ?? 64 * 1024 * 1024} bytes`
        : status >= 500
          ? "internal error"
          : error.message;
    void reply
      .code(status)
      .header("x-experience-api-version", "2.0.0")
      .header("access-control-allow-origin", "*")
      .send({ error: { status, message } });
  });
  return app;
}
