import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DSP_CONTEXT } from "../../src/contract/catalog/index.js";
import {
  describeFixture,
  offerFixture,
  policyFixture,
  seedStore,
} from "../contract/fixtures/catalog/helpers.js";
import { backends } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

const DPV = "https://w3id.org/dpv#";

for (const backend of await backends()) {
  describe(`catalog routes (${backend.name})`, () => {
    let t: TestLrs;
    let s1: Record<string, string>;
    let s2: Record<string, string>;
    let s2Reader: Record<string, string>;
    let dataset: string;
    let restricted: string;

    const call = (
      method: "GET" | "POST",
      url: string,
      headers: Record<string, string> = {},
      body?: unknown,
    ) =>
      t.app.inject({
        method,
        url,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
      });
    const auth = (h: () => Record<string, string>) => ({ authorization: h().authorization! });

    beforeAll(async () => {
      t = await testLrs(backend);
      await seedStore(t.lrs, "s1");
      s1 = auth(await t.credential("s1"));
      s2 = auth(await t.credential("s2"));
      s2Reader = auth(await t.credential("s2", ["statements/read"]));
      await t.credential("s3");
    });
    afterAll(async () => {
      await t.close();
    });

    it("authenticates every endpoint", async () => {
      for (const [method, url] of [
        ["GET", "/contract/catalog"],
        ["POST", "/contract/catalog"],
        ["GET", "/contract/catalog/urn:uuid:00000000-0000-4000-8000-000000000000"],
        ["POST", "/contract/catalog/urn:uuid:00000000-0000-4000-8000-000000000000/withdraw"],
        ["POST", "/catalog/request"],
        ["GET", "/catalog/datasets/00000000-0000-4000-8000-000000000000"],
      ] as const) {
        const res = await call(method, url, { authorization: "Basic bm9ib2R5Om5vdGhpbmc=" });
        expect(res.statusCode, url).toBe(401);
        expect(res.headers["www-authenticate"]).toContain("Basic");
      }
      const dsp = await call(
        "POST",
        "/catalog/request",
        {},
        { "@context": [DSP_CONTEXT], "@type": "CatalogRequestMessage" },
      );
      expect(dsp.json()).toMatchObject({ "@type": "CatalogError", code: "401" });
    });

    it("publishes with the provider's own credential only", async () => {
      const body = { description: describeFixture(), offer: offerFixture("offer-research.jsonld") };
      const forOther = await call("POST", "/contract/catalog", s2, { ...body, store: "s1" });
      expect(forOther.statusCode).toBe(403);
      expect(forOther.json().error.message).toContain("only for its own store");
      const reader = await call("POST", "/contract/catalog", s2Reader, body);
      expect(reader.statusCode).toBe(403);

      const bad = await call("POST", "/contract/catalog", s1, {
        ...body,
        offer: offerFixture("offer-no-operator.jsonld"),
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toMatch(/has no operator/);

      const res = await call("POST", "/contract/catalog", s1, body);
      expect(res.statusCode).toBe(201);
      const entry = res.json();
      expect(entry).toMatchObject({ version: 1, provider: "s1", statistics: { statements: 4, learners: 3 } });
      dataset = entry.dataset;
      expect(res.headers.location).toBe(`/contract/catalog/${encodeURIComponent(dataset)}`);

      const hidden = await call("POST", "/contract/catalog", s1, {
        description: { title: "For s2 only", description: "Restricted." },
        offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:http-restricted"),
        accessPolicy: policyFixture("access-s2-only.jsonld"),
      });
      expect(hidden.statusCode).toBe(201);
      restricted = hidden.json().dataset;
    });

    it("searches and reads through the JSON API", async () => {
      const s3 = auth(await t.credential("s3"));
      const search = await call(
        "GET",
        `/contract/catalog?q=mathematics&purpose=${encodeURIComponent(`${DPV}AcademicResearch`)}`,
        s3,
      );
      expect(search.statusCode).toBe(200);
      const page = search.json();
      expect(page).toMatchObject({ total: 1, offset: 0, limit: 20 });
      expect(page.items[0]).toMatchObject({ dataset, purposeFit: { fit: "permitted" } });
      expect((await call("GET", "/contract/catalog?purpose=dpv:Marketing", s3)).json().total).toBe(0);
      // s3 does not see the restricted entry; s2 does.
      expect(
        (await call("GET", "/contract/catalog", s3)).json().items.map((e: { dataset: string }) => e.dataset),
      ).toEqual([dataset]);
      expect((await call("GET", "/contract/catalog", s2)).json().total).toBe(2);
      expect((await call("GET", `/contract/catalog/${restricted}`, s3)).statusCode).toBe(404);
      expect((await call("GET", `/contract/catalog/${restricted}`, s2)).json().description.title).toBe(
        "For s2 only",
      );

      const bad = await call("GET", "/contract/catalog?colour=blue", s3);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toContain("unknown parameter colour");
      expect((await call("GET", "/contract/catalog?limit=abc", s3)).statusCode).toBe(400);
      const one = await call("GET", `/contract/catalog/${encodeURIComponent(dataset)}?version=1`, s3);
      expect(one.json()).toMatchObject({ dataset, version: 1 });
      expect((await call("GET", `/contract/catalog/${dataset}?version=9`, s3)).statusCode).toBe(404);
    });

    it("answers the Dataspace Protocol catalog request with a dcat:Catalog", async () => {
      const res = await call("POST", "/catalog/request", s2, {
        "@context": [DSP_CONTEXT],
        "@type": "CatalogRequestMessage",
      });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc["@context"][0]).toBe(DSP_CONTEXT);
      expect(doc).toMatchObject({
        "@type": "Catalog",
        participantId: "urn:learnpool:participant:operator",
        service: [{ "@type": "DataService", endpointURL: "http://localhost:80" }],
      });
      expect(doc.dataset).toHaveLength(2);
      const ds = doc.dataset.find((d: { "@id": string }) => d["@id"] === dataset);
      expect(ds).toMatchObject({
        "@type": "Dataset",
        title: "First-year mathematics MOOC, 2024 cohort",
        keyword: ["mathematics", "MOOC", "dropout"],
        "dct:publisher": { "@id": "urn:learnpool:participant:s1" },
        "dct:temporal": {
          "dcat:startDate": { "@value": "2024-01-10T09:00:00.000Z" },
          "dcat:endDate": { "@value": "2024-03-05T00:00:00.000Z" },
        },
        "lpc:statementCount": 4,
        "lpc:learnerCount": 3,
      });
      expect(ds.hasPolicy).toEqual([
        expect.objectContaining({
          "@id": "urn:learnpool:offer:research",
          "@type": "Offer",
          assigner: "urn:learnpool:participant:s1",
        }),
      ]);
      expect(ds.hasPolicy[0]["@context"]).toBeUndefined();
      expect(ds.hasPolicy[0].permission[0].constraint[0].rightOperand).toBe(`${DPV}ResearchAndDevelopment`);
      expect(ds.distribution.map((d: { format: string }) => d.format)).toEqual(["xapi+json", "parquet"]);
      expect(ds.distribution[0].accessService).toMatchObject({
        "@type": "DataService",
        endpointURL: "http://localhost:80",
      });

      // Filtered by purpose; s3 does not see the restricted dataset.
      const s3 = auth(await t.credential("s3"));
      const filtered = await call("POST", "/catalog/request", s3, {
        "@context": [DSP_CONTEXT],
        "@type": "CatalogRequestMessage",
        filter: [{ purpose: "dpv:AcademicResearch" }],
      });
      expect(filtered.json().dataset.map((d: { "@id": string }) => d["@id"])).toEqual([dataset]);

      const unsupported = await call("POST", "/catalog/request", s2, {
        "@context": [DSP_CONTEXT],
        "@type": "CatalogRequestMessage",
        filter: ["some-filter"],
      });
      expect(unsupported.statusCode).toBe(400);
      expect(unsupported.json()).toMatchObject({ "@type": "CatalogError", code: "400" });
      const wrongType = await call("POST", "/catalog/request", s2, { "@type": "DatasetRequestMessage" });
      expect(wrongType.statusCode).toBe(400);
      expect((await call("POST", "/catalog/request", s2, "{")).json()["@type"]).toBe("CatalogError");
    });

    it("returns one dcat:Dataset, and a CatalogError for an unknown or hidden one", async () => {
      const res = await call("GET", `/catalog/datasets/${dataset.slice("urn:uuid:".length)}`, s2);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ "@id": dataset, "@type": "Dataset", "dcat:version": "1" });
      expect(res.json()["@context"][0]).toBe(DSP_CONTEXT);
      const s3 = auth(await t.credential("s3"));
      for (const id of [restricted, "urn:uuid:00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
        const missing = await call("GET", `/catalog/datasets/${encodeURIComponent(id)}`, s3);
        expect(missing.statusCode).toBe(404);
        expect(missing.json()).toMatchObject({ "@type": "CatalogError", code: "404" });
      }
    });

    it("withdraws without deleting: gone from the catalog, readable by id", async () => {
      expect(
        (await call("POST", `/contract/catalog/${dataset}/withdraw`, s2, { reason: "no" })).statusCode,
      ).toBe(403);
      const res = await call("POST", `/contract/catalog/${dataset}/withdraw`, s1, {
        reason: "course closed",
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().withdrawn.reason).toBe("course closed");
      const catalog = await call("POST", "/catalog/request", s2, { "@type": "CatalogRequestMessage" });
      expect(catalog.json().dataset.map((d: { "@id": string }) => d["@id"])).toEqual([restricted]);
      expect((await call("GET", `/catalog/datasets/${dataset}`, s2)).statusCode).toBe(404);
      const kept = await call("GET", `/contract/catalog/${dataset}`, s2);
      expect(kept.json()).toMatchObject({ dataset, withdrawn: { reason: "course closed" } });
      const versions = await call("GET", `/contract/catalog/${dataset}/versions`, s2);
      expect(versions.json().versions.map((v: { version: number }) => v.version)).toEqual([1]);
      const refreshed = await call("POST", `/contract/catalog/${dataset}/refresh`, s1);
      expect(refreshed.statusCode).toBe(409);
      expect(refreshed.json().error.message).toContain("publish it again");
      const republished = await call("POST", "/contract/catalog", s1, {
        dataset,
        description: describeFixture(),
        offer: offerFixture("offer-research.jsonld"),
      });
      expect(republished.statusCode).toBe(201);
      expect(republished.json()).toMatchObject({ version: 2 });
      expect(republished.json().withdrawn).toBeUndefined();
      const refreshedNow = await call("POST", `/contract/catalog/${dataset}/refresh`, s1);
      expect(refreshedNow.json()).toMatchObject({ version: 3 });
    });
  });
}
