/**
 * HTTP wiring of participants and signed agreements (contract module), under `/contract/`. Every route
 * but a participant's JWKS authenticates with an LRS credential (HTTP Basic): the credential's store is
 * the participant. The operator is the participant registered with role `operator`; changes (register,
 * keys, propose, sign, terminate, revoke) need a credential with scope `all`. A participant sees only
 * the agreements it is party to (the operator sees all); any other agreement is a 404. The rules are
 * the registry's; this file translates HTTP to its calls.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  type Agreement,
  type AgreementDraft,
  AgreementError,
  type AgreementRegistry,
  type Participant,
  type ParticipantRole,
} from "../contract/index.js";
import type { Lrs, Principal } from "../lrs/index.js";
import { guarded, principalOf, statusRefusal } from "./auth.js";

export const CONTRACT_BASE = "/contract";

class Unauthenticated extends Error {}

interface Caller {
  principal: Principal;
  participant: Participant;
  isOperator: boolean;
}

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const raw = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AgreementError(400, "the body must be a JSON object");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new AgreementError(400, "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

function jwsOf(request: FastifyRequest): string {
  const { jws } = jsonBody(request);
  if (typeof jws !== "string") throw new AgreementError(400, "the body must be { jws: <compact JWS> }");
  return jws;
}

/** The routes over the environment's one registry: a termination there stops running transfers too. */
export function registerAgreementRoutes(app: FastifyInstance, lrs: Lrs, registry: AgreementRegistry): void {
  const participants = registry.participants;

  /** Who calls: a credential whose store is a registered participant; `change` needs scope `all`. */
  async function caller(request: FastifyRequest, change: boolean): Promise<Caller> {
    const principal = await principalOf(lrs, request);
    if (!principal) throw new Unauthenticated();
    const participant = await participants.get(principal.storeId);
    if (!participant) {
      throw new AgreementError(
        403,
        `store '${principal.storeId}' is not a registered participant of the data space`,
      );
    }
    if (change && !principal.scopes.has("all")) {
      throw new AgreementError(
        403,
        "changing participants or agreements needs a credential with scope 'all'",
      );
    }
    return { principal, participant, isOperator: participant.role === "operator" };
  }

  /** The agreement, if the caller may see it: a party, or the operator. Others get a 404. */
  async function visible(id: string, who: Caller): Promise<Agreement> {
    const agreement = await registry.get(id);
    if (
      !agreement ||
      !(who.isOperator || agreement.parties.some((p) => p.participant === who.participant.id))
    ) {
      throw new AgreementError(404, `no agreement ${id} that '${who.participant.id}' is party to`);
    }
    return agreement;
  }

  const handle = guarded((err) =>
    err instanceof Unauthenticated
      ? { status: 401, message: "an LRS credential (HTTP Basic) is needed" }
      : statusRefusal(err, AgreementError),
  );
  const opts = { schema: { hide: true } };
  const P = `${CONTRACT_BASE}/participants`;
  const A = `${CONTRACT_BASE}/agreements`;

  app.post(
    P,
    opts,
    handle(async (request, reply) => {
      const who = await caller(request, true);
      if (!who.isOperator) throw new AgreementError(403, "only the operator registers participants");
      const body = jsonBody(request);
      const { id, role, title, iri, keys } = body as {
        id?: unknown;
        role?: unknown;
        title?: unknown;
        iri?: unknown;
        keys?: unknown;
      };
      if (typeof id !== "string" || !id)
        throw new AgreementError(400, "id (the participant's store id) is required");
      if (typeof role !== "string") throw new AgreementError(400, "role is operator, provider or consumer");
      if (title !== undefined && typeof title !== "string")
        throw new AgreementError(400, "title must be a string");
      if (iri !== undefined && typeof iri !== "string") throw new AgreementError(400, "iri must be a string");
      if (keys !== undefined && !Array.isArray(keys))
        throw new AgreementError(400, "keys must be a list of public JWKs");
      const participant = await participants.register(
        {
          id,
          role: role as ParticipantRole,
          ...(title !== undefined && { title }),
          ...(iri !== undefined && { iri }),
        },
        who.principal.key,
      );
      const added = [];
      for (const jwk of (keys as unknown[] | undefined) ?? []) {
        added.push(await participants.addKey(id, jwk, who.principal.key));
      }
      return reply.code(201).send({ ...participant, keys: added });
    }),
  );

  // Who the credential is: what the web console asks at sign-in to choose the pages of the role.
  app.get(
    `${CONTRACT_BASE}/me`,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      return {
        participant: who.participant,
        store: who.principal.storeId,
        scopes: [...who.principal.scopes].sort(),
      };
    }),
  );

  app.get(
    P,
    opts,
    handle(async (request) => {
      await caller(request, false);
      return participants.list();
    }),
  );

  app.get(
    `${P}/:id`,
    opts,
    handle(async (request) => {
      await caller(request, false);
      const { id } = request.params as { id: string };
      const participant = await participants.get(id);
      if (!participant) throw new AgreementError(404, `no participant '${id}'`);
      return { ...participant, keys: await participants.keys(id) };
    }),
  );

  app.get(
    `${P}/:id/jwks.json`,
    opts,
    handle(async (request, reply) => {
      const { id } = request.params as { id: string };
      const jwks = await participants.jwks(id);
      return reply.header("content-type", "application/jwk-set+json").send(JSON.stringify(jwks));
    }),
  );

  /** A participant manages its own keys; the operator may too (onboarding, a lost key). */
  const keyOwner = async (request: FastifyRequest) => {
    const who = await caller(request, true);
    const { id } = request.params as { id: string };
    if (who.participant.id !== id && !who.isOperator) {
      throw new AgreementError(403, `only '${id}' or the operator manages '${id}''s keys`);
    }
    return { who, id };
  };

  app.post(
    `${P}/:id/keys`,
    opts,
    handle(async (request, reply) => {
      const { who, id } = await keyOwner(request);
      return reply.code(201).send(await participants.addKey(id, jsonBody(request), who.principal.key));
    }),
  );

  // Categories (collections) of a participant: the operator assigns them; anyone registered reads them.
  app.get(
    `${P}/:id/categories`,
    opts,
    handle(async (request) => {
      await caller(request, false);
      const { id } = request.params as { id: string };
      if (!(await participants.get(id))) throw new AgreementError(404, `no participant '${id}'`);
      return {
        participant: id,
        categories: await participants.categories(id),
        history: await participants.categoryHistory(id),
      };
    }),
  );

  const categoryChange = async (request: FastifyRequest) => {
    const who = await caller(request, true);
    if (!who.isOperator) throw new AgreementError(403, "only the operator assigns participants' categories");
    const { id } = request.params as { id: string };
    const { category } = jsonBody(request) as { category?: unknown };
    if (typeof category !== "string") throw new AgreementError(400, "category (an IRI) is required");
    return { who, id, category };
  };

  app.post(
    `${P}/:id/categories`,
    opts,
    handle(async (request, reply) => {
      const { who, id, category } = await categoryChange(request);
      return reply.code(201).send(await participants.categorize(id, category, who.principal.key));
    }),
  );

  app.post(
    `${P}/:id/categories/remove`,
    opts,
    handle(async (request) => {
      const { who, id, category } = await categoryChange(request);
      return participants.uncategorize(id, category, who.principal.key);
    }),
  );

  app.post(
    `${P}/:id/keys/:kid/revoke`,
    opts,
    handle(async (request) => {
      const { who, id } = await keyOwner(request);
      const { kid } = request.params as { kid: string };
      return participants.revokeKey(id, kid, who.principal.key);
    }),
  );

  app.post(
    A,
    opts,
    handle(async (request, reply) => {
      const who = await caller(request, true);
      const body = jsonBody(request);
      if (body.proposedBy !== undefined && body.proposedBy !== who.participant.id) {
        throw new AgreementError(
          403,
          `'${who.participant.id}' cannot propose on behalf of '${String(body.proposedBy)}'`,
        );
      }
      const agreement = await registry.propose({
        ...body,
        proposedBy: who.participant.id,
      } as unknown as AgreementDraft);
      return reply.code(201).send({ ...agreement, status: await registry.status(agreement.id) });
    }),
  );

  app.get(
    A,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      const { participant } = request.query as { participant?: string };
      const list = who.isOperator
        ? await registry.list(participant ? { participant } : {})
        : await registry.list({ participant: who.participant.id });
      return list.map((a) => ({
        id: a.id,
        digest: a.digest,
        parties: a.parties,
        offers: a.offers,
        notBefore: a.notBefore,
        notAfter: a.notAfter,
        createdAt: a.createdAt,
      }));
    }),
  );

  app.get(
    `${A}/:id`,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      const agreement = await visible((request.params as { id: string }).id, who);
      return { ...agreement, status: await registry.status(agreement.id) };
    }),
  );

  // The exact bytes a party signs, for clients that would rather not canonicalize themselves.
  app.get(
    `${A}/:id/canonical`,
    opts,
    handle(async (request, reply) => {
      const who = await caller(request, false);
      const agreement = await visible((request.params as { id: string }).id, who);
      return reply
        .header("content-type", "application/json")
        .header("digest", `sha-256=${Buffer.from(agreement.digest, "hex").toString("base64")}`)
        .send(agreement.canonical);
    }),
  );

  const act = (path: string, fn: (id: string, participant: string, jws: string) => Promise<unknown>) =>
    app.post(
      `${A}/:id/${path}`,
      opts,
      handle(async (request) => {
        const who = await caller(request, true);
        const agreement = await visible((request.params as { id: string }).id, who);
        return fn(agreement.id, who.participant.id, jwsOf(request));
      }),
    );
  act("signatures", (id, p, jws) => registry.sign(id, p, jws));
  act("termination", (id, p, jws) => registry.terminate(id, p, jws));
  act("revocation", (id, p, jws) => registry.revoke(id, p, jws));

  app.get(
    `${A}/:id/status`,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      const agreement = await visible((request.params as { id: string }).id, who);
      const { at } = request.query as { at?: string };
      if (at !== undefined && Number.isNaN(Date.parse(at))) {
        throw new AgreementError(400, "at must be an ISO 8601 date-time");
      }
      return registry.status(agreement.id, at === undefined ? undefined : new Date(at));
    }),
  );

  app.get(
    `${A}/:id/verify`,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      const agreement = await visible((request.params as { id: string }).id, who);
      return registry.verify(agreement.id);
    }),
  );

  app.get(
    `${A}/:id/events`,
    opts,
    handle(async (request) => {
      const who = await caller(request, false);
      const agreement = await visible((request.params as { id: string }).id, who);
      return registry.events(agreement.id);
    }),
  );
}
