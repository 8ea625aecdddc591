/**
 * HTTP wiring of the consent module, under `/consent/`. Who calls decides what is seen:
 * - providers (HTTP Basic, an LRS credential whose store is a provider participant): notices, consent
 *   requests for a learner pseudonym and the portal links handed to the learner, a learner's status,
 *   the cohort of consenting pseudonyms;
 * - the portal (`Authorization: Bearer <portal link>`, the link a provider signed for one learner or
 *   guardian, one agreement, a few minutes): the notice, give, refuse, withdraw (per record, per purpose
 *   or all; several records at once in one change), the history and the receipts — a link makes one
 *   change, reading does not use it; when the provider's key is held here, a change's answer carries
 *   the next link (same learner, agreement and role, a new nonce, expiring no later than the one used),
 *   so that a learner can give, then withdraw, in the same visit;
 * - consumers (HTTP Basic): their webhook, their notifications, acknowledgements;
 * - the operator (HTTP Basic): delivery, latency, the sweep; the registry's JWKS is public (it is what
 *   anyone verifies a receipt with).
 * Learners' pseudonyms travel in bodies or query strings, never in paths: request logs keep paths only.
 * The rules are the consent module's; this file translates HTTP to its calls.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { JWK } from "jose";
import {
  type AgeClaim,
  ConsentError,
  ConsentNotifier,
  type ConsentRegistry,
  ConsentRegistry as ConsentRegistryClass,
  type ConsentRequestInput,
  catalogCategories,
  DEFAULT_AUDIENCE,
  type DeletionDutyOpener,
  type GuardianAttestation,
  isMinorAt,
  MAX_LINK_LIFETIME_MS,
  NOTICE_AUDIENCES,
  NOTICE_LANGUAGES,
  type Notice,
  type NoticeAudience,
  NoticeError,
  type NoticeLanguage,
  NoticeService,
  type NoticeSettings,
  NotificationDelivery,
  type NotificationState,
  NotifyError,
  noticeHtml,
  noticeMarkdown,
  type PortalLink,
  type PortalLinkClaims,
  signPortalLink,
} from "../consent/index.js";
import { readSigningKeys } from "../contract/environment.js";
import {
  AgreementError,
  type AgreementRegistry,
  type ContractEnvironment,
  type Participant,
  WithdrawalDuties,
  withdrawalGraceMs,
} from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import { guarded, HttpError, participantOf, statusRefusal } from "./auth.js";

export const CONSENT_BASE = "/consent";

/** The consent module's services, built once per process (`consentServices`). */
export interface ConsentServices {
  registry: ConsentRegistry;
  notices: NoticeService;
  notifier: ConsentNotifier;
  agreements: AgreementRegistry;
  /** Delivers notifications; started with the server and stopped with it when given. */
  delivery?: NotificationDelivery;
  /** Private Ed25519 JWKs (with kid) of the providers hosted here: they sign portal links here. */
  linkKeys?: ReadonlyMap<string, JWK>;
  /** Where the portal lives: links are returned as `<portalUrl>#<link>` too. */
  portalUrl?: string;
}

export interface ConsentServiceOptions {
  now?: () => Date;
  masterKey?: Buffer;
  linkKeys?: ReadonlyMap<string, JWK>;
  portalUrl?: string;
  settings?: NoticeSettings;
  /**
   * Who opens the consumers' deletion duties on a withdrawal: default contract's `WithdrawalDuties`
   * (duties tracked by enforcement, listed by GET /contract/duties); `false` opens none.
   */
  deletionDuties?: DeletionDutyOpener | false;
  /** The time consumers have to delete after a withdrawal (default 30 days; see WithdrawalDuties). */
  deletionGraceMs?: number;
  allowHttpWebhooks?: boolean;
  /** Delivery worker options; `false` builds none. */
  delivery?: ConstructorParameters<typeof NotificationDelivery>[2] | false;
}

/**
 * Builds the consent services over the contract environment's agreements and joins them: the
 * notifier listens to every state change of the registry, and the delivery worker is woken after each.
 */
