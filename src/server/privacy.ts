/**
 * HTTP wiring of the OPRF pseudonymization service: the public key of a linkage domain, and the
 * evaluation of blinded elements for a member store's credential (HTTP Basic, the LRS's credentials).
 * The rules (membership, rate, audit, evaluation) are the privacy module's; bodies are never logged.
 */
import type { FastifyInstance } from "fastify";
import type { Lrs } from "../lrs/index.js";
import { DomainKeys, loadMasterKey, MAX_OPRF_BATCH, OprfError, OprfService } from "../privacy/index.js";
import { guarded, principalOf, refuse } from "./auth.js";

export const PRIVACY_BASE = "/privacy";

/**
 * The service `learnpool serve` runs when none is given: keys under the master key of
 * LEARNPOOL_MASTER_KEY_FILE or LEARNPOOL_MASTER_KEY (without one, evaluations answer 503), a rate of
 * LEARNPOOL_OPRF_RATE identifiers per hour per store (default 100,000).
 */
export function privacyServiceFromEnvironment(lrs: Lrs, env: NodeJS.ProcessEnv = process.env): OprfService {
  const master = loadMasterKey({ env });
  const domains = new DomainKeys(lrs.db, lrs.audit, {
    ...(master && { master }),
    ...(env.LEARNPOOL_DOMAIN_BASE && { iriBase: env.LEARNPOOL_DOMAIN_BASE }),
  });
  const rate = Number(env.LEARNPOOL_OPRF_RATE ?? 100_000);
  if (!Number.isFinite(rate) || rate < 1) throw new Error("LEARNPOOL_OPRF_RATE must be a positive number");
  return new OprfService(domains, lrs.audit, { identifiersPerPeriod: rate });
}

function parseBody(body: unknown): { blinded: string[]; keyId?: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(body) ? body.toString("utf8") : "");
  } catch {
    throw new OprfError(400, "the body must be JSON: { blinded: [base64, …] }");
  }
  const { blinded, keyId } = (value ?? {}) as { blinded?: unknown; keyId?: unknown };
  if (!Array.isArray(blinded) || !blinded.every((b) => typeof b === "string")) {
    throw new OprfError(400, `blinded must be an array of up to ${MAX_OPRF_BATCH} base64 strings`);
  }
  if (keyId !== undefined && typeof keyId !== "string") throw new OprfError(400, "keyId must be a string");
  return { blinded, ...(keyId !== undefined && { keyId }) };
}

export function registerPrivacyRoutes(app: FastifyInstance, lrs: Lrs, service: OprfService): void {
  const handle = guarded((err, request, reply) => {
    if (!(err instanceof OprfError)) return undefined;
    if (err.retryAfter !== undefined) reply.header("retry-after", String(err.retryAfter));
    if (err.status >= 500) request.log.error({ status: err.status }, err.message);
    return { status: err.status, message: err.message };
  });

  app.get(
    `${PRIVACY_BASE}/domains/:id/oprf-key`,
    { schema: { hide: true } },
    handle(async (request) => {
      const { id } = request.params as { id: string };
      const { keyId } = request.query as { keyId?: string };
      return service.publicKey(id, keyId);
    }),
  );

  app.post(
    `${PRIVACY_BASE}/domains/:id/oprf`,
    { schema: { hide: true } },
    handle(async (request, reply) => {
      const principal = await principalOf(lrs, request);
      if (!principal) return refuse(reply, 401, "an LRS credential (HTTP Basic) is needed");
      const { id } = request.params as { id: string };
      const body = parseBody(request.body);
      return service.evaluate({
        storeId: principal.storeId,
        actor: principal.key,
        domainId: id,
        blinded: body.blinded,
        ...(body.keyId !== undefined && { keyId: body.keyId }),
      });
    }),
  );
}
