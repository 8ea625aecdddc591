/**
 * Two Learnpool servers on ephemeral ports, each with its own database, negotiate over real HTTP
 * (provider: store "prov"; consumer: store "lab") to FINALIZED, then transfer the provider store's
 * statements; then an agreement terminated mid-transfer stops the next page.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import {
  AgreementRegistry,
  generateParticipantKey,
  type ParticipantKeyPair,
  signAgreement,
  signEvent,
  terminationStatement,
} from "../../src/contract/agreements/index.js";
import {
  DspRemoteError,
  DspService,
  type DspServiceOptions,
  LEARNPOOL_DSP_NS,
} from "../../src/contract/dsp/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { registerDspRoutes } from "../../src/server/dsp.js";
import { buildServer } from "../../src/server/index.js";
import type { Database } from "../../src/store/index.js";
import { freePort } from "../helpers/cli.js";
import { type Backend, backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

const OFFER_ID = "urn:offer:traces-2024";
const DATASET = "urn:dataset:traces-2024";
const POLICY = { "@context": "http://www.w3.org/ns/odrl.jsonld", permission: [{ action: "use" }] };

interface Side {
  db: Database;
  lrs: Lrs;
  app: FastifyInstance;
  base: string;
  registry: AgreementRegistry;
  service: DspService;
  /** The credential a counterparty's store holds here: key and secret. */
  credentials: Map<string, { key: string; secret: string }>;
}

const opened: Side[] = [];
afterEach(async () => {
  for (const side of opened.splice(0)) {
    await side.app.close();
    await side.lrs.close();
    await side.db.close();
  }
});

async function side(
  backend: Backend,
  stores: string[],
  options: (s: Omit<Side, "service" | "app">) => Omit<DspServiceOptions, "baseUrl" | "agreements">,
): Promise<Side> {
  const db = await backend.open();
  const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/dsp`;
  const registry = new AgreementRegistry(db, lrs.audit);
  const credentials = new Map<string, { key: string; secret: string }>();
  for (const store of stores) {
    await lrs.tenancy.ensureStore(store, store, "test");
    const made = await lrs.tenancy.addCredential({ storeId: store, scopes: ["all"], actor: "test" });
    credentials.set(store, { key: made.key, secret: made.secret });
  }
  // The server's own wiring of bodies (bytes), as buildServer does.
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  const partial = { db, lrs, base, registry, credentials };
  const service = registerDspRoutes(
    app,
    lrs,
    new DspService(lrs, { baseUrl: base, agreements: registry, ...options(partial) }),
  );
  await app.listen({ port, host: "127.0.0.1" });
  const made: Side = { ...partial, app, service };
  opened.push(made);
  return made;
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) {
      const failed = (await Promise.all(opened.map((s) => s.lrs.audit.list())))
        .flat()
        .filter((e) => e.action === "dsp.step-failed");
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(v)} ${JSON.stringify(failed.map((e) => e.details))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A provider ("prov", with statements) and a consumer ("lab") that know each other. */
async function dataSpace(backend: Backend, extra: Partial<DspServiceOptions> = {}) {
  const keys = new Map<string, ParticipantKeyPair>([
    ["prov", await generateParticipantKey()],
    ["lab", await generateParticipantKey()],
    ["op", await generateParticipantKey()],
  ]);
  const signer =
    (...only: string[]) =>
    async (participant: string, canonical: string) => {
      const key = only.includes(participant) ? keys.get(participant) : undefined;
      return key ? signAgreement(canonical, key.privateJwk, key.kid) : undefined;
    };
  let providerBase = "";
  let consumerBase = "";
  // Each holds the credential the other gave it, and presents it at the other's address only.
  const heldByConsumer: { key: string; secret: string }[] = [];
  const heldByProvider: { key: string; secret: string }[] = [];
  const provider = await side(backend, ["prov", "lab", "op"], () => ({
    offers: {
      offer: async (id) =>
        id === OFFER_ID ? { providerId: "prov", datasetId: DATASET, policy: POLICY } : undefined,
    },
    signer: signer("prov", "op"),
    authorize: (url) =>
      url.startsWith(consumerBase) && heldByProvider[0]
        ? basic(heldByProvider[0].key, heldByProvider[0].secret)
        : undefined,
    pageSize: 2,
    ...extra,
  }));
  const consumer = await side(backend, ["lab", "prov"], () => ({
    offers: { offer: async () => undefined },
    signer: signer("lab"),
    authorize: (url) =>
      url.startsWith(providerBase) && heldByConsumer[0]
        ? basic(heldByConsumer[0].key, heldByConsumer[0].secret)
        : undefined,
  }));
  providerBase = provider.base;
  consumerBase = consumer.base;
  heldByConsumer.push(provider.credentials.get("lab") as { key: string; secret: string });
  heldByProvider.push(consumer.credentials.get("prov") as { key: string; secret: string });
  // Onboarding at the provider: both participants and their public keys.
  await provider.registry.participants.register({ id: "op", role: "operator" }, "test");
  await provider.registry.participants.register({ id: "prov", role: "provider" }, "test");
  await provider.registry.participants.register({ id: "lab", role: "consumer" }, "test");
  for (const id of ["op", "prov", "lab"])
    await provider.registry.participants.addKey(id, keys.get(id)?.publicJwk, "test");
  // Three statements in the provider's store.
  const principal = await provider.lrs.tenancy.authenticate(
    provider.credentials.get("prov")?.key ?? "",
    provider.credentials.get("prov")?.secret ?? "",
  );
  if (!principal) throw new Error("no principal");
  await provider.lrs.storeStatements({
    principal,
    version: "2.0.0",
    body: [1, 2, 3].map((i) => ({
      actor: { mbox: `mailto:learner${i}@example.org` },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { id: `https://example.org/course/${i}` },
      timestamp: `2024-01-0${i}T10:00:00Z`,
    })),
  });
  return { provider, consumer, keys };
}