export function consentServices(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements">,
  options: ConsentServiceOptions = {},
): ConsentServices {
  const agreements = contract.agreements;
  const registry = new ConsentRegistryClass(lrs.db, lrs.audit, agreements, {
    ...(options.now && { now: options.now }),
    ...(options.masterKey && { masterKey: options.masterKey }),
  });
  const notices = new NoticeService(lrs.db, lrs.audit, agreements, {
    categories: catalogCategories(lrs.db),
    ...(options.settings && { settings: options.settings }),
    ...(options.now && { now: options.now }),
  });
  const deletionDuties =
    options.deletionDuties === false
      ? undefined
      : (options.deletionDuties ??
        new WithdrawalDuties(lrs.audit, agreements, {
          ...(options.deletionGraceMs !== undefined && { graceMs: options.deletionGraceMs }),
        }));
  const notifier = new ConsentNotifier(lrs.db, lrs.audit, agreements, {
    ...(options.now && { now: options.now }),
    ...(options.masterKey && { masterKey: options.masterKey }),
    ...(deletionDuties && { deletionDuties }),
    ...(options.allowHttpWebhooks !== undefined && { allowHttp: options.allowHttpWebhooks }),
  });
  registry.onChange(notifier.listener());
  const delivery =
    options.delivery === false
      ? undefined
      : new NotificationDelivery(lrs.db, notifier, options.delivery ?? {});
  if (delivery)
    registry.onChange((change) => {
      if (change.state === "withdrawn" || change.state === "expired" || change.state === "invalidated")
        setImmediate(() => delivery.wake());
    });
  return {
    registry,
    notices,
    notifier,
    agreements,
    ...(delivery && { delivery }),
    ...(options.linkKeys && { linkKeys: options.linkKeys }),
    ...(options.portalUrl && { portalUrl: options.portalUrl }),
  };
}

/**
 * From the environment: LEARNPOOL_SIGNING_KEYS (the hosted participants' private keys, which also sign
 * portal links), LEARNPOOL_CONSENT_PORTAL_URL, LEARNPOOL_CONSENT_CONTACT (`Name <email>`),
 * LEARNPOOL_CONSENT_JURISDICTION (default FR), LEARNPOOL_CONSENT_STORAGE (words),
 * LEARNPOOL_CONSENT_HTTP_WEBHOOKS=1 to accept http:// webhooks, and LEARNPOOL_CONSENT_DELETION_GRACE
 * (an ISO 8601 duration, default P30D) for the deletion duties a withdrawal opens.
 */
export function consentServicesFromEnvironment(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements">,
  env: NodeJS.ProcessEnv = process.env,
): ConsentServices {
  const contact = env.LEARNPOOL_CONSENT_CONTACT
    ? /^(.*?)\s*<([^>]+)>\s*$/.exec(env.LEARNPOOL_CONSENT_CONTACT)
    : null;
  const settings: NoticeSettings = {
    ...(env.LEARNPOOL_CONSENT_JURISDICTION && { jurisdiction: env.LEARNPOOL_CONSENT_JURISDICTION }),
    ...(env.LEARNPOOL_CONSENT_STORAGE && { storageLocation: env.LEARNPOOL_CONSENT_STORAGE }),
    ...(env.LEARNPOOL_CONSENT_PORTAL_URL && { portalUrl: env.LEARNPOOL_CONSENT_PORTAL_URL }),
    ...(env.LEARNPOOL_CONSENT_CONTACT && {
      contact: contact ? { name: contact[1]!, email: contact[2]! } : { name: env.LEARNPOOL_CONSENT_CONTACT },
    }),
  };
  return consentServices(lrs, contract, {
    settings,
    ...(env.LEARNPOOL_SIGNING_KEYS && { linkKeys: readSigningKeys(env.LEARNPOOL_SIGNING_KEYS) }),
    ...(env.LEARNPOOL_CONSENT_PORTAL_URL && { portalUrl: env.LEARNPOOL_CONSENT_PORTAL_URL }),
    allowHttpWebhooks: env.LEARNPOOL_CONSENT_HTTP_WEBHOOKS === "1",
    ...(env.LEARNPOOL_CONSENT_DELETION_GRACE && {
      deletionGraceMs: withdrawalGraceMs(env.LEARNPOOL_CONSENT_DELETION_GRACE),
    }),
  });
}

