/**
 * Who is calling, for the routes outside the xAPI resources: the LRS's credentials over HTTP Basic
 * (a credential belongs to one store, and a participant of the data space is known by its store id).
 * A refusal names what is missing; credentials never reach the logs.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
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

/** Replies `{ error: { status, message } }`; a 401 asks for HTTP Basic. */
export function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  if (status === 401) reply.header("www-authenticate", 'Basic realm="learnpool"');
  return reply.code(status).send({ error: { status, message } });
}