async function negotiate(
  provider: Side,
  consumer: Side,
  offer: Record<string, unknown> = { "@id": OFFER_ID },
) {
  const started = await consumer.service.requestContract({
    participant: "lab",
    counterparty: "prov",
    providerAddress: provider.base,
    offer,
  });
  expect(started.providerPid).toMatch(/^urn:uuid:/);
  return started;
}

const asProvider = (s: Side, store = "lab") => {
  const c = s.credentials.get(store) as { key: string; secret: string };
  return { authorization: basic(c.key, c.secret) };
};

describe.each(await backends())("Dataspace Protocol between two servers ($name)", (backend) => {
  it("negotiates to FINALIZED over HTTP, signs in the registry, then transfers to STARTED and COMPLETED", async () => {
    const { provider, consumer } = await dataSpace(backend);
    const started = await negotiate(provider, consumer);
    const finalized = await until(
      "FINALIZED at the consumer",
      () => consumer.service.negotiation(started.localPid),
      (n) => n?.state === "FINALIZED",
    );
    const providerSide = await provider.service.negotiation(finalized?.providerPid ?? "");
    expect(providerSide?.state).toBe("FINALIZED");
    expect(providerSide?.agreementId).toBe(finalized?.agreementId);

    // The registry holds the agreement, signed by both, final.
    const status = await provider.registry.status(finalized?.agreementId ?? "");
    expect(status.state).toBe("final");
    expect(status.signedBy.sort()).toEqual(["lab", "op", "prov"]);

    // Each side's history: the messages in order.
    expect(
      (await consumer.service.negotiationHistory(started.localPid)).map(
        (h) => `${h.direction} ${h.type} ${h.stateAfter}`,
      ),
    ).toEqual([
      "sent ContractRequestMessage REQUESTED",
      "received ContractAgreementMessage AGREED",
      "sent ContractAgreementVerificationMessage VERIFIED",
      "received ContractNegotiationEventMessage:FINALIZED FINALIZED",
    ]);
    expect(
      (await provider.service.negotiationHistory(providerSide?.localPid ?? "")).map((h) => h.type),
    ).toEqual([
      "ContractRequestMessage",
      "ContractAgreementMessage",
      "ContractAgreementVerificationMessage",
      "ContractNegotiationEventMessage:FINALIZED",
    ]);

    // GET on the protocol endpoint, as the counterparty.
    const got = await fetch(`${provider.base}/negotiations/${providerSide?.localPid}`, {
      headers: asProvider(provider),
    });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({
      "@type": "ContractNegotiation",
      state: "FINALIZED",
      consumerPid: started.localPid,
    });

    // Transfer: REQUESTED → STARTED (DataAddress with a bearer token) → pages → COMPLETED.
    const transfer = await consumer.service.requestTransfer({ negotiationPid: started.localPid });
    const running = await until(
      "STARTED",
      () => consumer.service.transfer(transfer.localPid),
      (t) => t?.state === "STARTED",
    );
    expect(running?.dataAddress?.endpointType).toBe("https://w3id.org/idsa/v4.1/HTTP");
    const first = await consumer.service.pull(transfer.localPid);
    expect(first.lines).toHaveLength(2);
    expect(first.next).toBeDefined();
    const second = await consumer.service.pull(transfer.localPid, first.next);
    expect(second.lines).toHaveLength(1);
    expect(second.next).toBeUndefined();
    expect([...first.lines, ...second.lines].map((l) => JSON.parse(l).actor.mbox)).toEqual([
      "mailto:learner1@example.org",
      "mailto:learner2@example.org",
      "mailto:learner3@example.org",
    ]);
    // The token is kept hashed at the provider, never in the history or the audit trail.
    const providerTransfer = await provider.service.transfer(transfer.providerPid ?? "");
    const token =
      running?.dataAddress?.endpointProperties?.find((p) => p.name === "authorization")?.value ?? "";
    expect(providerTransfer?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      JSON.stringify(await provider.service.transferHistory(providerTransfer?.localPid ?? "")),
    ).not.toContain(token);
    expect(JSON.stringify(await provider.lrs.audit.list())).not.toContain(token);

    const completed = await consumer.service.endTransfer(undefined, transfer.localPid, "completion");
    expect(completed.state).toBe("COMPLETED");
    expect((await provider.service.transfer(transfer.providerPid ?? ""))?.state).toBe("COMPLETED");
    // After completion the data endpoint refuses.
    const after = await fetch(running?.dataAddress?.endpoint ?? "", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.status).toBe(401);
    const audit = await provider.lrs.audit.verify();
    expect(audit.ok).toBe(true);
  });

  it("stops a running transfer when the agreement is terminated: next page 403, TERMINATED on both sides", async () => {
    const { provider, consumer, keys } = await dataSpace(backend);
    const started = await negotiate(provider, consumer);
    const n = await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
    const transfer = await consumer.service.requestTransfer({ negotiationPid: started.localPid });
    await until(
      "STARTED",
      () => consumer.service.transfer(transfer.localPid),
      (t) => t?.state === "STARTED",
    );
    expect((await consumer.service.pull(transfer.localPid)).lines).toHaveLength(2);

    const agreement = await provider.registry.get(n?.agreementId ?? "");
    const lab = keys.get("lab") as ParticipantKeyPair;
    const statement = terminationStatement(
      { id: agreement?.id ?? "", digest: agreement?.digest ?? "" },
      "study cancelled",
    );
    await provider.registry.terminate(
      agreement?.id ?? "",
      "lab",
      await signEvent(statement, lab.privateJwk, lab.kid),
    );

    // The agreement refused, not the policy: AgreementNotValid, to the page and in the termination.
    await expect(consumer.service.pull(transfer.localPid)).rejects.toThrow(
      /403 AgreementNotValid: .*not valid/,
    );
    expect((await provider.service.transfer(transfer.providerPid ?? ""))?.state).toBe("TERMINATED");
    const told = await until(
      "TERMINATED at the consumer",
      () => consumer.service.transfer(transfer.localPid),
      (t) => t?.state === "TERMINATED",
    );
    expect(told?.state).toBe("TERMINATED");
  });

  it("never keeps a peer's data plane token, however its DataAddress is written (compact, prefixed, expanded)", async () => {
    const { provider, consumer } = await dataSpace(backend);
    const started = await negotiate(provider, consumer);
    await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
    const transfer = await consumer.service.requestTransfer({ negotiationPid: started.localPid });
    const running = await until(
      "STARTED",
      () => consumer.service.transfer(transfer.localPid),
      (t) => t?.state === "STARTED",
    );
    const providerPid = running?.providerPid ?? "";
    const consumerPid = transfer.localPid;
    const endpoint = running?.dataAddress?.endpoint ?? "";
    const V08 = "https://w3id.org/dspace/v0.8/";
    const V2025 = "https://w3id.org/dspace/2025/1/";
    const expanded = (ns: string, secret: string, name: string) => ({
      "@type": [`${ns}TransferStartMessage`],
      [`${ns}providerPid`]: [{ "@value": providerPid }],
      [`${ns}consumerPid`]: [{ "@value": consumerPid }],
      [`${ns}dataAddress`]: [
        {
          "@type": [`${ns}DataAddress`],
          [`${ns}endpointType`]: [{ "@value": "https://w3id.org/idsa/v4.1/HTTP" }],
          [`${ns}endpoint`]: [{ "@value": endpoint }],
          [`${ns}endpointProperties`]: [
            {
              "@type": [`${ns}EndpointProperty`],
              [`${ns}name`]: [{ "@value": name }],
              [`${ns}value`]: [{ "@value": secret }],
            },
          ],
        },
      ],
    });
    // What a peer may send: each form carries a token of its own, which must never be kept in clear.
    const forms: [string, Record<string, unknown>][] = [
      [
        "compact-secret-token-0001",
        {
          "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
          "@type": "TransferStartMessage",
          providerPid,
          consumerPid,
          dataAddress: {
            "@type": "DataAddress",
            endpointType: "https://w3id.org/idsa/v4.1/HTTP",
            endpoint,
            endpointProperties: [
              { "@type": "EndpointProperty", name: "authorization", value: "compact-secret-token-0001" },
            ],
          },
        },
      ],
      [
        "prefixed-secret-token-0002",
        {
          "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
          "@type": "dspace:TransferStartMessage",
          "dspace:providerPid": providerPid,
          "dspace:consumerPid": consumerPid,
          "dspace:dataAddress": {
            "@type": "dspace:DataAddress",
            "dspace:endpointType": "https://w3id.org/idsa/v4.1/HTTP",
            "dspace:endpoint": endpoint,
            "dspace:endpointProperties": [
              {
                "@type": "dspace:EndpointProperty",
                "dspace:name": "dspace:authorization",
                "dspace:value": "prefixed-secret-token-0002",
              },
            ],
          },
        },
      ],
      [
        "expanded-v08-secret-token-0003",
        expanded(V08, "expanded-v08-secret-token-0003", `${V08}authorization`),
      ],
      [
        "expanded-2025-secret-token-0004",
        expanded(V2025, "expanded-2025-secret-token-0004", "authorization"),
      ],
      [
        "own-key-secret-token-0005",
        {
          "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
          "@type": "TransferStartMessage",
          providerPid,
          consumerPid,
          dataAddress: {
            "@type": "DataAddress",
            endpointType: "https://w3id.org/idsa/v4.1/HTTP",
            endpoint,
            endpointProperties: [
              { name: "https://w3id.org/edc/v0.0.1/ns/authorization", value: "own-key-secret-token-0005" },
            ],
          },
          "https://example.org/ns/authorization": "Bearer own-key-secret-token-0005",
        },
      ],
    ];
    const asTheProvider = { ...asProvider(consumer, "prov"), "content-type": "application/json" };
    for (const [secret, body] of forms) {
      // The (impersonated) provider suspends, then resumes with a DataAddress in its own form.
      const suspended = await fetch(
        `${consumer.base}/transfers/${encodeURIComponent(consumerPid)}/suspension`,
        {
          method: "POST",
          headers: asTheProvider,
          body: JSON.stringify({
            "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
            "@type": "TransferSuspensionMessage",
            providerPid,
            consumerPid,
          }),
        },
      );
      expect(suspended.status).toBe(200);
      const resumed = await fetch(`${consumer.base}/transfers/${encodeURIComponent(consumerPid)}/start`, {
        method: "POST",
        headers: asTheProvider,
        body: JSON.stringify(body),
      });
      expect(resumed.status, `${secret}: ${await resumed.clone().text()}`).toBe(200);
      const t = await consumer.service.transfer(consumerPid);
      expect(t?.state).toBe("STARTED");
      // Kept where it must be (the consumer pulls with it), and nowhere else.
      expect(JSON.stringify(t?.dataAddress)).toContain(secret);
    }
    const secrets = forms.map(([secret]) => secret);
    const history = JSON.stringify(await consumer.service.transferHistory(consumerPid));
    const audit = JSON.stringify(await consumer.lrs.audit.list({ limit: 100_000 }));
    const view = await fetch(
      `${consumer.base.replace(/\/dsp$/, "")}/contract/transfers/${encodeURIComponent(consumerPid)}`,
      {
        headers: asProvider(consumer, "lab"),
      },
    );
    expect(view.status).toBe(200);
    const shown = await view.text();
    for (const secret of secrets) {
      expect(history, `history keeps ${secret}`).not.toContain(secret);
      expect(audit, `audit keeps ${secret}`).not.toContain(secret);
      expect(shown, `GET /contract/transfers/{pid} shows ${secret}`).not.toContain(secret);
    }
    expect(history).toContain("[redacted]");
    // The stored row of each message, read directly.
    const rows = await consumer.db.all<{ body: string }>("SELECT * FROM dsp_messages");
    for (const secret of secrets) expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it("the enforcement hook refuses a page (exhausted count) the same way", async () => {
    let pages = 0;
    const { provider, consumer } = await dataSpace(backend, {
      beforeTransferPage: () =>
        ++pages > 1 ? { permit: false, reason: "count exhausted (1 page)" } : { permit: true, reason: "" },
    });
    const started = await negotiate(provider, consumer);
    await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
    const transfer = await consumer.service.requestTransfer({ negotiationPid: started.localPid });
    await until(
      "STARTED",
      () => consumer.service.transfer(transfer.localPid),
      (t) => t?.state === "STARTED",
    );
    const first = await consumer.service.pull(transfer.localPid);
    // The policy refused, not the agreement's status: PolicyDenied, to the page and in the termination.
    const refused = await consumer.service.pull(transfer.localPid, first.next).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DspRemoteError);
    expect((refused as DspRemoteError).message).toMatch(/403 PolicyDenied: count exhausted/);
    expect((refused as DspRemoteError).body).toMatchObject({
      "@type": "TransferError",
      code: "PolicyDenied",
    });
    expect((await provider.service.transfer(transfer.providerPid ?? ""))?.state).toBe("TERMINATED");
    const termination = (await provider.service.transferHistory(transfer.providerPid ?? "")).find(
      (h) => h.type === "TransferTerminationMessage",
    );
    expect(termination?.body).toMatchObject({ code: "PolicyDenied", reason: ["count exhausted (1 page)"] });
  });

  it("answers a counter-offer with its own offer; the consumer accepts and the negotiation finalizes", async () => {
    const { provider, consumer } = await dataSpace(backend);
    const started = await negotiate(provider, consumer, {
      "@id": OFFER_ID,
      "@type": "Offer",
      target: DATASET,
      permission: [{ action: "distribute" }],
    });
    await until(
      "OFFERED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "OFFERED",
    );
    await consumer.service.acceptOffer(undefined, started.localPid);
    const done = await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
    const rules = (done?.agreement?.permission ?? []) as { action: string }[];
    expect(rules[0]?.action).toBe("use");
  });

  it("a plain connector's verification without signature leaves VERIFIED until the consumer signs", async () => {
    const { provider, consumer, keys } = await dataSpace(backend);
    (consumer.service as unknown as { options: DspServiceOptions }).options.signer = undefined;
    const started = await negotiate(provider, consumer);
    const verified = await until(
      "VERIFIED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "VERIFIED",
    );
    // The consumer writes VERIFIED as it sends; the provider's side follows when the message lands.
    await until(
      "VERIFIED at the provider",
      () => provider.service.negotiation(verified?.providerPid ?? ""),
      (x) => x?.state === "VERIFIED",
    );
    await provider.service.idle();
    await consumer.service.idle();
    expect((await provider.service.negotiation(verified?.providerPid ?? ""))?.state).toBe("VERIFIED");
    const agreement = await provider.registry.get(verified?.agreementId ?? "");
    const lab = keys.get("lab") as ParticipantKeyPair;
    const jws = await signAgreement(agreement?.canonical ?? "", lab.privateJwk, lab.kid);
    const signed = await fetch(`${provider.base}/negotiations/${verified?.providerPid}/agreement/signature`, {
      method: "POST",
      headers: { ...asProvider(provider), "content-type": "application/json" },
      body: JSON.stringify({ [`${LEARNPOOL_DSP_NS}signature`]: jws }),
    });
    expect(signed.status).toBe(200);
    await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
  });

  it("authenticates every endpoint and shows a participant only its own negotiations", async () => {
    const { provider, consumer } = await dataSpace(backend);
    const started = await negotiate(provider, consumer);
    const n = await until(
      "FINALIZED",
      () => consumer.service.negotiation(started.localPid),
      (x) => x?.state === "FINALIZED",
    );
    const url = `${provider.base}/negotiations/${n?.providerPid}`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: basic("nobody", "nothing") } })).status).toBe(401);
    // Another participant's credential: 404, as the binding asks for unauthorized access.
    await provider.lrs.tenancy.ensureStore("other", "other", "test");
    const other = await provider.lrs.tenancy.addCredential({
      storeId: "other",
      scopes: ["all"],
      actor: "test",
    });
    const refused = await fetch(url, { headers: { authorization: basic(other.key, other.secret) } });
    expect(refused.status).toBe(404);
    expect(await refused.json()).toMatchObject({ "@type": "ContractNegotiationError", code: "NotFound" });
    // A message the state machine refuses: 400 naming the state and the message.
    const late = await fetch(`${url}/events`, {
      method: "POST",
      headers: { ...asProvider(provider), "content-type": "application/json" },
      body: JSON.stringify({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractNegotiationEventMessage",
        providerPid: n?.providerPid,
        consumerPid: n?.consumerPid,
        eventType: "ACCEPTED",
      }),
    });
    expect(late.status).toBe(400);
    expect(((await late.json()) as { reason: string[] }).reason[0]).toMatch(
      /ContractNegotiationEventMessage:ACCEPTED from the consumer is not allowed in state FINALIZED/,
    );
    // An unknown offer is refused with an error.
    const unknown = await fetch(`${provider.base}/negotiations/request`, {
      method: "POST",
      headers: { ...asProvider(provider), "content-type": "application/json" },
      body: JSON.stringify({
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "ContractRequestMessage",
        consumerPid: "urn:uuid:00000000-0000-4000-8000-000000000000",
        offer: { "@id": "urn:offer:none" },
        callbackAddress: consumer.base,
      }),
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ code: "UnknownOffer" });
  });

  it("the server wires the routes: /dsp answers 401 without a credential, as a protocol error", async () => {
    const db = await backend.open();
    const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
    const app = await buildServer({ lrs, logger: false });
    try {
      for (const [method, url, type] of [
        ["GET", "/dsp/negotiations/urn:uuid:x", "ContractNegotiationError"],
        ["POST", "/dsp/negotiations/request", "ContractNegotiationError"],
        ["POST", "/dsp/negotiations/urn:uuid:x/termination", "ContractNegotiationError"],
        ["GET", "/dsp/transfers/urn:uuid:x", "TransferError"],
        ["POST", "/dsp/transfers/request", "TransferError"],
        ["POST", "/dsp/transfers/urn:uuid:x/start", "TransferError"],
      ] as const) {
        const reply = await app.inject({ method, url, headers: { authorization: basic("nobody", "x") } });
        expect(reply.statusCode, url).toBe(401);
        expect(reply.headers["www-authenticate"], url).toMatch(/^Basic/);
        expect(reply.json(), url).toMatchObject({
          "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
          "@type": type,
          code: "Unauthorized",
          reason: [expect.stringMatching(/HTTP Basic credential/)],
        });
        expect(reply.json().error).toBeUndefined();
      }
    } finally {
      await app.close();
      await lrs.close();
      await db.close();
    }
  });
});
