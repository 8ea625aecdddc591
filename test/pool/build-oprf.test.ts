/**
 * A build whose pseudonyms come from the OPRF service of a real server (no one in the build holds the
 * linkage domain's key): the learner a provider's consent names by its OPRF pseudonym is the one the
 * build keeps, linked across two providers, de-identified under the profile. SQLite (the service's
 * storage is not what is tested here).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyEnforcement } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { buildDataset, buildServicesFromDatabase } from "../../src/pool/build/index.js";
import { parseBuildSpec } from "../../src/pool/prepare/index.js";
import {
  DomainKeys,
  HmacPseudonymizer,
  HttpOprfTransport,
  identifierText,
  normalizeIdentifier,
  OprfPseudonymizer,
  OprfService,
  pseudonymText,
} from "../../src/privacy/index.js";
import { buildServer } from "../../src/server/index.js";
import { openDatabase } from "../../src/store/index.js";
import { MASTER_KEY, type World, world } from "../consent/setup.js";
import { storeAt } from "./fixtures/stores.js";

const FIXTURES = new URL("./fixtures/build/", import.meta.url).pathname;
const DOMAIN = "https://learnpool.example/domains/dropout-2026";
const START = Date.parse("2027-01-04T09:00:00Z");
const DAY = 86_400_000;

const statement = (mbox: string, day: number) => ({
  id: randomUUID(),
  actor: { objectType: "Agent", mbox: `mailto:${mbox}` },
  verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
  object: { id: `https://example.org/activity/${day % 3}` },
  timestamp: new Date(START + day * DAY).toISOString(),
});

describe("dataset build, pseudonyms through the OPRF service", () => {
  let w: World;
  let lrs: Lrs;
  let app: FastifyInstance;
  let endpoint: string;
  let credential: { key: string; secret: string };
  let out: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "learnpool-build-oprf-"));
    const db = await openDatabase(":memory:");
    w = await world(db);
    lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
    const domains = new DomainKeys(db, w.audit, { master: MASTER_KEY });
    await storeAt(lrs, "univ", [statement("ada@example.org", 0), statement("bob@example.org", 1)]);
    await storeAt(lrs, "mooc", [statement("ADA@example.org", 2), statement("cy@example.org", 3)]);
    await domains.create("dropout-2026", { iri: DOMAIN, members: ["univ", "mooc"], actor: "test" });
    const made = await lrs.tenancy.addCredential({ storeId: "univ", actor: "test" });
    credential = { key: made.key, secret: made.secret };
    app = await buildServer({ lrs, privacy: new OprfService(domains, w.audit), logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await lrs.close();
    await w.db.close();
    rmSync(out, { recursive: true, force: true });
  });

  it("keeps the consenting learners the providers named by their OPRF pseudonyms, linked across providers", async () => {
    const oprf = await OprfPseudonymizer.connect(new HttpOprfTransport(endpoint, credential), "dropout-2026");
    const pseudonymOf = async (email: string) => {
      const id = normalizeIdentifier("email", email);
      return pseudonymText((await oprf.derive([id], "pseudonym")).get(identifierText(id)) as Buffer);
    };
    const ada = await pseudonymOf("ada@example.org");
    const bob = await pseudonymOf("bob@example.org");
    const cy = await pseudonymOf("cy@example.org");
    // Ada and Cy give consent; Bob refuses.
    for (const learner of [ada, bob, cy]) {
      await w.request(learner);
      const link = await w.link({ sub: learner });
      if (learner === bob) await w.consent.refuse(link);
      else await w.consent.give(link);
    }
    const dir = join(out, "v1");
    const spec = parseBuildSpec(
      `name: oprf-build
agreement: ${w.agreementId}
providers: [univ, mooc]
span: {from: 2027-01-01, to: 2027-03-01}
deidentification: {profile: profile.yaml}
views: {learner_periods: {period: day}}
risk: {min_k: 2, max_average_risk: 0.5}
output: ${dir}
`,
      { baseDir: FIXTURES },
    );
    const services = await buildServicesFromDatabase(w.db, spec, {
      oprf: { endpoint, credential },
      localKey: randomBytes(32),
      now: () => w.clock.now,
    });
    const result = await buildDataset(
      {
        ...services,
        enforcement: new PolicyEnforcement(w.db, w.audit, w.agreements, w.agreements.participants, {
          clock: () => w.clock.now,
        }),
      },
      spec,
      { actor: "lab", at: w.clock.now },
    );
    // Ada's two spellings at two providers are one learner; Bob is nowhere.
    expect(result.members).toEqual([ada, cy].sort());
    expect(result.statements.map((s) => [s.provider, s.kept])).toEqual([
      ["univ", 1],
      ["mooc", 2],
    ]);
    const lineage = JSON.parse(readFileSync(join(dir, "lineage.json"), "utf8"));
    expect(lineage.profiles.pseudonymization.domain).toBe(DOMAIN);
    // The OPRF pseudonyms are not the keyed ones: the build did not open the domain key.
    const keyed = await HmacPseudonymizer.forDomain(
      new DomainKeys(w.db, w.audit, { master: MASTER_KEY }),
      "dropout-2026",
    );
    const id = normalizeIdentifier("email", "ada@example.org");
    const keyedAda = pseudonymText((await keyed.derive([id], "pseudonym")).get(identifierText(id)) as Buffer);
    expect(keyedAda).not.toBe(ada);
    expect(readFileSync(join(dir, "DATASHEET.md"), "utf8")).not.toContain("ada@example.org");
  });
});
