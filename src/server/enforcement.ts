/**
 * HTTP wiring of the contract module's enforcement (decisions and duties), under `/contract/`. Every
 * route authenticates (HTTP Basic, an LRS credential: its store is the participant). Asking a decision
 * and submitting evidence change state (a use counted, duties opened or fulfilled): they need a
 * credential with scope `all`, as the agreements' and the catalog's changes do. A participant sees only
 * the agreements it is party to: any other agreement, or a duty of one, is a 404. The operator reads the
 * duties of every agreement (as it reads every agreement under /contract/agreements); decisions and
 * evidence stay for the parties. A party other than the operator asks decisions only as itself (the
 * request's assignee is its own IRI). The rules are the enforcement service's; this file translates
 * HTTP to its calls.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  AgreementError,
  type AgreementRegistry,
  type DutyRecord,
  type EnforcementDecision,
  EnforcementError,
  isStep,
  type Participant,
  type PolicyEnforcement,
  PolicyError,
  readRequest,
  STEPS,
} from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import { guarded, HttpError, participantOf, statusRefusal } from "./auth.js";

const BASE = "/contract";

function jsonBody(request: FastifyRequest): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "");
  } catch {
    throw new HttpError(400, "the body must be a JSON object");
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new HttpError(400, "the body must be a JSON object");
  return value as Record<string, unknown>;
}

function decisionView(d: EnforcementDecision) {
  return {
    decision: d.decision,
    reason: d.reason,
    step: d.step,
    agreement: d.agreementId,
    at: d.at,
    rule: d.decidingRule ?? null,
    constraint: d.decidingConstraint ?? null,
    remedies: d.remedies,
    duties: d.openedDuties,
  };
}

/** The routes over the environment's registry and enforcement (see contract/environment.ts). */
export function registerEnforcementRoutes(
  app: FastifyInstance,
  lrs: Lrs,
  services: { agreements: AgreementRegistry; enforcement: PolicyEnforcement },
): void {
  const { agreements: registry, enforcement } = services;

  /** Who calls: a credential whose store is a registered participant; `change` needs scope `all`. */
  function caller(request: FastifyRequest, change: boolean): Promise<Participant> {
    return participantOf(
      lrs,
      registry.participants,
      request,
      change
        ? "asking a decision or submitting evidence changes the agreement's state (uses counted, duties opened or fulfilled)"
        : undefined,
    );
  }

  /** The caller's role in the agreement; a 404 when it is not a party (the agreement's existence is not told). */
  async function partyRole(agreementId: string, who: Participant): Promise<string> {
    const agreement = await registry.get(agreementId);
    const party = agreement?.parties.find((p) => p.participant === who.id);
    if (!party) throw new HttpError(404, `no agreement ${agreementId}`);
    return party.role;
  }

  const handle = guarded((err) =>
    err instanceof PolicyError
      ? { status: 400, message: err.message }
      : statusRefusal(err, HttpError, EnforcementError, AgreementError),
  );

  app.post(
    `${BASE}/agreements/:id/decisions`,
    { schema: { hide: true } },
    handle(async (request) => {
      const who = await caller(request, true);
      const { id } = request.params as { id: string };
      const role = await partyRole(id, who);
      const body = jsonBody(request);
      if (!isStep(body.step)) throw new HttpError(400, `step must be one of ${STEPS.join(", ")}`);
      const asked = readRequest(body.request);
      if (role !== "operator" && asked.assignee !== undefined && asked.assignee !== who.iri)
        throw new HttpError(403, `a party asks decisions only as itself (${who.iri})`);
      // No `at` over HTTP: a decision is for now, so that no caller can step back before an expiry.
      if (body.at !== undefined) throw new HttpError(400, "a decision is for now: the body takes no 'at'");
      const decision = await enforcement.decide({
        step: body.step,
        agreementId: id,
        actor: who.id,
        request: { ...asked, assignee: asked.assignee ?? who.iri },
      });
      return decisionView(decision);
    }),
  );

  app.get(
    `${BASE}/duties`,
    { schema: { hide: true } },
    handle(async (request) => {
      const who = await caller(request, false);
      const { agreement, state } = request.query as { agreement?: string; state?: string };
      if (state !== undefined && !["open", "fulfilled", "violated"].includes(state))
        throw new HttpError(400, "state is open, fulfilled or violated");
      // The operator reads every agreement's duties; any other participant, its own agreements' only.
      const operator = who.role === "operator";
      let agreements: string[] | undefined;
      if (agreement !== undefined) {
        if (operator) {
          if (!(await registry.get(agreement))) throw new HttpError(404, `no agreement ${agreement}`);
        } else await partyRole(agreement, who);
        agreements = [agreement];
      } else if (!operator) agreements = (await registry.list({ participant: who.id })).map((a) => a.id);
      const duties = await enforcement.duties({
        ...(agreements ? { agreements } : {}),
        ...(state ? { state: state as DutyRecord["state"] } : {}),
      });
      return { duties };
    }),
  );

  app.post(
    `${BASE}/duties/:id/evidence`,
    { schema: { hide: true } },
    handle(async (request) => {
      const who = await caller(request, true);
      const { id } = request.params as { id: string };
      const duty = await enforcement.duty(id);
      if (!duty) throw new HttpError(404, `no duty ${id}`);
      await partyRole(duty.agreement, who).catch(() => {
        throw new HttpError(404, `no duty ${id}`);
      });
      const body = jsonBody(request);
      const fulfilled = await enforcement.fulfil(id, { by: who.id, evidence: body });
      return { duty: fulfilled };
    }),
  );
}
