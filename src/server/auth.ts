/**
 * Who is calling, for the routes outside the xAPI resources: the LRS's credentials over HTTP Basic
 * (a credential belongs to one store, and a participant of the data space is known by its store id).
 * A refusal names what is missing; credentials never reach the logs.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Participant } from "../contract/index.js";
import type { Lrs, Principal } from "../lrs/index.js";

export async function principalOf(lrs: Lrs, request: FastifyRequest): Promise<Principal | undefined> {
  const header = request.headers.authorization ?? "";
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const pair = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = pair.indexOf(":");
  if (colon < 1) return undefined;
  return lrs.tenancy.authenticate(pair.slice(0, colon), pair.slice(colon + 1));
}

/** Replies `{ error: { status, message } }`; a 401 asks for HTTP Basic, or for `challenge` when given. */
export function refuse(
  reply: FastifyReply,
  status: number,
  message: string,
  challenge = 'Basic realm="learnpool"',
): FastifyReply {
  if (status === 401) reply.header("www-authenticate", challenge);
  return reply.code(status).send({ error: { status, message } });
}

/** What a route answers for an error meant for the caller; `challenge` replaces HTTP Basic on a 401. */
export interface Refusal {
  status: number;
  message: string;
  challenge?: string;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Wraps the handlers of a group of routes: an error `refusalOf` recognizes is answered as a refusal;
 * any other goes on to the server's error handler (a logged 500 that shows the caller nothing).
 */
export function guarded(
  refusalOf: (err: unknown, request: FastifyRequest, reply: FastifyReply) => Refusal | undefined,
): (fn: Handler) => Handler {
  return (fn) => async (request, reply) => {
    try {
      return await fn(request, reply);
    } catch (err) {
      const refusal = refusalOf(err, request, reply);
      if (!refusal) throw err;
      return refuse(reply, refusal.status, refusal.message, refusal.challenge);
    }
  };
}

/** The refusal of an error that carries its own HTTP status, when it is one of `kinds`. */
export function statusRefusal(
  err: unknown,
  ...kinds: (abstract new (
    ...args: never[]
  ) => Error & { status: number })[]
): Refusal | undefined {
  if (kinds.some((kind) => err instanceof kind)) {
    const e = err as Error & { status: number };
    return { status: e.status, message: e.message };
  }
  return undefined;
}

/** An error meant for the caller, with its HTTP status (answered through `statusRefusal`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/**
 * The participant calling: a credential whose store is a registered participant of the data space.
 * `change`, when given, says why the call changes state: it then needs a credential with scope `all`.
 */
export async function participantOf(
  lrs: Lrs,
  participants: { get(id: string): Promise<Participant | undefined> },
  request: FastifyRequest,
  change?: string,
): Promise<Participant> {
  const principal = await principalOf(lrs, request);
  if (!principal) throw new HttpError(401, "an LRS credential (HTTP Basic) is needed");
  const participant = await participants.get(principal.storeId);
  if (!participant)
    throw new HttpError(
      403,
      `store '${principal.storeId}' is not a registered participant of the data space`,
    );
  if (change !== undefined && !principal.scopes.has("all"))
    throw new HttpError(403, `${change}: it needs a credential with scope 'all'`);
  return participant;
}