function jsonBody(request: FastifyRequest, optional = false): Record<string, unknown> {
  const raw = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
  if (optional && raw.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new HttpError(400, "the body must be a JSON object");
  }
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new HttpError(400, "the body must be a JSON object");
  return value as Record<string, unknown>;
}

const strings = (value: unknown, what: string): string[] | undefined => {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v))
    throw new HttpError(400, `${what} must be a list of strings`);
  return value as string[];
};

function language(value: unknown): NoticeLanguage {
  const l = value ?? "fr";
  if (!NOTICE_LANGUAGES.includes(l as NoticeLanguage))
    throw new HttpError(400, `lang is ${NOTICE_LANGUAGES.join(" or ")}`);
  return l as NoticeLanguage;
}
function audience(value: unknown): NoticeAudience {
  const a = value ?? "learner";
  if (!NOTICE_AUDIENCES.includes(a as NoticeAudience))
    throw new HttpError(400, `audience is ${NOTICE_AUDIENCES.join(", ")}`);
  return a as NoticeAudience;
}

/** A change as the API shows it: the state, when, by whom, and the receipt. */
const changeView = (c: {
  record: string;
  event: string;
  by: string;
  stateBefore: string;
  state: string;
  at: string;
  receipt: string;
  receiptHash: string;
}) => ({
  record: c.record,
  event: c.event,
  by: c.by,
  stateBefore: c.stateBefore,
  state: c.state,
  at: c.at,
  receipt: c.receipt,
  receiptHash: c.receiptHash,
});

function noticeReply(notice: Notice, format: unknown, reply: FastifyReply) {
  if (format === "markdown") return reply.type("text/markdown; charset=utf-8").send(noticeMarkdown(notice));
  if (format === "html") return reply.type("text/html; charset=utf-8").send(noticeHtml(notice));
  if (format !== undefined && format !== "json") throw new HttpError(400, "format is json, markdown or html");
  return notice;
}

