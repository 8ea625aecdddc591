/**
 * Participant categories (migration 12): assigned by the operator (registry, HTTP, CLI), added and
 * removed once, never deleted; fed to the catalog's default directory as ODRL partOf.
 */
import { Command } from "commander";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { agreementCommands } from "../../src/cli/agreements.js";
import { Catalog, registeredParticipants } from "../../src/contract/catalog/index.js";
import { AgreementRegistry, categoryIri } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { registerAgreementRoutes } from "../../src/server/agreements.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { basic } from "../helpers/server.js";
import { describeFixture, offerFixture } from "./fixtures/catalog/helpers.js";

const PUBLIC_RESEARCH = "https://w3id.org/learnpool/odrl/PublicResearchInEducation";

async function run(args: string[]): Promise<string> {
  const root = new Command("learnpool").exitOverride();
  for (const c of agreementCommands()) root.addCommand(c.exitOverride());
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await root.parseAsync(args, { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return out;
}

it("reads category IRIs: lp: names expanded, anything else absolute", () => {
  expect(categoryIri("lp:PublicResearchInEducation")).toBe(PUBLIC_RESEARCH);
  expect(categoryIri("urn:example:research")).toBe("urn:example:research");
  expect(() => categoryIri("research")).toThrow(/not an absolute IRI/);
  expect(() => categoryIri("")).toThrow(/is an IRI/);
});

for (const backend of await backends()) {
  describe(`participant categories (${backend.name})`, () => {
    let db: Database;
    let lrs: Lrs;
    let registry: AgreementRegistry;
    let app: FastifyInstance;
    const auth: Record<string, string> = {};

    beforeAll(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      registry = new AgreementRegistry(db, lrs.audit);
      for (const [id, role] of [
        ["op", "operator"],
        ["univ", "provider"],
        ["lab", "consumer"],
        ["corp", "consumer"],
      ] as const) {
        await lrs.tenancy.ensureStore(id, id, "test");
        await registry.participants.register({ id, role }, "test");
        const made = await lrs.tenancy.addCredential({ storeId: id, scopes: ["all"], actor: "test" });
        auth[id] = basic(made.key, made.secret);
      }
      app = Fastify({ logger: false });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      registerAgreementRoutes(app, lrs, registry);
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await lrs.close();
      await db.close();
    });

    const call = (method: "GET" | "POST", url: string, who: string, body?: unknown) =>
      app.inject({
        method,
        url,
        headers: {
          authorization: auth[who]!,
          ...(body !== undefined && { "content-type": "application/json" }),
        },
        ...(body !== undefined && { payload: JSON.stringify(body) }),
      });

    it("lets the operator assign and remove categories over HTTP; others read them", async () => {
      expect(
        (
          await call("POST", "/contract/participants/lab/categories", "lab", {
            category: "lp:PublicResearchInEducation",
          })
        ).statusCode,
      ).toBe(403);
      expect((await call("POST", "/contract/participants/lab/categories", "op", {})).statusCode).toBe(400);
      expect(
        (await call("POST", "/contract/participants/ghost/categories", "op", { category: "lp:X" }))
          .statusCode,
      ).toBe(404);
      const added = await call("POST", "/contract/participants/lab/categories", "op", {
        category: "lp:PublicResearchInEducation",
      });
      expect(added.statusCode).toBe(201);
      expect(added.json()).toMatchObject({ participant: "lab", category: PUBLIC_RESEARCH, removedAt: null });
      expect(
        (await call("POST", "/contract/participants/lab/categories", "op", { category: PUBLIC_RESEARCH }))
          .statusCode,
      ).toBe(409);
      const read = await call("GET", "/contract/participants/lab/categories", "univ");
      expect(read.statusCode).toBe(200);
      expect(read.json().categories).toEqual([PUBLIC_RESEARCH]);

      const removed = await call("POST", "/contract/participants/lab/categories/remove", "op", {
        category: PUBLIC_RESEARCH,
      });
      expect(removed.statusCode).toBe(200);
      expect(removed.json().removedAt).toEqual(expect.any(String));
      expect(
        (
          await call("POST", "/contract/participants/lab/categories/remove", "op", {
            category: PUBLIC_RESEARCH,
          })
        ).statusCode,
      ).toBe(404);
      const after = (await call("GET", "/contract/participants/lab/categories", "lab")).json();
      expect(after.categories).toEqual([]);
      expect(after.history).toHaveLength(1);
      // Audited.
      const actions = (await lrs.audit.list({ limit: 10_000 })).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(["participant.category.add", "participant.category.remove"]),
      );
    });

    it("keeps every membership: no delete, a removal set once", async () => {
      await registry.participants.categorize("corp", "urn:example:industry", "op");
      await expect(db.run("DELETE FROM participant_categories WHERE participant = 'corp'")).rejects.toThrow(
        /kept/,
      );
      await expect(
        db.run("UPDATE participant_categories SET category = 'urn:x' WHERE participant = 'corp'"),
      ).rejects.toThrow(/only ever removed, once/);
      await registry.participants.uncategorize("corp", "urn:example:industry", "op");
      await expect(
        db.run(
          "UPDATE participant_categories SET removed_at = '2099-01-01T00:00:00Z' WHERE participant = 'corp'",
        ),
      ).rejects.toThrow(/only ever removed, once/);
      // Added again later: a new row.
      await registry.participants.categorize("corp", "urn:example:industry", "op");
      expect(await registry.participants.categoryHistory("corp")).toHaveLength(2);
      expect(await registry.participants.categories("corp")).toEqual(["urn:example:industry"]);
    });

    it("feeds categories to the catalog's directory as partOf, so PartyCollection access policies admit members", async () => {
      const directory = registeredParticipants(db);
      expect(await directory.party("univ")).toEqual({ iri: "urn:learnpool:participant:univ" });
      await registry.participants.categorize("univ", "lp:PublicBodiesInEducation", "op");
      expect(await directory.party("univ")).toEqual({
        iri: "urn:learnpool:participant:univ",
        partOf: ["https://w3id.org/learnpool/odrl/PublicBodiesInEducation"],
      });

      await lrs.tenancy.ensureStore("s1", "s1", "test");
      await registry.participants.register({ id: "s1", role: "provider" }, "test");
      const catalog = new Catalog(db, lrs.audit);
      await catalog.publish(
        {
          storeId: "s1",
          description: { ...describeFixture(), title: "For public research only", keywords: ["categorized"] },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:categorized"),
          accessPolicy: {
            "@context": "http://www.w3.org/ns/odrl.jsonld",
            "@type": "Set",
            uid: "urn:learnpool:access:public-research",
            permission: [
              {
                action: "read",
                assignee: { "@type": "PartyCollection", uid: PUBLIC_RESEARCH },
              },
            ],
          },
        },
        { actor: "test", storeId: "s1" },
      );
      const seen = async (storeId: string) =>
        (await catalog.search({ q: "public research only" }, { actor: `cred-${storeId}`, storeId })).items
          .length;
      expect(await seen("lab")).toBe(0);
      await registry.participants.categorize("lab", "lp:PublicResearchInEducation", "op");
      expect(await seen("lab")).toBe(1);
      expect(await seen("corp")).toBe(0);
      await registry.participants.uncategorize("lab", PUBLIC_RESEARCH, "op");
      expect(await seen("lab")).toBe(0);
    });
  });

  describe(`learnpool participant categorize (${backend.name})`, () => {
    it("assigns, lists and removes a category", async () => {
      const location =
        backend.name === "sqlite"
          ? `/tmp/learnpool-categories-${Math.random().toString(36).slice(2)}.db`
          : await backend.location();
      await run(["participant", "add", "op", "--role", "operator", "--create-store", "--db", location]);
      await run(["participant", "add", "lab", "--role", "consumer", "--create-store", "--db", location]);
      const added = JSON.parse(
        await run(["participant", "categorize", "lab", "lp:PublicResearchInEducation", "--db", location]),
      );
      expect(added).toMatchObject({ participant: "lab", category: PUBLIC_RESEARCH });
      const listed = JSON.parse(await run(["participant", "categories", "lab", "--db", location]));
      expect(listed.categories).toEqual([PUBLIC_RESEARCH]);
      const removed = JSON.parse(
        await run(["participant", "categorize", "lab", PUBLIC_RESEARCH, "--remove", "--db", location]),
      );
      expect(removed.removedAt).toEqual(expect.any(String));
      const db = await openDatabase(location);
      try {
        expect(
          await new AgreementRegistry(
            db,
            new Lrs(db, { authorityHomePage: "http://x" }).audit,
          ).participants.categories("lab"),
        ).toEqual([]);
      } finally {
        await db.close();
      }
    });
  });
}
