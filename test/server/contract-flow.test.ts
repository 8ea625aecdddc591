/**
 * The whole contract path between two Learnpool servers, through HTTP only, on each backend.
 *
 * The provider's server ("P", the data space's environment: operator "op", provider "prov") holds the
 * catalog, the agreement registry and the enforcement; the consumer's server ("C", consumer "lab") is
 * the lab's own connector. Each has its own database and holds its own participants' private keys;
 * each presents, at the other's DSP address, the credential the other gave it (the peers).
 *
 * Only the bootstrap is done in process: stores and credentials (an LRS administrator's job) and the
 * operator's registration (`learnpool participant add`). Everything after goes over HTTP: participants
 * and keys, statements, publication, search, negotiation, transfer, pages, termination.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { dspCommands } from "../../src/cli/dsp.js";
import {
  AgreementRegistry,
  contractEnvironment,
  generateParticipantKey,
  type ParticipantKeyPair,
  signEvent,
  terminationStatement,
} from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { buildServer } from "../../src/server/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { freePort, tempDbPath } from "../helpers/cli.js";
import { type Backend, backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";

const iri = (id: string) => `urn:learnpool:participant:${id}`;

interface Server {
  db: Database;
  lrs: Lrs;
  app: FastifyInstance;
  url: string;
  /** HTTP Basic header of each store's credential on this server. */
  auth: Record<string, string>;
  credentials: Record<string, { key: string; secret: string }>;
}

const opened: Server[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) {
    await s.app.close();
    await s.lrs.close();
    await s.db.close();
  }
});