export function registerConsentRoutes(app: FastifyInstance, lrs: Lrs, services: ConsentServices): void {
  const { registry, notices, notifier, agreements } = services;

  if (services.delivery) {
    const delivery = services.delivery;
    app.addHook("onReady", async () => delivery.start());
    app.addHook("onClose", async () => delivery.stop());
  }

  function caller(request: FastifyRequest): Promise<Participant> {
    return participantOf(lrs, agreements.participants, request);
  }
  async function as(request: FastifyRequest, ...roles: Participant["role"][]): Promise<Participant> {
    const who = await caller(request);
    if (!roles.includes(who.role)) throw new HttpError(403, `this needs a ${roles.join(" or ")} participant`);
    return who;
  }
  /** The caller's role in the agreement; 404 when not a party (the operator sees every agreement). */
  async function partyRole(agreementId: unknown, who: Participant): Promise<string> {
    if (typeof agreementId !== "string" || !agreementId) throw new HttpError(400, "agreement is required");
    const agreement = await agreements.get(agreementId);
    const party = agreement?.parties.find((p) => p.participant === who.id);
    if (agreement && who.role === "operator") return "operator";
    if (!party) throw new HttpError(404, `no agreement ${agreementId}`);
    return party.role;
  }
  async function portalLink(request: FastifyRequest): Promise<{ jws: string; link: PortalLink }> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (!m) throw new HttpError(401, "the portal needs its signed link as a bearer token");
    const jws = m[1]!;
    return { jws, link: await registry.verifyLink(jws) };
  }

  const handle = guarded((err) => {
    const refusal = statusRefusal(err, HttpError, ConsentError, NoticeError, NotifyError, AgreementError);
    // The portal authenticates with the signed link, not HTTP Basic.
    if (refusal?.status === 401 && /bearer|portal link/i.test(refusal.message))
      refusal.challenge = 'Bearer realm="learnpool-consent"';
    return refusal;
  });
  const route = { schema: { hide: true } };

  // ------------------------------------------------------------------ public: the registry's keys

  app.get(
    `${CONSENT_BASE}/jwks.json`,
    route,
    handle(async (_request, reply) => {
      reply.header("cache-control", "public, max-age=300");
      return registry.jwks();
    }),
  );

  // ------------------------------------------------------------------ providers

  app.post(
    `${CONSENT_BASE}/notices`,
    route,
    handle(async (request) => {
      const who = await as(request, "provider", "operator");
      const body = jsonBody(request);
      await partyRole(body.agreement, who);
      const notice = await notices.issue(
        body.agreement as string,
        language(body.lang),
        audience(body.audience),
        who.id,
      );
      return { notice, markdown: noticeMarkdown(notice) };
    }),
  );

  app.get(
    `${CONSENT_BASE}/notices/:id`,
    route,
    handle(async (request, reply) => {
      const { id } = request.params as { id: string };
      const { format } = request.query as { format?: string };
      // Any participant, or the portal link of a learner of the notice's agreement.
      let agreementOfCaller: ((agreement: string) => Promise<boolean>) | undefined;
      if (/^Bearer\s/i.test(request.headers.authorization ?? "")) {
        const { link } = await portalLink(request);
        agreementOfCaller = async (a) => a === link.agreement;
      } else {
        const who = await caller(request);
        agreementOfCaller = async (a) =>
          partyRole(a, who)
            .then(() => true)
            .catch(() => false);
      }
      const notice = await notices.get(id);
      if (!notice || !(await agreementOfCaller(notice.agreement.id)))
        throw new HttpError(404, `no notice ${id}`);
      return noticeReply(notice, format, reply);
    }),
  );

  app.post(
    `${CONSENT_BASE}/requests`,
    route,
    handle(async (request, reply) => {
      const who = await as(request, "provider");
      const body = jsonBody(request);
      await partyRole(body.agreement, who);
      // The notice shown: the one named, or one issued now from the agreement in the request's language.
      let notice = body.notice as { id: string; digest: string } | undefined;
      const lang = language(body.language ?? "fr");
      if (notice === undefined) {
        const minor = typeof body.age === "object" && body.age !== null && !("adult" in body.age);
        const issued = await notices.issue(
          body.agreement as string,
          lang,
          minor ? "guardian" : "learner",
          who.id,
        );
        notice = { id: issued.id, digest: issued.digest };
      } else {
        const stored = typeof notice?.id === "string" ? await notices.get(notice.id) : undefined;
        if (!stored || stored.digest !== notice.digest || stored.agreement.id !== body.agreement)
          throw new HttpError(400, "notice must name a stored notice of this agreement, with its digest");
      }
      const input = {
        ...body,
        notice,
        language: lang,
        jurisdiction: body.jurisdiction ?? "FR",
      } as unknown as ConsentRequestInput;
      const result = await registry.request(input, who.id);
      const links = await issueLinks(who.id, input, body.link);
      reply.code(result.changes.length > 0 ? 201 : 200);
      return { notice, changes: result.changes.map(changeView), inForce: result.inForce, ...links };
    }),
  );

  /** Portal links signed with the provider's key when it is hosted here; otherwise the provider signs them. */
  async function issueLinks(
    provider: string,
    input: { agreement: string; learner: string; age?: AgeClaim },
    options: unknown,
  ): Promise<{ links?: Array<{ role: string; token: string; url?: string; expiresAt: string }> }> {
    const key = services.linkKeys?.get(provider);
    if (!key?.kid) return {};
    const o = (options ?? {}) as { ttlSeconds?: number; guardian?: GuardianAttestation; count?: number };
    const ttl = Math.min(Math.max(Number(o.ttlSeconds ?? 600), 30), MAX_LINK_LIFETIME_MS / 1000);
    const out = [];
    const iat = Math.floor(Date.now() / 1000);
    const roles: Array<"learner" | "guardian"> = o.guardian ? ["learner", "guardian"] : ["learner"];
    for (const role of roles) {
      const claims: PortalLinkClaims = {
        iss: provider,
        sub: input.learner,
        agr: input.agreement,
        aud: DEFAULT_AUDIENCE,
        iat,
        exp: iat + ttl,
        nonce: randomBytes(16).toString("base64url"),
        role,
        age: input.age ?? { adult: true },
        ...(role === "guardian" && o.guardian && { guardian: o.guardian }),
      };
      const token = await signPortalLink(claims, key, key.kid);
      out.push({
        role,
        token,
        ...(services.portalUrl && { url: `${services.portalUrl}#${token}` }),
        expiresAt: new Date((iat + ttl) * 1000).toISOString(),
      });
    }
    return { links: out };
  }

  /**
   * The link that continues a portal visit after `used` made its one change: signed here with the
   * provider's key when it is held, with a fresh nonce and the same claims, and never outliving the
   * link it replaces (the provider's login is what the visit stands on). None when the key is not held
   * or the used link has less than a few seconds left: the learner asks the provider for a new link.
   */
  async function continuation(used: PortalLink): Promise<{ next?: { token: string; expiresAt: string } }> {
    const key = services.linkKeys?.get(used.provider);
    if (!key?.kid) return {};
    const exp = Math.floor(Date.parse(used.expiresAt) / 1000);
    const iat = Math.min(Math.floor(Date.now() / 1000), exp);
    if (exp - iat < 5) return {};
    const claims: PortalLinkClaims = {
      iss: used.provider,
      sub: used.learner,
      agr: used.agreement,
      aud: DEFAULT_AUDIENCE,
      iat,
      exp,
      nonce: randomBytes(16).toString("base64url"),
      role: used.role,
      age: used.age,
      ...(used.guardian && { guardian: used.guardian }),
    };
    return { next: { token: await signPortalLink(claims, key, key.kid), expiresAt: used.expiresAt } };
  }

  app.post(
    `${CONSENT_BASE}/links`,
    route,
    handle(async (request, reply) => {
      const who = await as(request, "provider");
      const body = jsonBody(request);
      await partyRole(body.agreement, who);
      if (typeof body.learner !== "string") throw new HttpError(400, "learner (a pseudonym) is required");
      const links = await issueLinks(
        who.id,
        {
          agreement: body.agreement as string,
          learner: body.learner,
          ...(body.age !== undefined && { age: body.age as AgeClaim }),
        },
        body,
      );
      if (!links.links)
        throw new HttpError(
          409,
          `no signing key of '${who.id}' is held here: sign portal links with your own key (signPortalLink)`,
        );
      reply.code(201);
      return links;
    }),
  );

  app.get(
    `${CONSENT_BASE}/status`,
    route,
    handle(async (request) => {
      const who = await as(request, "provider", "operator");
      const { learner, agreement } = request.query as { learner?: string; agreement?: string };
      if (!learner) throw new HttpError(400, "learner (a pseudonym) is required in the query");
      if (agreement !== undefined) await partyRole(agreement, who);
      const records = (await registry.records(learner, agreement)).filter(
        (r) => who.role === "operator" || r.record.provider === who.id,
      );
      return {
        learner,
        records: records.map((r) => ({
          id: r.record.id,
          agreement: r.record.agreement,
          purpose: r.record.purpose,
          recipient: r.record.recipient,
          dataCategory: r.record.dataCategory,
          state: r.status.state,
          givenAt: r.status.givenAt,
          givenJointly: r.status.givenJointly,
          notice: r.status.notice,
        })),
      };
    }),
  );

  app.post(
    `${CONSENT_BASE}/cohort`,
    route,
    handle(async (request) => {
      const who = await as(request, "provider", "operator");
      const body = jsonBody(request);
      await partyRole(body.agreement, who);
      const at = body.at === undefined ? undefined : new Date(String(body.at));
      if (at && Number.isNaN(at.getTime())) throw new HttpError(400, "at must be an ISO 8601 instant");
      const filter: { purpose?: string; dataCategory?: string; recipient?: string } = {};
      for (const k of ["purpose", "dataCategory", "recipient"] as const)
        if (typeof body[k] === "string") filter[k] = body[k] as string;
      const learners = await registry.consentingLearners(body.agreement as string, at, filter);
      return {
        agreement: body.agreement,
        at: (at ?? new Date()).toISOString(),
        count: learners.size,
        learners: [...learners].sort(),
      };
    }),
  );

  // ------------------------------------------------------------------ the portal (bearer: the signed link)

  async function portalView(link: PortalLink) {
    const records = await registry.records(link.learner, link.agreement);
    return {
      agreement: link.agreement,
      role: link.role,
      expiresAt: link.expiresAt,
      records: records.map((r) => ({
        id: r.record.id,
        purpose: r.record.purpose,
        recipient: r.record.recipient,
        dataCategory: r.record.dataCategory,
        state: r.status.state,
        learnerGave: r.status.learnerGave,
        guardianGave: r.status.guardianGave,
        // A minor's consent needs the guardian's too: the portal shows both answers.
        jointConsent: isMinorAt(r.status.consentAgeOn, new Date().toISOString()),
        notice: r.status.notice,
      })),
    };
  }

  app.get(
    `${CONSENT_BASE}/portal`,
    route,
    handle(async (request) => portalView((await portalLink(request)).link)),
  );

  app.get(
    `${CONSENT_BASE}/portal/notice`,
    route,
    handle(async (request, reply) => {
      const { link } = await portalLink(request);
      const q = request.query as { format?: string; lang?: string; audience?: string };
      const { format, lang } = q;
      // The same agreement in other words: the young learner's plain version, or the guardian's.
      const wantedAudience = q.audience !== undefined ? audience(q.audience) : undefined;
      const records = await registry.records(link.learner, link.agreement);
      const shown = records.map((r) => r.status.notice).find((n) => n !== null);
      let notice = shown ? await notices.get(shown.id) : undefined;
      // Another language, or the young learner's plain words, for the same agreement.
      const wanted = lang !== undefined ? language(lang) : undefined;
      if (
        !notice ||
        (wanted && wanted !== notice.language) ||
        (wantedAudience && wantedAudience !== notice.audience)
      )
        notice = await notices.issue(
          link.agreement,
          wanted ?? notice?.language ?? "fr",
          wantedAudience ?? (link.role === "guardian" ? "guardian" : "learner"),
          "portal",
        );
      return noticeReply(notice, format, reply);
    }),
  );

  const answer = (event: "give" | "refuse") =>
    handle(async (request) => {
      const { jws, link } = await portalLink(request);
      const body = jsonBody(request, true);
      const records = strings(body.records, "records");
      const changes =
        event === "give" ? await registry.give(jws, records) : await registry.refuse(jws, records);
      return { changes: changes.map(changeView), ...(await continuation(link)) };
    });
  app.post(`${CONSENT_BASE}/portal/give`, route, answer("give"));
  app.post(`${CONSENT_BASE}/portal/refuse`, route, answer("refuse"));

  app.post(
    `${CONSENT_BASE}/portal/withdraw`,
    route,
    handle(async (request) => {
      const { jws, link } = await portalLink(request);
      const body = jsonBody(request, true);
      const records = strings(body.records, "records");
      const purposes = strings(body.purposes, "purposes");
      let target: string | { records: string[] } | { learner: string; agreement: string } = {
        learner: link.learner,
        agreement: link.agreement,
      };
      if (records || purposes) {
        const inForce = (await registry.records(link.learner, link.agreement)).filter((r) =>
          ["given", "renewed"].includes(r.status.state),
        );
        const chosen = inForce.filter(
          (r) =>
            records?.includes(r.record.id) ||
            purposes?.some(
              (p) => r.record.purpose === p || r.record.purpose.endsWith(`#${p.replace(/^dpv:/, "")}`),
            ),
        );
        if (chosen.length === 0) throw new HttpError(409, "nothing to withdraw: none of these is in force");
        // One link makes one change: one record, a chosen set (atomically), or everything in force.
        if (chosen.length === 1) target = chosen[0]!.record.id;
        else if (chosen.length < inForce.length) target = { records: chosen.map((r) => r.record.id) };
      }
      const changes = await registry.withdraw(target, { link: jws });
      return { changes: changes.map(changeView), ...(await continuation(link)) };
    }),
  );

  app.get(
    `${CONSENT_BASE}/portal/history`,
    route,
    handle(async (request) => {
      const { link } = await portalLink(request);
      const out = [];
      for (const r of await registry.records(link.learner, link.agreement))
        for (const e of await registry.events(r.record.id))
          out.push({
            record: r.record.id,
            purpose: r.record.purpose,
            dataCategory: r.record.dataCategory,
            n: e.n,
            event: e.event,
            by: e.by,
            state: e.state,
            at: e.at,
            receiptHash: e.receiptHash,
          });
      out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.n - b.n));
      return { agreement: link.agreement, events: out };
    }),
  );

  app.get(
    `${CONSENT_BASE}/portal/receipts`,
    route,
    handle(async (request, reply) => {
      const { link } = await portalLink(request);
      const receipts = [];
      for (const r of await registry.records(link.learner, link.agreement))
        for (const e of await registry.events(r.record.id))
          receipts.push({ record: r.record.id, n: e.n, event: e.event, at: e.at, receipt: e.receipt });
      reply.header("content-disposition", 'attachment; filename="consent-receipts.json"');
      return { agreement: link.agreement, jwks: await registry.jwks(), receipts };
    }),
  );

  // ------------------------------------------------------------------ consumers

  app.put(
    `${CONSENT_BASE}/webhook`,
    route,
    handle(async (request) => {
      const who = await as(request, "consumer");
      const body = jsonBody(request);
      const hook = await notifier.registerWebhook(
        who.id,
        { url: String(body.url ?? ""), ...(body.secret !== undefined && { secret: body.secret as string }) },
        who.id,
      );
      return hook;
    }),
  );

  app.get(
    `${CONSENT_BASE}/webhook`,
    route,
    handle(async (request) => {
      const who = await as(request, "consumer");
      const hook = await notifier.webhook(who.id);
      if (!hook) throw new HttpError(404, "no webhook registered");
      const { secret: _secret, ...shown } = hook;
      return shown;
    }),
  );

  app.get(
    `${CONSENT_BASE}/notifications`,
    route,
    handle(async (request) => {
      const who = await as(request, "consumer", "operator");
      const q = request.query as { state?: string; agreement?: string; limit?: string; consumer?: string };
      if (q.state !== undefined && q.state !== "pending" && q.state !== "acknowledged")
        throw new HttpError(400, "state is pending or acknowledged");
      const consumer = who.role === "operator" ? q.consumer : who.id;
      return {
        notifications: await notifier.notifications({
          ...(consumer !== undefined && { consumer }),
          ...(q.state && { state: q.state as NotificationState }),
          ...(q.agreement && { agreement: q.agreement }),
          ...(q.limit && { limit: Number(q.limit) }),
        }),
      };
    }),
  );

  app.post(
    `${CONSENT_BASE}/notifications/:id/ack`,
    route,
    handle(async (request) => {
      const who = await as(request, "consumer");
      const { id } = request.params as { id: string };
      return { notification: await notifier.acknowledge(id, who.id, { consumer: who.id }) };
    }),
  );

  app.get(
    `${CONSENT_BASE}/withdrawals/:id`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { id } = request.params as { id: string };
      const withdrawal = await notifier.withdrawal(id);
      if (!withdrawal) throw new HttpError(404, `no withdrawal ${id}`);
      await partyRole(withdrawal.agreementId, who).catch(() => {
        throw new HttpError(404, `no withdrawal ${id}`);
      });
      return {
        withdrawal,
        notifications: (await notifier.notifications({ withdrawal: id })).map((n) => ({
          id: n.id,
          consumer: n.consumer,
          state: n.state,
          attempts: n.attempts,
          acknowledgedAt: n.acknowledgedAt,
        })),
      };
    }),
  );

  // ------------------------------------------------------------------ the operator

  app.get(
    `${CONSENT_BASE}/latency`,
    route,
    handle(async (request) => {
      await as(request, "operator");
      const { agreement } = request.query as { agreement?: string };
      return notifier.latencyReport(agreement ? { agreement } : {});
    }),
  );

  app.post(
    `${CONSENT_BASE}/notifications/deliver`,
    route,
    handle(async (request) => {
      await as(request, "operator");
      const delivery = services.delivery ?? new NotificationDelivery(lrs.db, notifier);
      return delivery.deliverDue();
    }),
  );

  app.post(
    `${CONSENT_BASE}/sweep`,
    route,
    handle(async (request) => {
      await as(request, "operator");
      const { expired, requested } = await registry.sweep();
      return { expired: expired.length, requested: requested.length };
    }),
  );
}
