import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  Catalog,
  type CatalogEntry,
  CatalogError,
  type ParticipantDirectory,
  participantIri,
} from "../../src/contract/catalog/index.js";
import { Lrs } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import {
  addStatement,
  CMI5,
  describeFixture,
  offerFixture,
  policyFixture,
  seedStore,
  VIDEO,
} from "./fixtures/catalog/helpers.js";

const VERB = "http://adlnet.gov/expapi/verbs/";
const TYPE = "http://adlnet.gov/expapi/activities/";
const DPV = "https://w3id.org/dpv#";
const RESEARCH_ORGS = "urn:learnpool:collection:research-organisations";
const provider = { actor: "cred-s1", storeId: "s1" };
const as = (storeId: string) => ({ actor: `cred-${storeId}`, storeId });

async function failure(p: Promise<unknown>): Promise<CatalogError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CatalogError) return err;
    throw err;
  }
  throw new Error("expected a CatalogError");
}

for (const backend of await backends()) {
  describe(`catalog (${backend.name})`, () => {
    let db: Database;
    let lrs: Lrs;
    let catalog: Catalog;
    // s4 is a research organisation in France; s5 one outside the EEA; s3 neither.
    const directory: ParticipantDirectory = {
      party: async (id) => ({
        iri: participantIri(id),
        ...(id === "s4" ? { partOf: [RESEARCH_ORGS], values: { spatial: "FR" } } : {}),
        ...(id === "s5" ? { partOf: [RESEARCH_ORGS], values: { spatial: "US" } } : {}),
      }),
    };
    const now = new Date("2025-06-01T00:00:00Z");
    const accessEvents = async () =>
      (await new AuditLog(db).list({ limit: 100_000 })).filter((e) => e.action === "contract.catalog.access");
    /** Each read and search: one decision event, step catalog-access. */
    const decisionEvents = async () =>
      (await new AuditLog(db).list({ limit: 100_000 })).filter(
        (e) => e.action === "contract.decision" && e.details.step === "catalog-access",
      );

    let research: CatalogEntry;
    let minK: CatalogEntry;
    let aggregate: CatalogEntry;

    beforeAll(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      catalog = new Catalog(db, lrs.audit, { directory, now: () => now });
      await seedStore(lrs, "s1");
      for (const s of ["s2", "s3", "s4", "s5", "s6"]) await lrs.tenancy.ensureStore(s, s, "test");
      research = await catalog.publish(
        { storeId: "s1", description: describeFixture(), offer: offerFixture("offer-research.jsonld") },
        provider,
      );
      minK = await catalog.publish(
        {
          storeId: "s1",
          description: {
            ...describeFixture(),
            title: "Quiz answers for AI training",
            description: "Answers to the weekly quizzes.",
            keywords: ["quiz"],
            themes: [],
          },
          offer: offerFixture("offer-min-k.jsonld"),
        },
        provider,
      );
      aggregate = await catalog.publish(
        {
          storeId: "s1",
          description: { title: "Course statistics", description: "Aggregates only.", formats: ["csv"] },
          offer: offerFixture("offer-aggregate-only.jsonld"),
        },
        provider,
      );
    });
    afterAll(async () => {
      await lrs.close();
      await db.close();
    });

    it("derives volumes, time span, verbs, profiles and activity types from the provider's store", () => {
      const s = research.statistics;
      expect(s.statements).toBe(4);
      expect(s.learners).toBe(3);
      expect(s.temporal).toEqual({ start: "2024-01-10T09:00:00.000Z", end: "2024-03-05T00:00:00.000Z" });
      expect(s.verbs).toEqual([
        { id: `${VERB}completed`, statements: 2 },
        { id: `${VERB}answered`, statements: 1 },
        { id: `${VERB}experienced`, statements: 1 },
      ]);
      expect(s.profiles).toEqual([
        { id: CMI5, statements: 3 },
        { id: VIDEO, statements: 1 },
      ]);
      expect(s.activityTypes).toEqual([
        { id: `${TYPE}course`, statements: 2 },
        { id: `${TYPE}cmi.interaction`, statements: 1 },
        { id: `${TYPE}lesson`, statements: 1 },
      ]);
      expect(s.derivedAt).toBe(now.toISOString());
      expect(research.description.dataCategories).toEqual([
        "https://w3id.org/dpv/pd#EducationExperience",
        "https://w3id.org/dpv/pd#Behavioral",
        "https://w3id.org/dpv/pd#EducationQualification",
      ]);
      expect(research).toMatchObject({
        version: 1,
        latestVersion: 1,
        provider: "s1",
        publisher: participantIri("s1"),
      });
      expect(research.dataset).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      // No learner identifier anywhere in the description.
      expect(JSON.stringify(research)).not.toMatch(/alice|bob|carol/);
    });

    it("searches by free text, theme, verb, profile, data category, format, provider and time span", async () => {
      const ids = async (query: Parameters<Catalog["search"]>[0]) =>
        (await catalog.search(query, as("s2"))).items.map((e) => e.dataset).sort();
      const all = [research.dataset, minK.dataset, aggregate.dataset].sort();
      expect(await ids({})).toEqual(all);
      expect(await ids({ q: "MATHEMATICS mooc" })).toEqual([research.dataset]);
      expect(await ids({ q: "weekly quiz" })).toEqual([minK.dataset]);
      expect(await ids({ q: "quiz" })).toEqual([minK.dataset, research.dataset].sort());
      expect(await ids({ q: "100%" })).toEqual([]);
      expect(await ids({ theme: "higher education" })).toEqual([research.dataset]);
      expect(await ids({ verb: `${VERB}answered` })).toEqual(all);
      expect(await ids({ verb: `${VERB}attempted` })).toEqual([]); // voided: not described
      expect(await ids({ profile: VIDEO })).toEqual(all);
      expect(await ids({ category: "dpv-pd:Behavioral" })).toEqual([minK.dataset, research.dataset].sort());
      expect(await ids({ format: "csv" })).toEqual([aggregate.dataset]);
      expect(await ids({ provider: "s1" })).toEqual(all);
      expect(await ids({ provider: "s2" })).toEqual([]);
      expect(await ids({ from: "2024-03-01", to: "2024-12-31" })).toEqual(all);
      expect(await ids({ from: "2024-03-05T00:00:01Z" })).toEqual([]);
      expect(await ids({ to: "2024-01-10T08:59:59Z" })).toEqual([]);
      const err = await failure(catalog.search({ category: "ShoeSize" }, as("s2")));
      expect(err.status).toBe(400);
      expect(err.message).toContain("unknown data category ShoeSize");
    });

    it("paginates, newest publication first", async () => {
      const first = await catalog.search({ limit: 2 }, as("s2"));
      expect(first.items.map((e) => e.dataset)).toEqual([aggregate.dataset, minK.dataset]);
      expect(first).toMatchObject({ total: 3, offset: 0, limit: 2, next: 2 });
      const second = await catalog.search({ limit: 2, offset: 2 }, as("s2"));
      expect(second.items.map((e) => e.dataset)).toEqual([research.dataset]);
      expect(second.next).toBeUndefined();
      expect((await failure(catalog.search({ limit: 1000 }, as("s2")))).status).toBe(400);
    });

    it("finds offers by purpose through the DPV hierarchy", async () => {
      const byPurpose = async (purpose: string) =>
        Object.fromEntries(
          (await catalog.search({ purpose }, as("s2"))).items.map((e) => [e.dataset, e.purposeFit]),
        );
      // dpv:AcademicResearch is narrower than the offered dpv:ResearchAndDevelopment.
      const academic = await byPurpose("dpv:AcademicResearch");
      expect(Object.keys(academic)).toEqual([research.dataset]);
      expect(academic[research.dataset]).toMatchObject({
        fit: "permitted",
        actions: ["http://www.w3.org/ns/odrl/2/use"],
      });
      // TrainAIModel is under ResearchAndDevelopment and under TrainingArtificialIntelligence: the
      // min-k offer fits only on a condition the catalog cannot know at discovery.
      const train = await byPurpose(`${DPV}TrainAIModel`);
      expect(Object.keys(train).sort()).toEqual([research.dataset, minK.dataset].sort());
      expect(train[minK.dataset]).toEqual(
        expect.objectContaining({ fit: "conditional", conditions: ["lp:minK odrl:gteq 10"] }),
      );
      // Marketing: refused by the research offer's prohibition, not covered by the others.
      expect(await byPurpose("Marketing")).toEqual({});
      // Only aggregation is offered for statistics: found, naming the narrower action.
      const statistics = await byPurpose("StatisticalPurpose");
      expect(Object.keys(statistics)).toEqual([aggregate.dataset]);
      expect(statistics[aggregate.dataset]).toMatchObject({
        fit: "permitted",
        actions: ["http://www.w3.org/ns/odrl/2/aggregate"],
      });
    });

    it("hides entries by their access policy, with one decision event per request", async () => {
      const onlyS2 = await catalog.publish(
        {
          storeId: "s1",
          description: { title: "Restricted A", description: "For s2 only." },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:restricted-a"),
          accessPolicy: policyFixture("access-s2-only.jsonld"),
        },
        provider,
      );
      const researchOnly = await catalog.publish(
        {
          storeId: "s1",
          description: { title: "Restricted B", description: "For research organisations in the EEA." },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:restricted-b"),
          accessPolicy: policyFixture("access-research-organisations.jsonld"),
        },
        provider,
      );
      const seen = async (storeId: string) =>
        (await catalog.search({ q: "restricted" }, as(storeId))).items.map((e) => e.description.title).sort();
      const before = (await decisionEvents()).length;
      expect(await seen("s2")).toEqual(["Restricted A"]);
      expect(await seen("s4")).toEqual(["Restricted B"]);
      expect(await seen("s1")).toEqual(["Restricted A", "Restricted B"]); // the provider sees its own
      expect(await seen("s3")).toEqual([]);
      expect(await seen("s5")).toEqual([]); // a research organisation, outside the EEA
      const events = (await decisionEvents()).slice(before);
      // One event per request: s2, s4 one shown, one hidden; the provider two shown; s3, s5 two hidden.
      expect(events.map((e) => [e.details.participant, e.details.shown, e.details.hidden])).toEqual([
        ["s2", 1, 1],
        ["s4", 1, 1],
        ["s1", 2, 0],
        ["s3", 0, 2],
        ["s5", 0, 2],
      ]);
      const s3 = events[3]!;
      expect(s3.details).toMatchObject({ participant: "s3", decision: "Deny", request: "search" });
      expect(s3.details.hiddenDatasets).toEqual(
        expect.arrayContaining([onlyS2.dataset, researchOnly.dataset]),
      );
      expect(Object.keys(s3.details.hiddenReasons as object).join(" ")).toContain(
        "urn:learnpool:access:s2-only",
      );
      // What was permitted is audited too, with its reason.
      const s1 = events[2]!;
      expect(s1.details).toMatchObject({ decision: "Permit", reason: "2 shown" });
      expect(s1.details.reasons).toEqual({ "the provider sees its own entries": 2 });

      // Reading a hidden entry answers as if it did not exist, and is audited with its reason.
      const err = await failure(catalog.read(onlyS2.dataset, as("s3")));
      expect(err.status).toBe(404);
      const last = (await decisionEvents()).at(-1)!;
      expect(last).toMatchObject({
        subject: `dataset:${onlyS2.dataset}`,
        details: { decision: "Deny", request: "read" },
      });
      expect(String(last.details.reason)).toContain("access policy urn:learnpool:access:s2-only");
      expect((await catalog.read(onlyS2.dataset, as("s2"))).description.title).toBe("Restricted A");
      expect((await decisionEvents()).at(-1)?.details).toMatchObject({ decision: "Permit", shown: 1 });
      // An unrestricted search is audited as well: one event, nothing hidden.
      const count = (await decisionEvents()).length;
      await catalog.search({ q: "mathematics" }, as("s3"));
      const events2 = (await decisionEvents()).slice(count);
      expect(events2).toHaveLength(1);
      expect(events2[0]?.details).toMatchObject({ decision: "Permit", hidden: 0 });
    });

    it("keeps every version; withdrawal hides from search and keeps the entry readable", async () => {
      const v1 = await catalog.publish(
        {
          storeId: "s1",
          description: { title: "Versioned", description: "First words." },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:versioned"),
        },
        provider,
      );
      const v2 = await catalog.publish(
        {
          storeId: "s1",
          dataset: v1.dataset,
          description: { title: "Versioned", description: "Second words." },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:versioned"),
        },
        provider,
      );
      expect(v2).toMatchObject({ dataset: v1.dataset, version: 2, latestVersion: 2 });
      const old = await catalog.read(v1.dataset, as("s2"), 1);
      expect(old).toMatchObject({
        version: 1,
        latestVersion: 2,
        description: { description: "First words." },
      });
      expect((await catalog.versions(v1.dataset, as("s2"))).map((e) => e.version)).toEqual([1, 2]);
      const found = await catalog.search({ q: "versioned" }, as("s2"));
      expect(found.items.map((e) => [e.dataset, e.version])).toEqual([[v1.dataset, 2]]);

      // Refresh: more statements, a new version with new counts, the provider's words unchanged.
      await addStatement(lrs, "s1");
      const v3 = await catalog.refresh(v1.dataset, provider);
      expect(v3).toMatchObject({ version: 3, description: { description: "Second words." } });
      expect(v3.statistics).toMatchObject({ statements: 5, learners: 4 });
      expect(v3.statistics.temporal?.end).toBe("2024-04-01T00:00:00.000Z");
      expect((await catalog.read(v1.dataset, as("s2"), 2)).statistics.statements).toBe(4);

      const withdrawn = await catalog.withdraw(v1.dataset, "the MOOC was closed", provider);
      expect(withdrawn.withdrawn).toEqual({ at: now.toISOString(), reason: "the MOOC was closed" });
      expect((await catalog.search({ q: "versioned" }, as("s2"))).items).toEqual([]);
      const agreedTo = await catalog.read(v1.dataset, as("s2"), 2);
      expect(agreedTo.description.description).toBe("Second words.");
      expect(agreedTo.withdrawn?.reason).toBe("the MOOC was closed");
      expect((await failure(catalog.withdraw(v1.dataset, "again", provider))).status).toBe(409);

      // Rows are never changed nor removed.
      await expect(db.run("UPDATE catalog_entries SET search_text = 'x'")).rejects.toThrow(/never change/);
      await expect(db.run("DELETE FROM catalog_withdrawals")).rejects.toThrow(/never change/);

      // Republished after withdrawal: a new, current version.
      const v4 = await catalog.publish(
        {
          storeId: "s1",
          dataset: v1.dataset,
          description: { title: "Versioned", description: "Back." },
          offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:versioned"),
        },
        provider,
      );
      expect(v4).toMatchObject({ version: 4 });
      expect(v4.withdrawn).toBeUndefined();
      expect((await catalog.search({ q: "versioned" }, as("s2"))).items.map((e) => e.version)).toEqual([4]);
    });

    it("refuses a malformed offer, naming what is wrong", async () => {
      const publish = (offer: unknown, extra: Record<string, unknown> = {}) =>
        failure(
          catalog.publish(
            { storeId: "s1", description: { title: "T", description: "D" }, offer, ...extra },
            provider,
          ),
        );
      let err = await publish(offerFixture("offer-no-operator.jsonld"));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/not a valid ODRL policy: constraint .* has no operator/);

      err = await publish(
        offerFixture("offer-research.jsonld", "urn:learnpool:offer:x", participantIri("s2")),
      );
      expect(err.message).toContain(
        `its assigner is ${participantIri("s2")}, but the publishing provider is ${participantIri("s1")}`,
      );

      const noAssigner = offerFixture("offer-research.jsonld", "urn:learnpool:offer:y");
      delete noAssigner.assigner;
      expect((await publish(noAssigner)).message).toContain("it names no assigner");

      const set = { ...offerFixture("offer-research.jsonld", "urn:learnpool:offer:z"), "@type": "Set" };
      expect((await publish(set)).message).toContain("its type is odrl:Set; the catalog takes an odrl:Offer");

      const noUid = offerFixture("offer-research.jsonld");
      delete noUid.uid;
      expect((await publish(noUid)).message).toContain("it has no uid");

      const unknownOperand = offerFixture("offer-research.jsonld", "urn:learnpool:offer:w");
      (unknownOperand.permission as { constraint: { leftOperand: string }[] }[])[0]!
        .constraint[0]!.leftOperand = "https://example.org/shoeSize";
      expect((await publish(unknownOperand)).message).toContain("left operand https://example.org/shoeSize");

      expect((await publish("{ not json")).message).toMatch(/^the offer is not JSON/);
      // An offer already another dataset's.
      err = await publish(offerFixture("offer-research.jsonld"));
      expect(err.status).toBe(409);

      // The description too names every problem.
      err = await failure(
        catalog.publish(
          {
            storeId: "s1",
            description: { title: "", description: "D", keyword: ["x"], dataCategories: ["ShoeSize"] },
            offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:v"),
          },
          provider,
        ),
      );
      expect(err.problems).toEqual([
        "unknown field keyword (expected title, description, language, themes, keywords, dataCategories, formats; volumes, verbs and the time span are derived)",
        "title is required and must be a non-empty string",
        expect.stringContaining("data category ShoeSize is not one the catalog knows"),
      ]);
      // An access policy that lets nobody read.
      err = await failure(
        catalog.publish(
          {
            storeId: "s1",
            description: { title: "T", description: "D" },
            offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:u"),
            accessPolicy: {
              "@context": "http://www.w3.org/ns/odrl.jsonld",
              "@type": "Set",
              uid: "urn:x:p",
              permission: [{ action: "print" }],
            },
          },
          provider,
        ),
      );
      expect(err.message).toContain("no permission grants odrl:read");
    });

    it("lets a provider publish and withdraw only for its own store, and audits the refusal", async () => {
      const before = (await accessEvents()).length;
      const err = await failure(
        catalog.publish(
          {
            storeId: "s1",
            description: { title: "T", description: "D" },
            offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:t"),
          },
          as("s2"),
        ),
      );
      expect(err.status).toBe(403);
      expect((await failure(catalog.withdraw(research.dataset, "mine now", as("s2")))).status).toBe(403);
      const events = (await accessEvents()).slice(before);
      expect(events.map((e) => [e.actor, e.details.decision, e.details.request])).toEqual([
        ["cred-s2", "deny", "publish"],
        ["cred-s2", "deny", "withdraw"],
      ]);
      expect((await catalog.read(research.dataset, as("s2"))).withdrawn).toBeUndefined();
    });
  });
}
