/**
 * HTTP wiring of the Dataspace Protocol 2025-1 (contract negotiation and transfer process, HTTPS
 * binding) under /dsp: each route authenticates the caller (HTTP Basic: the credential of the
 * counterparty's store here), reads the body and calls DspService; protocol errors become
 * ContractNegotiationError / TransferError bodies. This side's pid is in the path, whichever role it
 * plays, so one route serves the provider's endpoint and the consumer's callback of the same name.
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AgreementRegistry } from "../contract/agreements/index.js";
import { buildMessage, DspProtocolError, DspService, type DspServiceOptions } from "../contract/dsp/index.js";
import type { Lrs, Principal } from "../lrs/index.js";
import { principalOf, refuse } from "./auth.js";

export const DSP_BASE = "/dsp";

/**
 * The service as configured by the environment: LEARNPOOL_DSP_BASE_URL (default
 * LEARNPOOL_PUBLIC_URL + /dsp), LEARNPOOL_DSP_PEERS (a JSON file of [{endpoint, key, secret}]: the
 * credential to present at each counterparty's address). Offers: none until the catalog is connected.
 */
export function dspOptionsFromEnvironment(lrs: Lrs, env = process.env): DspServiceOptions {
  const base =
    env.LEARNPOOL_DSP_BASE_URL ??
    `${(env.LEARNPOOL_PUBLIC_URL ?? "http://localhost:8080").replace(/\/+$/, "")}${DSP_BASE}`;
  const peers: { endpoint: string; key: string; secret: string }[] = env.LEARNPOOL_DSP_PEERS
    ? (JSON.parse(readFileSync(env.LEARNPOOL_DSP_PEERS, "utf8")) as {
        endpoint: string;
        key: string;
        secret: string;
      }[])
    : [];
  return {
    baseUrl: base,
    offers: { offer: async () => undefined },
    agreements: new AgreementRegistry(lrs.db, lrs.audit),
    authorize: (url) => {
      const peer = peers
        .filter((p) => url.startsWith(p.endpoint))
        .sort((a, b) => b.endpoint.length - a.endpoint.length)[0];
      return peer ? `Basic ${Buffer.from(`${peer.key}:${peer.secret}`).toString("base64")}` : undefined;
    },
  };
}

function json(request: FastifyRequest): unknown {
  const raw = request.body;
  if (raw === undefined || raw === null || (Buffer.isBuffer(raw) && raw.length === 0)) return undefined;
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw));
  } catch {
    throw new DspProtocolError(400, "InvalidJson", "the body is not JSON");
  }
}

type Kind = "negotiation" | "transfer";

/** A protocol refusal as the binding's error body (ContractNegotiationError or TransferError). */
function protocolError(reply: FastifyReply, kind: Kind, err: unknown): FastifyReply {
  if (!(err instanceof DspProtocolError)) throw err;
  const body = buildMessage(kind === "negotiation" ? "ContractNegotiationError" : "TransferError", {
    code: err.code,
    reason: [err.message],
  });
  return reply.code(err.status).type("application/json").send(body);
}

export function registerDspRoutes(app: FastifyInstance, lrs: Lrs, options?: DspServiceOptions): DspService {
  const service = new DspService(lrs, options ?? dspOptionsFromEnvironment(lrs));
  app.addHook("onClose", async () => {
    await service.idle();
  });

  const route = (
    method: "GET" | "POST",
    path: string,
    kind: Kind,
    handler: (
      principal: Principal,
      request: FastifyRequest,
      params: Record<string, string>,
    ) => Promise<unknown>,
    created = false,
  ) => {
    app.route({
      method,
      url: `${DSP_BASE}${path}`,
      schema: { hide: true },
      handler: async (request, reply) => {
        const principal = await principalOf(lrs, request);
        if (!principal)
          return refuse(reply, 401, "the Dataspace Protocol endpoints need an HTTP Basic credential");
        const params = request.params as Record<string, string>;
        try {
          const body = await handler(principal, request, params);
          return reply
            .code(created ? 201 : 200)
            .type("application/json")
            .send(body);
        } catch (err) {
          return protocolError(reply, kind, err);
        }
      },
    });
  };

  // Negotiations: provider endpoints.
  route("GET", "/negotiations/:pid", "negotiation", (p, _r, { pid }) =>
    service.getNegotiation(p, pid as string),
  );
  route(
    "POST",
    "/negotiations/request",
    "negotiation",
    (p, r) => service.receiveInitialRequest(p, json(r)),
    true,
  );
  route("POST", "/negotiations/:pid/request", "negotiation", (p, r, { pid }) =>
    service.receiveRequest(p, pid as string, json(r)),
  );
  route("POST", "/negotiations/:pid/agreement/verification", "negotiation", (p, r, { pid }) =>
    service.receiveVerification(p, pid as string, json(r)),
  );
  // Learnpool's extension: the consumer's signature, after a verification that carried none.
  route("POST", "/negotiations/:pid/agreement/signature", "negotiation", (p, r, { pid }) =>
    service.receiveSignature(p, pid as string, json(r)),
  );
  // Negotiations: consumer callbacks.
  route(
    "POST",
    "/negotiations/offers",
    "negotiation",
    (p, r) => service.receiveInitialOffer(p, json(r)),
    true,
  );
  route("POST", "/negotiations/:pid/offers", "negotiation", (p, r, { pid }) =>
    service.receiveOffer(p, pid as string, json(r)),
  );
  route("POST", "/negotiations/:pid/agreement", "negotiation", (p, r, { pid }) =>
    service.receiveAgreement(p, pid as string, json(r)),
  );
  // Both roles: events (ACCEPTED to the provider, FINALIZED to the consumer) and termination.
  route("POST", "/negotiations/:pid/events", "negotiation", async (p, r, { pid }) => {
    const n = await service.negotiation(pid as string);
    return n?.role === "consumer"
      ? service.receiveEventAsConsumer(p, pid as string, json(r))
      : service.receiveEventAsProvider(p, pid as string, json(r));
  });
  route("POST", "/negotiations/:pid/termination", "negotiation", (p, r, { pid }) =>
    service.receiveNegotiationTermination(p, pid as string, json(r)),
  );

  // Transfers.
  route("GET", "/transfers/:pid", "transfer", (p, _r, { pid }) => service.getTransfer(p, pid as string));
  route("POST", "/transfers/request", "transfer", (p, r) => service.receiveTransferRequest(p, json(r)), true);
  for (const verb of ["start", "completion", "suspension", "termination"] as const) {
    route("POST", `/transfers/:pid/${verb}`, "transfer", (p, r, { pid }) =>
      service.receiveTransferMessage(p, pid as string, verb, json(r)),
    );
  }

  // The pull data plane: the bearer token of the DataAddress, not a Basic credential.
  app.get(`${DSP_BASE}/transfers/:pid/data`, { schema: { hide: true } }, async (request, reply) => {
    const { pid } = request.params as { pid: string };
    const { cursor } = request.query as { cursor?: string };
    try {
      const page = await service.dataPage(pid, request.headers.authorization, cursor);
      if (page.next) reply.header("learnpool-next-cursor", page.next);
      return reply
        .code(200)
        .type("application/x-ndjson")
        .send(page.lines.length ? `${page.lines.join("\n")}\n` : "");
    } catch (err) {
      if (err instanceof DspProtocolError && err.status === 401) reply.header("www-authenticate", "Bearer");
      return protocolError(reply, "transfer", err);
    }
  });
  return service;
}
