/**
 * HTTP wiring of the Dataspace Protocol 2025-1 (contract negotiation and transfer process, HTTPS
 * binding) under /dsp: each route authenticates the caller (HTTP Basic: the credential of the
 * counterparty's store here), reads the body and calls DspService; protocol errors become
 * ContractNegotiationError / TransferError bodies. This side's pid is in the path, whichever role it
 * plays, so one route serves the provider's endpoint and the consumer's callback of the same name.
 *
 * Under /contract/, the consumer's own starts (Learnpool's JSON API, HTTP Basic with the consumer
 * store's credential): `POST /contract/negotiations` {provider, offer, counterparty?} asks a provider
 * for an offer; `POST /contract/transfers` {negotiation} asks for the data of a FINALIZED agreement;
 * `GET /contract/transfers/:pid/data[?cursor=]` pulls one page through this side (JSON lines, the
 * next cursor in `learnpool-next-cursor`); `POST /contract/transfers/:pid/completion|suspension|
 * termination` ends it; GET lists and shows negotiations and transfers with their messages. Data plane
 * tokens are never shown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  buildMessage,
  type DataAddress,
  DspProtocolError,
  DspRemoteError,
  type DspService,
  type HistoryEntry,
  isSecretName,
  type JsonObject,
  type Negotiation,
  type TransferProcessRecord,
} from "../contract/index.js";
import type { Lrs, Principal } from "../lrs/index.js";
import { principalOf, refuse } from "./auth.js";

export const DSP_BASE = "/dsp";

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

/**
 * The protocol routes under /dsp and the consumer's routes under /contract/, over the environment's one
 * DSP service; `peerStore` names the store a provider at a DSP address calls us with (the peers file).
 */
export function registerDspRoutes(
  app: FastifyInstance,
  lrs: Lrs,
  service: DspService,
  options: { peerStore?: (address: string) => string | undefined } = {},
): DspService {
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
        // A protocol endpoint answers in the protocol: the binding's error body, with the challenge.
        if (!principal)
          return protocolError(
            reply.header("www-authenticate", 'Basic realm="learnpool"'),
            kind,
            new DspProtocolError(
              401,
              "Unauthorized",
              "the Dataspace Protocol endpoints need an HTTP Basic credential",
            ),
          );
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
  registerConsumerRoutes(app, lrs, service, options.peerStore ?? (() => undefined));
  return service;
}

// ------------------------------------------------------------------ the consumer's starts

/** A DataAddress as shown: where, never the token. */
function withoutToken(address: DataAddress | undefined): DataAddress | undefined {
  if (!address?.endpointProperties) return address;
  return {
    ...address,
    endpointProperties: address.endpointProperties.map((p) =>
      isSecretName(p.name) ? { ...p, value: "[hidden]" } : p,
    ),
  };
}

function transferView({ tokenHash: _hidden, dataAddress, ...t }: TransferProcessRecord) {
  return { ...t, ...(dataAddress ? { dataAddress: withoutToken(dataAddress) } : {}) };
}

/** Why a process was terminated, from its last termination message, when it was. */
function terminationReason(history: HistoryEntry[]): string | undefined {
  const last = history.filter((h) => /TerminationMessage$/.test(h.type)).at(-1);
  const reason = last?.body.reason ?? last?.body["dspace:reason"];
  if (reason === undefined) return undefined;
  return (Array.isArray(reason) ? reason : [reason])
    .map((r) => (typeof r === "string" ? r : JSON.stringify(r)))
    .join("; ");
}

class ConsumerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function objectBody(request: FastifyRequest): JsonObject {
  let value: unknown;
  try {
    value = json(request) ?? {};
  } catch {
    throw new ConsumerError(400, "the body must be a JSON object");
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new ConsumerError(400, "the body must be a JSON object");
  return value as JsonObject;
}

function registerConsumerRoutes(
  app: FastifyInstance,
  lrs: Lrs,
  service: DspService,
  peerStore: (address: string) => string | undefined,
): void {
  const handle =
    (
      /** Needs scope `all`: true, or the refusal's own message. */
      change: boolean | string,
      fn: (principal: Principal, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    ) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = await principalOf(lrs, request);
      if (!principal) return refuse(reply, 401, "an LRS credential (HTTP Basic) is needed");
      if (change && !principal.scopes.has("all"))
        return refuse(
          reply,
          403,
          typeof change === "string"
            ? change
            : "negotiating and transferring need a credential with scope all",
        );
      try {
        return await fn(principal, request, reply);
      } catch (err) {
        if (err instanceof ConsumerError) return refuse(reply, err.status, err.message);
        // The provider's refusal keeps its status (403: the policy or the agreement said no).
        if (err instanceof DspRemoteError)
          return refuse(
            reply,
            err.remoteStatus >= 400 && err.remoteStatus < 500 ? err.remoteStatus : 502,
            err.message,
          );
        if (err instanceof DspProtocolError) return refuse(reply, err.status, err.message);
        throw err;
      }
    };
  const opts = { schema: { hide: true } };

  /** Our participant's own process: anyone else's is a 404. */
  const ownNegotiation = async (principal: Principal, pid: string): Promise<Negotiation> => {
    const n = await service.negotiation(pid);
    if (!n || n.participant !== principal.storeId) throw new ConsumerError(404, `no negotiation ${pid}`);
    return n;
  };
  const ownTransfer = async (principal: Principal, pid: string): Promise<TransferProcessRecord> => {
    const t = await service.transfer(pid);
    if (!t || t.participant !== principal.storeId) throw new ConsumerError(404, `no transfer ${pid}`);
    return t;
  };
  const negotiationView = async (n: Negotiation) => {
    const history = await service.negotiationHistory(n.localPid);
    const reason = terminationReason(history);
    return { ...n, ...(reason ? { reason } : {}), history };
  };

  app.post(
    "/contract/negotiations",
    opts,
    handle(true, async (principal, request, reply) => {
      const body = objectBody(request);
      const { provider, offer, counterparty } = body;
      if (typeof provider !== "string")
        throw new ConsumerError(400, "provider (the provider's Dataspace Protocol address) is required");
      const offered = typeof offer === "string" ? { "@id": offer } : (offer as JsonObject | undefined);
      if (!offered || typeof offered !== "object" || typeof offered["@id"] !== "string")
        throw new ConsumerError(400, "offer is the offer's id (from the catalog) or an ODRL offer with @id");
      const store = typeof counterparty === "string" ? counterparty : peerStore(provider);
      if (!store)
        throw new ConsumerError(
          400,
          "counterparty (the store the provider calls this side with) is required: no peer in LEARNPOOL_DSP_PEERS names one for this address",
        );
      const n = await service.requestContract({
        participant: principal.storeId,
        counterparty: store,
        providerAddress: provider,
        offer: offered,
      });
      return reply.code(201).send(await negotiationView(n));
    }),
  );

  app.get(
    "/contract/negotiations",
    opts,
    handle(false, async (principal) => service.listNegotiations({ participant: principal.storeId })),
  );

  app.get(
    "/contract/negotiations/:pid",
    opts,
    handle(false, async (principal, request) =>
      negotiationView(await ownNegotiation(principal, (request.params as { pid: string }).pid)),
    ),
  );

  app.post(
    "/contract/transfers",
    opts,
    handle(true, async (principal, request, reply) => {
      const { negotiation, format } = objectBody(request);
      if (typeof negotiation !== "string")
        throw new ConsumerError(400, "negotiation (the pid of a FINALIZED negotiation) is required");
      if (format !== undefined && typeof format !== "string")
        throw new ConsumerError(400, "format must be a string");
      await ownNegotiation(principal, negotiation);
      const t = await service.requestTransfer({
        negotiationPid: negotiation,
        ...(format !== undefined ? { format } : {}),
      });
      return reply.code(201).send(transferView(t));
    }),
  );

  app.get(
    "/contract/transfers",
    opts,
    handle(false, async (principal) =>
      (await service.listTransfers({ participant: principal.storeId })).map(transferView),
    ),
  );

  app.get(
    "/contract/transfers/:pid",
    opts,
    handle(false, async (principal, request) => {
      const t = await ownTransfer(principal, (request.params as { pid: string }).pid);
      const history = await service.transferHistory(t.localPid);
      const reason = terminationReason(history);
      return { ...transferView(t), ...(reason ? { reason } : {}), history };
    }),
  );

  // Scope `all` although nothing is stored here: each page pulled makes the provider count one use
  // of the agreement (ODRL count), so a pull spends what the agreement allows, as a change does. A
  // read-only credential must not be able to exhaust the agreement.
  app.get(
    "/contract/transfers/:pid/data",
    opts,
    handle(
      "pulling a page counts a use of the agreement at the provider: it needs a credential with scope all",
      async (principal, request, reply) => {
        const t = await ownTransfer(principal, (request.params as { pid: string }).pid);
        const { cursor } = request.query as { cursor?: string };
        const page = await service.pull(t.localPid, cursor);
        if (page.next) reply.header("learnpool-next-cursor", page.next);
        return reply
          .code(200)
          .type("application/x-ndjson")
          .send(page.lines.length ? `${page.lines.join("\n")}\n` : "");
      },
    ),
  );

  for (const verb of ["completion", "suspension", "termination"] as const) {
    app.post(
      `/contract/transfers/:pid/${verb}`,
      opts,
      handle(true, async (principal, request) => {
        const t = await ownTransfer(principal, (request.params as { pid: string }).pid);
        const { reason } = objectBody(request);
        if (reason !== undefined && typeof reason !== "string")
          throw new ConsumerError(400, "reason must be a string");
        return transferView(await service.endTransfer(undefined, t.localPid, verb, reason));
      }),
    );
  }
}