/** A server with its stores and credentials; `contract` gets its URL and makes its settings. */
async function server(
  backend: Backend,
  stores: string[],
  settings: (url: string) => Parameters<typeof contractEnvironment>[1],
  location?: string,
): Promise<Server> {
  const db = location ? await openDatabase(location) : await backend.open();
  const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
  const auth: Record<string, string> = {};
  const credentials: Record<string, { key: string; secret: string }> = {};
  for (const store of stores) {
    await lrs.tenancy.ensureStore(store, store, "test");
    const made = await lrs.tenancy.addCredential({ storeId: store, scopes: ["all"], actor: "test" });
    credentials[store] = { key: made.key, secret: made.secret };
    auth[store] = basic(made.key, made.secret);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await buildServer({ lrs, logger: false, contract: contractEnvironment(lrs, settings(url)) });
  await app.listen({ port, host: "127.0.0.1" });
  const made = { db, lrs, app, url, auth, credentials };
  opened.push(made);
  return made;
}

async function call(
  s: Server,
  method: "GET" | "POST",
  path: string,
  who: string,
  body?: unknown,
): Promise<{ status: number; json: () => unknown; text: string; headers: Headers }> {
  const response = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: s.auth[who] ?? "",
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(path.startsWith("/xapi") ? { "x-experience-api-version": "2.0.0" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers, json: () => JSON.parse(text) };
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An offer for research, at most `count` uses (the transfer and each page are one use each). */
const researchOffer = (uid: string, count: number, extra: Record<string, unknown> = {}) => ({
  "@context": "http://www.w3.org/ns/odrl.jsonld",
  "@type": "Offer",
  uid,
  assigner: iri("prov"),
  permission: [
    {
      uid: `${uid}/use`,
      action: "use",
      constraint: [
        { leftOperand: "purpose", operator: "isA", rightOperand: "dpv:ResearchAndDevelopment" },
        { leftOperand: "count", operator: "lteq", rightOperand: count },
      ],
    },
  ],
  ...extra,
});

/** P and C, onboarded: participants and public keys at P, five statements in prov's store. */
async function dataSpace(
  backend: Backend,
  consumerDb?: string,
  providerSettings: Partial<Parameters<typeof contractEnvironment>[1]> = {},
) {
  const keys: Record<string, ParticipantKeyPair> = {
    op: await generateParticipantKey(),
    prov: await generateParticipantKey(),
    lab: await generateParticipantKey(),
  };
  const held = (...ids: string[]) => new Map(ids.map((id) => [id, keys[id]!.privateJwk]));
  // Each side's peers are known only once both listen: the settings read them late.
  const peers: { P: { endpoint: string; key: string; secret: string; store: string }[]; C: typeof peers.P } =
    { P: [], C: [] };
  const P = await server(backend, ["op", "prov", "lab"], (url) => ({
    dspBaseUrl: `${url}/dsp`,
    peers: peers.P,
    signingKeys: held("op", "prov"),
    pageSize: 2,
    ...providerSettings,
  }));
  const C = await server(
    backend,
    ["lab", "prov"],
    (url) => ({ dspBaseUrl: `${url}/dsp`, peers: peers.C, signingKeys: held("lab") }),
    consumerDb,
  );
  peers.P.push({ endpoint: `${C.url}/dsp`, ...C.credentials.prov!, store: "lab" });
  peers.C.push({ endpoint: `${P.url}/dsp`, ...P.credentials.lab!, store: "prov" });

  // Bootstrap: the operator, as `learnpool participant add op --role operator` does.
  await new AgreementRegistry(P.db, P.lrs.audit).participants.register(
    { id: "op", role: "operator" },
    "test",
  );
  expect((await call(P, "POST", "/contract/participants/op/keys", "op", keys.op!.publicJwk)).status).toBe(
    201,
  );
  for (const [id, role] of [
    ["prov", "provider"],
    ["lab", "consumer"],
  ] as const) {
    const res = await call(P, "POST", "/contract/participants", "op", {
      id,
      role,
      keys: [keys[id]!.publicJwk],
    });
    expect(res.status, res.text).toBe(201);
  }
  const stored = await call(
    P,
    "POST",
    "/xapi/statements",
    "prov",
    [1, 2, 3, 4, 5].map((i) => ({
      actor: { mbox: `mailto:learner${i}@example.org` },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { id: `https://example.org/course/${i}` },
      timestamp: `2024-01-0${i}T10:00:00Z`,
    })),
  );
  expect(stored.status, stored.text).toBe(200);
  return { P, C, keys, peers };
}

/** Runs a `learnpool` DSP command in process; returns what it wrote on stdout. */
async function cli(args: string[]): Promise<string> {
  const command = dspCommands().find((c) => c.name() === args[0]);
  if (!command) throw new Error(`no command ${args[0]}`);
  let out = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await command.parseAsync(args.slice(1), { from: "user" });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return out;
}

async function publish(P: Server, offer: Record<string, unknown>, title = "MOOC traces 2024") {
  const res = await call(P, "POST", "/contract/catalog", "prov", {
    description: { title, description: "Completions of the first-year MOOC, as xAPI statements." },
    offer,
  });
  expect(res.status, res.text).toBe(201);
  return res.json() as { dataset: string; offerId: string };
}

/** The consumer asks the provider for an offer through its own server, and waits for an end state. */
async function negotiate(P: Server, C: Server, offerId: string, end: string[]) {
  const started = await call(C, "POST", "/contract/negotiations", "lab", {
    provider: `${P.url}/dsp`,
    offer: offerId,
  });
  expect(started.status, started.text).toBe(201);
  const pid = (started.json() as { localPid: string }).localPid;
  return until(
    end.join(" or "),
    async () =>
      (await call(C, "GET", `/contract/negotiations/${pid}`, "lab")).json() as {
        localPid: string;
        state: string;
        agreementId?: string;
        reason?: string;
      },
    (n) => end.includes(n.state),
  );
}

async function decisions(s: Server) {
  return (await s.lrs.audit.list({ limit: 100_000 }))
    .filter((e) => e.action === "contract.decision")
    .map((e) => e.details as { step: string; decision: string; reason: string; agreement: string | null });
}

async function startTransfer(C: Server, negotiation: string) {
  const requested = await call(C, "POST", "/contract/transfers", "lab", { negotiation });
  expect(requested.status, requested.text).toBe(201);
  const pid = (requested.json() as { localPid: string }).localPid;
  const running = await until(
    "STARTED",
    async () => (await call(C, "GET", `/contract/transfers/${pid}`, "lab")).json() as { state: string },
    (t) => t.state === "STARTED",
  );
  // The consumer's view never shows the data plane token.
  expect(JSON.stringify(running)).toContain("[hidden]");
  return pid;
}

describe.each(await backends())("the contract path between two servers, over HTTP ($name)", (backend) => {
  it("offer → search by purpose → negotiation decided by the engine → signed agreement → transfer whose count stops it", async () => {
    const { P, C } = await dataSpace(backend);
    const offer = await publish(P, researchOffer("urn:learnpool:offer:mooc-2024", 3));

    // The consumer finds it by purpose in the provider's catalog.
    const found = await call(P, "GET", "/contract/catalog?purpose=ResearchAndDevelopment", "lab");
    expect(found.status, found.text).toBe(200);
    const hit = (
      found.json() as { items: { offerId: string; dataset: string; purposeFit: { fit: string } }[] }
    ).items[0];
    expect(hit?.offerId).toBe(offer.offerId);
    expect(hit?.purposeFit.fit).not.toBe("refused");

    // Negotiation over DSP with the catalog's offer id, decided by the engine, signed by all three.
    const n = await negotiate(P, C, offer.offerId, ["FINALIZED", "TERMINATED"]);
    expect(n.state, n.reason).toBe("FINALIZED");
    const status = (await call(P, "GET", `/contract/agreements/${n.agreementId}/status`, "lab")).json() as {
      state: string;
      signedBy: string[];
    };
    expect(status.state).toBe("final");
    expect([...status.signedBy].sort()).toEqual(["lab", "op", "prov"]);
    const verified = (await call(P, "GET", `/contract/agreements/${n.agreementId}/verify`, "lab")).json();
    expect(verified).toMatchObject({ ok: true });
    // The agreement carries the offer's rules, for this dataset and this consumer.
    const agreement = (await call(P, "GET", `/contract/agreements/${n.agreementId}`, "lab")).json() as {
      document: { policy: Record<string, unknown> };
    };
    expect(agreement.document.policy).toMatchObject({ target: offer.dataset, assignee: iri("lab") });

    // Transfer: decided by the engine (one use), then each page decided again (one use each).
    const transfer = await startTransfer(C, n.localPid);
    // A pull spends a use at the provider: a read-only credential cannot pull (and spends nothing).
    const reader = await C.lrs.tenancy.addCredential({ storeId: "lab", scopes: ["all/read"], actor: "test" });
    const readOnly = await fetch(`${C.url}/contract/transfers/${transfer}/data`, {
      headers: { authorization: basic(reader.key, reader.secret) },
    });
    expect(readOnly.status).toBe(403);
    expect(((await readOnly.json()) as { error: { message: string } }).error.message).toMatch(
      /counts a use .* scope all/,
    );
    const page1 = await call(C, "GET", `/contract/transfers/${transfer}/data`, "lab");
    expect(page1.status, page1.text).toBe(200);
    expect(page1.text.trim().split("\n")).toHaveLength(2);
    const cursor = page1.headers.get("learnpool-next-cursor");
    expect(cursor).toBeTruthy();
    const page2 = await call(
      C,
      "GET",
      `/contract/transfers/${transfer}/data?cursor=${encodeURIComponent(cursor ?? "")}`,
      "lab",
    );
    expect(page2.status, page2.text).toBe(200);
    expect(
      page2.text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).actor.mbox),
    ).toEqual(["mailto:learner3@example.org", "mailto:learner4@example.org"]);
    // The fourth use exceeds `count lteq 3`: the page is refused and the transfer stops.
    const page3 = await call(
      C,
      "GET",
      `/contract/transfers/${transfer}/data?cursor=${encodeURIComponent(page2.headers.get("learnpool-next-cursor") ?? "")}`,
      "lab",
    );
    expect(page3.status).toBe(403);
    // The engine refused, not the agreement's status: PolicyDenied, not AgreementNotValid.
    expect((page3.json() as { error: { message: string } }).error.message).toMatch(
      /403 PolicyDenied: .*count lteq 3\) is unsatisfied by 4/,
    );
    const stopped = (await call(C, "GET", `/contract/transfers/${transfer}`, "lab")).json() as {
      state: string;
      reason: string;
    };
    expect(stopped.state).toBe("TERMINATED");
    expect(stopped.reason).toMatch(/count/);
    const told = (await call(C, "GET", `/contract/transfers/${transfer}`, "lab")).json() as {
      history: { type: string; body: { code?: string } }[];
    };
    expect(told.history.find((h) => h.type === "TransferTerminationMessage")?.body.code).toBe("PolicyDenied");

    // The audit trail holds together, with one decision for the catalog search, the negotiation, the
    // transfer and each page.
    expect(await P.lrs.audit.verify()).toMatchObject({ ok: true });
    expect(await C.lrs.audit.verify()).toMatchObject({ ok: true });
    const made = await decisions(P);
    expect(made.filter((d) => d.step === "catalog-access").map((d) => d.decision)).toContain("Permit");
    expect(made.filter((d) => d.step === "negotiation").map((d) => d.decision)).toEqual(["Permit"]);
    const transfers = made.filter((d) => d.step === "transfer");
    expect(transfers.map((d) => d.decision)).toEqual(["Permit", "Permit", "Permit", "Deny"]);
    expect(transfers.every((d) => d.agreement === n.agreementId)).toBe(true);
    expect(transfers[3]?.reason).toMatch(/count/);
  });

  it("the consumer's termination of the agreement stops the running transfer at once", async () => {
    const { P, C, keys } = await dataSpace(backend);
    const offer = await publish(P, researchOffer("urn:learnpool:offer:mooc-long", 100));
    const n = await negotiate(P, C, offer.offerId, ["FINALIZED", "TERMINATED"]);
    expect(n.state, n.reason).toBe("FINALIZED");
    const transfer = await startTransfer(C, n.localPid);
    expect((await call(C, "GET", `/contract/transfers/${transfer}/data`, "lab")).status).toBe(200);

    // The lab signs a termination with its own key and hands it to the registry at P.
    const agreement = (await call(P, "GET", `/contract/agreements/${n.agreementId}`, "lab")).json() as {
      id: string;
      digest: string;
    };
    const jws = await signEvent(
      terminationStatement(agreement, "study cancelled"),
      keys.lab!.privateJwk,
      keys.lab!.kid,
    );
    const ended = await call(P, "POST", `/contract/agreements/${n.agreementId}/termination`, "lab", { jws });
    expect(ended.status, ended.text).toBe(200);
    // Stopped when the termination was answered, not at the next page: both sides say TERMINATED now.
    const at = (await call(C, "GET", `/contract/transfers/${transfer}`, "lab")).json() as {
      state: string;
      reason: string;
    };
    expect(at.state).toBe("TERMINATED");
    expect(at.reason).toMatch(/terminated/);
    const page = await call(C, "GET", `/contract/transfers/${transfer}/data`, "lab");
    expect(page.status).toBe(403);
    expect(await P.lrs.audit.verify()).toMatchObject({ ok: true });
  });

  it("an agreement whose validity ends during a transfer stops it at the next page: 403 AgreementNotValid, TERMINATED on both sides", async () => {
    // The provider's one clock (registry, enforcement, DSP): moved past the agreement's notAfter.
    const DAY = 86_400_000;
    let ahead = 0;
    const clock = () => new Date(Date.now() + ahead);
    const { P, C } = await dataSpace(backend, undefined, { clock, agreementDays: 1 });
    const offer = await publish(P, researchOffer("urn:learnpool:offer:expiring", 100));
    const n = await negotiate(P, C, offer.offerId, ["FINALIZED", "TERMINATED"]);
    expect(n.state, n.reason).toBe("FINALIZED");
    const agreement = (await call(P, "GET", `/contract/agreements/${n.agreementId}`, "lab")).json() as {
      document: { validity: { notAfter: string } };
    };
    const notAfter = Date.parse(agreement.document.validity.notAfter);
    expect(notAfter - Date.now()).toBeGreaterThan(DAY - 60_000);
    expect(notAfter - Date.now()).toBeLessThanOrEqual(DAY);

    const transfer = await startTransfer(C, n.localPid);
    const page1 = await call(C, "GET", `/contract/transfers/${transfer}/data`, "lab");
    expect(page1.status, page1.text).toBe(200);
    const cursor = page1.headers.get("learnpool-next-cursor") ?? "";

    // Two days later, mid-transfer: the agreement has expired; nobody terminated it.
    ahead = 2 * DAY;
    const status = (await call(P, "GET", `/contract/agreements/${n.agreementId}/status`, "lab")).json() as {
      state: string;
    };
    expect(status.state).toBe("expired");
    const page2 = await call(
      C,
      "GET",
      `/contract/transfers/${transfer}/data?cursor=${encodeURIComponent(cursor)}`,
      "lab",
    );
    expect(page2.status).toBe(403);
    // The agreement refused, not the policy: AgreementNotValid, with the expiry as the reason.
    expect((page2.json() as { error: { message: string } }).error.message).toMatch(
      /403 AgreementNotValid: agreement .* is not valid: expired at /,
    );
    const stopped = (await call(C, "GET", `/contract/transfers/${transfer}`, "lab")).json() as {
      state: string;
      reason: string;
      history: { type: string; body: { code?: string } }[];
    };
    expect(stopped.state).toBe("TERMINATED");
    expect(stopped.reason).toMatch(/expired at/);
    expect(stopped.history.find((h) => h.type === "TransferTerminationMessage")?.body.code).toBe(
      "AgreementNotValid",
    );
    const atProvider = (await P.lrs.audit.list({ limit: 100_000 })).filter(
      (e) => e.action === "dsp.transfer.sent" && (e.details as { to?: string }).to === "TERMINATED",
    );
    expect(atProvider).toHaveLength(1);
    // And no page after: the transfer is over at the provider too.
    expect(
      (await call(C, "GET", `/contract/transfers/${transfer}/data`, "lab")).status,
    ).toBeGreaterThanOrEqual(400);
    expect(await P.lrs.audit.verify()).toMatchObject({ ok: true });
  });

  it("an offer restricted to another assignee: the negotiation is TERMINATED with the engine's reason", async () => {
    const { P, C } = await dataSpace(backend);
    const offer = await publish(
      P,
      researchOffer("urn:learnpool:offer:for-another", 10, { assignee: iri("another-lab") }),
      "Reserved traces",
    );
    // Not found by purpose (it is not for this consumer), but its id is known to whoever lists.
    const listed = (await call(P, "GET", "/contract/catalog", "lab")).json() as {
      items: { offerId: string }[];
    };
    expect(listed.items.map((i) => i.offerId)).toContain(offer.offerId);

    const n = await negotiate(P, C, offer.offerId, ["FINALIZED", "TERMINATED"]);
    expect(n.state).toBe("TERMINATED");
    expect(n.agreementId).toBeUndefined();
    const negotiation = (await decisions(P)).filter((d) => d.step === "negotiation");
    expect(negotiation).toHaveLength(1);
    expect(negotiation[0]).toMatchObject({ decision: "Deny", agreement: null });
    // The consumer is told the engine's own reason.
    expect(n.reason).toBe(negotiation[0]?.reason);
    expect(n.reason).toMatch(
      /^offer urn:learnpool:offer:for-another does not let urn:learnpool:participant:lab use urn:uuid:.*: no rule of the policy covers this action, target and assignee/,
    );
    // No agreement was proposed.
    expect((await call(P, "GET", "/contract/agreements", "op")).json()).toEqual([]);
    expect(await P.lrs.audit.verify()).toMatchObject({ ok: true });
  });

  it("a withdrawn dataset's offer can no longer be negotiated; the consumer's routes are its own", async () => {
    const { P, C } = await dataSpace(backend);
    const offer = await publish(P, researchOffer("urn:learnpool:offer:withdrawn", 10));
    const withdrawn = await call(P, "POST", `/contract/catalog/${offer.dataset}/withdraw`, "prov", {
      reason: "consent withdrawn by the school",
    });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    const refused = await call(C, "POST", "/contract/negotiations", "lab", {
      provider: `${P.url}/dsp`,
      offer: offer.offerId,
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(/UnknownOffer|not an offer of this provider/);

    // Without credential, another store's process, a missing counterparty.
    expect((await call(C, "GET", "/contract/negotiations", "nobody")).status).toBe(401);
    const other = await call(C, "POST", "/contract/negotiations", "prov", {
      provider: "https://elsewhere.example/dsp",
      offer: offer.offerId,
    });
    expect(other.status).toBe(400);
    expect(other.text).toMatch(/counterparty/);
    const list = (await call(C, "GET", "/contract/negotiations", "lab")).json() as { localPid: string }[];
    expect(list).toHaveLength(1);
    expect((await call(C, "GET", `/contract/negotiations/${list[0]?.localPid}`, "prov")).status).toBe(404);
  });

  it("the consumer drives negotiation and transfer from the command line (learnpool negotiate, transfer request|pull)", async () => {
    // The command runs beside the consumer's server, on its database; the provider answers the server.
    const location = backend.name === "sqlite" ? tempDbPath() : await backend.location();
    const { P, C, peers } = await dataSpace(backend, location);
    const offer = await publish(P, researchOffer("urn:learnpool:offer:cli", 100));
    const peersFile = join(mkdtempSync(join(tmpdir(), "learnpool-peers-")), "peers.json");
    writeFileSync(peersFile, JSON.stringify(peers.C), { mode: 0o600 });
    const saved = { ...process.env };
    process.env.LEARNPOOL_DSP_BASE_URL = `${C.url}/dsp`;
    process.env.LEARNPOOL_DSP_PEERS = peersFile;
    delete process.env.LEARNPOOL_SIGNING_KEYS;
    try {
      const negotiated = await cli([
        "negotiate",
        "--provider",
        `${P.url}/dsp`,
        "--offer",
        offer.offerId,
        "--as",
        "lab",
        "--wait",
        "--db",
        location,
      ]);
      const [pid, state, agreementId] = negotiated.trim().split("\t");
      expect(state).toBe("FINALIZED");
      expect(agreementId).toMatch(/^urn:uuid:/);
      const requested = await cli([
        "transfer",
        "request",
        "--negotiation",
        pid ?? "",
        "--wait",
        "--db",
        location,
      ]);
      const [transfer, started] = requested.trim().split("\t");
      expect(started).toBe("STARTED");
      const lines = (await cli(["transfer", "pull", transfer ?? "", "--all", "--db", location]))
        .trim()
        .split("\n");
      expect(lines.map((l) => JSON.parse(l).actor.mbox)).toEqual(
        [1, 2, 3, 4, 5].map((i) => `mailto:learner${i}@example.org`),
      );
      // The consumer's server sees the same processes.
      expect(
        ((await call(C, "GET", `/contract/transfers/${transfer}`, "lab")).json() as { state: string }).state,
      ).toBe("STARTED");
    } finally {
      process.env = saved;
    }
  });
});
