/**
 * The provider-side steps of a build (pool/build/select.ts) on raw statements: identifiers in clear at
 * two providers (mbox and provider accounts), pseudonyms computed in the agreement's linkage domain as
 * the providers compute them for consent, consent on those pseudonyms, de-identification under the
 * spec's profile with its leak check, skill translation, learner attributes, consent coverage and the
 * receipts relied on. SQLite and PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PolicyEnforcement } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import {
  BuildDenied,
  buildDataset,
  buildServicesFromDatabase,
  describeSelection,
  LeakFound,
  NOT_PSEUDONYMIZED,
  type ProgressEvent,
  RiskRefused,
  selectStatements,
  writeLearnerAttributes,
} from "../../src/pool/build/index.js";
import { loadBuildProfile } from "../../src/pool/build/select.js";
import { type BuildSpec, parseBuildSpec } from "../../src/pool/prepare/index.js";
import { loadStatements } from "../../src/pool/views/index.js";
import {
  DomainKeys,
  HmacPseudonymizer,
  identifierText,
  normalizeIdentifier,
  pseudonymText,
} from "../../src/privacy/index.js";
import type { Database } from "../../src/store/index.js";
import { MASTER_KEY, type World, world } from "../consent/setup.js";
import { backends } from "../helpers/databases.js";
import { storeAt } from "./fixtures/stores.js";

const FIXTURES = new URL("./fixtures/build/", import.meta.url).pathname;
const VERB = "http://adlnet.gov/expapi/verbs/experienced";
const DOMAIN = "https://learnpool.example/domains/dropout-2026";
const AGE = "https://example.org/xapi/extensions/age-band";
const REGION = "https://example.org/xapi/extensions/region";
const COMPETENCY = "https://w3id.org/xapi/tla/activity-types/competency";
const PYTHON = "https://acme.example/skills/python";
const SQL = "https://acme.example/skills/sql";
const ESCO = "http://data.europa.eu/esco/concept-scheme/skills";
const ESCO_PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d";
const DAY = 86_400_000;
const START = Date.parse("2027-01-04T09:00:00Z");

/** The raw identifiers of the learners, as the providers' systems hold them. */
const RAW = {
  adaUniv: { objectType: "Agent", name: "Ada Lovelace", mbox: "mailto:Ada.Lovelace@Example.org" },
  adaMooc: { objectType: "Agent", mbox: "mailto:ada.lovelace@example.org" },
  bob: { objectType: "Agent", name: "Bob Refuser", mbox: "mailto:bob.refuser@example.org" },
  sam: { objectType: "Agent", account: { homePage: "https://univ.example/sso", name: "s-20931-sam" } },
  tom: { objectType: "Agent", account: { homePage: "https://mooc.example/users", name: "u-4471-tom" } },
  carl: { objectType: "Agent", name: "Carl Nobody", mbox: "mailto:carl.nobody@example.org" },
};
/** Strings that must never be in a version's files: what identifies the learners in clear. */
const CLEAR = [
  "Lovelace",
  "lovelace@example",
  "Bob Refuser",
  "bob.refuser",
  "s-20931-sam",
  "u-4471-tom",
  "carl.nobody",
  "Carl Nobody",
];

type Learners = Record<"ada" | "bob" | "sam" | "tom" | "carl" | "dora", string>;

function statement(actor: unknown, day: number, extra: Record<string, unknown> = {}) {
  return {
    id: randomUUID(),
    actor,
    verb: { id: VERB },
    object: { id: `https://example.org/activity/${day % 3}` },
    timestamp: new Date(START + day * DAY + (day % 5) * 60_000).toISOString(),
    ...extra,
  };
}

const context = (extensions: Record<string, unknown>, skills: string[] = []) => ({
  context: {
    extensions,
    ...(skills.length > 0 && {
      contextActivities: {
        other: skills.map((id) => ({ id, definition: { type: COMPETENCY, name: { en: "a skill" } } })),
      },
    }),
  },
});

const specText = (agreement: string, output: string, extra = "") => `
name: select-test
agreement: ${agreement}
providers: [univ, mooc]
span: {from: 2027-01-01, to: 2027-03-01}
views:
  learner_periods: {period: day}
seed: 3
output: ${output}
${extra}`;

const FULL = `deidentification: {profile: profile.yaml}
skills: {alignments: acme-esco.json, framework: "${ESCO}"}
attributes:
  age_band: {extension: "${AGE}", hierarchy: age_band.csv}
  region: {extension: "${REGION}", hierarchy: region.csv}
# Three learners, each alone in a class: only the hierarchies' tops give k = 3.
risk: {min_k: 2, max_average_risk: 0.5, action: generalize, max_suppressed_fraction: 0}
`;

/** Every file of a folder, as bytes read as text, plus every Parquet row as JSON. */
async function everyByte(dir: string): Promise<string> {
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  const parts: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) await walk(path);
      else {
        parts.push(readFileSync(path).toString("latin1"));
        if (name.endsWith(".parquet"))
          parts.push(JSON.stringify((await c.runAndReadAll(`SELECT * FROM '${path}'`)).getRowObjectsJson()));
      }
    }
  };
  await walk(dir);
  c.closeSync();
  instance.closeSync();
  return parts.join("\n");
}

for (const backend of await backends()) {
  describe(`dataset build, provider-side steps (${backend.name})`, () => {
    let db: Database;
    let w: World;
    let lrs: Lrs;
    let out: string;
    let L: Learners;
    let pseudonymizer: HmacPseudonymizer;

    /** The pseudonym a provider computes for consent (as `learnpool pseudonymize` does). */
    const pseudonymOf = async (kind: string, raw: string, namespace?: string) => {
      const id = normalizeIdentifier(kind, raw, namespace ? { namespace } : {});
      return pseudonymText((await pseudonymizer.derive([id], "pseudonym")).get(identifierText(id)) as Buffer);
    };

    const store = (id: string, body: unknown[]) => storeAt(lrs, id, body);

    beforeEach(async () => {
      out = mkdtempSync(join(tmpdir(), "learnpool-select-test-"));
      db = await backend.open();
      w = await world(db);
      lrs = new Lrs(db, { authorityHomePage: "https://lrs.example.org" });
      const domains = new DomainKeys(db, w.audit, { master: MASTER_KEY });
      await domains.create("dropout-2026", { actor: "test" });
      pseudonymizer = await HmacPseudonymizer.forDomain(domains, "dropout-2026");
      L = {
        ada: await pseudonymOf("email", "ada.lovelace@example.org"),
        bob: await pseudonymOf("email", "bob.refuser@example.org"),
        sam: await pseudonymOf("account", "s-20931-sam", "https://univ.example/sso"),
        tom: await pseudonymOf("account", "u-4471-tom", "https://mooc.example/users"),
        carl: await pseudonymOf("email", "carl.nobody@example.org"),
        dora: await pseudonymOf("email", "dora@example.org"),
      };
      await store("univ", [
        statement(RAW.adaUniv, 0, context({ [AGE]: "18-24", [REGION]: "FR-ARA" }, [PYTHON])),
        statement(RAW.adaUniv, 1, { result: { response: "Merci, Ada Lovelace (ada.lovelace@example.org)" } }),
        statement(RAW.adaUniv, 2, { context: { instructor: { mbox: "mailto:prof.x@univ.example" } } }),
        statement(RAW.bob, 0),
        statement(RAW.bob, 3),
        statement(RAW.sam, 1),
        statement(RAW.sam, 4),
        // An anonymous group stands for no one learner: rejected, and counted.
        statement({ objectType: "Group", member: [RAW.bob, RAW.carl] }, 2),
        // Outside the span: not selected (and not a rejection).
        statement(RAW.adaUniv, 70),
      ]);
      await store("mooc", [
        statement(RAW.adaMooc, 3, context({ [AGE]: "25-34" }, [PYTHON, SQL])),
        statement(RAW.adaMooc, 5),
        statement(RAW.tom, 0, context({ [REGION]: "FR-IDF" })),
        statement(RAW.tom, 2),
        statement(RAW.carl, 1),
        // Already pseudonymized by the provider in the linkage domain: taken as it is.
        statement({ objectType: "Agent", account: { homePage: DOMAIN, name: L.dora } }, 4),
      ]);
      // Consent on the pseudonyms: ada, tom, dora give; bob refuses; sam gives then withdraws; carl is
      // never asked.
      for (const learner of [L.ada, L.tom, L.dora, L.bob, L.sam]) {
        await w.request(learner);
        const link = await w.link({ sub: learner });
        if (learner === L.bob) await w.consent.refuse(link);
        else await w.consent.give(link);
      }
      w.clock.now = new Date(w.clock.now.getTime() + 3_600_000);
      await w.consent.withdraw(
        { learner: L.sam, agreement: w.agreementId },
        { link: await w.link({ sub: L.sam }) },
      );
    });
    afterEach(async () => {
      await lrs.close();
      await db.close();
      rmSync(out, { recursive: true, force: true });
    });

    /** The registries and the linkage domain's keyed pseudonymizer; the roster names Ada. */
    const services = async (spec: BuildSpec, roster = [{ given: "Ada", family: "Lovelace" }]) => {
      const made = await buildServicesFromDatabase(db, spec, {
        masterKey: MASTER_KEY,
        now: () => w.clock.now,
      });
      return {
        ...made,
        roster,
        enforcement: new PolicyEnforcement(db, w.audit, w.agreements, w.agreements.participants, {
          clock: () => w.clock.now,
        }),
      };
    };
    const spec = (dir: string, extra = FULL, agreement = w.agreementId) =>
      parseBuildSpec(specText(agreement, dir, extra), { baseDir: FIXTURES });

    it("links a learner of two providers into one pseudonym, the registry's; leaves out who refused, withdrew or was never asked", async () => {
      const dir = join(out, "v1");
      const s = spec(dir);
      const events: ProgressEvent[] = [];
      const result = await buildDataset(await services(s), s, {
        actor: "lab",
        at: w.clock.now,
        onProgress: (e) => events.push(e),
      });

      // One linked learner for Ada's two e-mail spellings, with the pseudonym the registry holds.
      expect(result.members).toEqual([L.ada, L.tom, L.dora].sort());
      const [record] = await w.consent.records(L.ada, w.agreementId);
      expect(record?.status.state).toBe("given");
      const instance = await DuckDBInstance.create(":memory:");
      const c = await instance.connect();
      const shards = result.files.filter((f) => f.format === "parquet").map((f) => `'${join(dir, f.path)}'`);
      const rows = (
        await c.runAndReadAll(
          `SELECT learner, sum(univ__statements) AS u, sum(mooc__statements) AS m FROM read_parquet([${shards.join(", ")}]) GROUP BY learner ORDER BY learner`,
        )
      ).getRowObjectsJS();
      // The risk check generalized both attributes to their tops (three learners, each alone before),
      // and learner_periods carries them as generalized.
      expect(result.risk).toMatchObject({
        applied: "generalize",
        levels: { age_band: 2, region: 2 },
        before: { k: 1 },
        after: { k: 3 },
      });
      const attributes = (
        await c.runAndReadAll(`SELECT DISTINCT age_band, region FROM read_parquet([${shards.join(", ")}])`)
      ).getRowObjectsJS();
      expect(attributes).toEqual([{ age_band: "*", region: "*" }]);
      c.closeSync();
      instance.closeSync();
      expect(rows.map((r) => r.learner)).toEqual([L.ada, L.tom, L.dora].sort());
      const ada = rows.find((r) => r.learner === L.ada);
      expect([Number(ada?.u), Number(ada?.m)]).toEqual([3, 2]);

      // Nothing of the learners left out, nor any identifier in clear, in any byte of any file.
      const bytes = await everyByte(dir);
      for (const gone of [L.bob, L.sam, L.carl]) expect(bytes).not.toContain(gone);
      for (const clear of CLEAR) expect(bytes).not.toContain(clear);
      expect(bytes).toContain(L.ada);

      // Coverage, exactly: Ada at both; Bob refused and Sam withdrew at univ; Carl never asked at mooc.
      const none = { refused: 0, withdrew: 0, neverAsked: 0, other: 0 };
      expect(result.consent).toEqual([
        { provider: "univ", asked: 3, consented: 1, notConsenting: 2, ...none, refused: 1, withdrew: 1 },
        { provider: "mooc", asked: 4, consented: 3, notConsenting: 1, ...none, neverAsked: 1 },
      ]);
      expect(result.statements).toEqual([
        { provider: "univ", inSpan: 8, pseudonymized: 0, deidentified: 3, kept: 3 },
        { provider: "mooc", inSpan: 6, pseudonymized: 1, deidentified: 4, kept: 5 },
      ]);
      expect(result.rejected).toEqual([
        { provider: "univ", reason: "actor: an anonymous group stands for no one learner", statements: 1 },
      ]);
      expect(result.leakCheck).toMatchObject({ found: 0 });
      expect(result.leakCheck?.searched).toBeGreaterThanOrEqual(4);

      // The receipts relied on: the latest event (the giving) of each member's record, as the registry has it.
      const receipts: string[] = [];
      for (const learner of result.members) {
        const [r] = await w.consent.records(learner, w.agreementId);
        const events = await w.consent.events(r?.record.id as string);
        receipts.push(events[events.length - 1]?.receiptHash as string);
      }
      expect(result.consentReceipts).toEqual(receipts.sort());
      // …and in the version's lineage; the datasheet names the profile and counts real withdrawals.
      const lineage = JSON.parse(readFileSync(join(dir, "lineage.json"), "utf8"));
      expect(lineage.consentReceipts).toEqual(receipts);
      expect(lineage.profiles).toMatchObject({
        deidentification: { name: "pool-research", version: "1.0.0" },
        pseudonymization: { domain: DOMAIN },
      });
      const datasheet = readFileSync(join(dir, "DATASHEET.md"), "utf8");
      expect(datasheet).toContain("pool-research");
      expect(datasheet).not.toContain("unverified");
      expect(datasheet).not.toContain("Statements are taken as already de-identified");
      expect(datasheet).toContain("unchecked by the build: 1 statement.");

      expect(events.map((e) => e.stage)).toEqual(
        expect.arrayContaining([
          "decision",
          "select univ",
          "kept univ",
          "select mooc",
          "kept mooc",
          "leak check",
        ]),
      );
      expect(events.find((e) => e.stage === "kept mooc")).toEqual({ stage: "kept mooc", done: 5, total: 6 });
    });

    it("stops on a leak, naming kinds and places but no value, and writes nothing", async () => {
      const dir = join(out, "leaky");
      const s = spec(dir, "deidentification: {profile: profile-unscrubbed.yaml}\n");
      const error = await buildDataset(await services(s), s, { actor: "lab", at: w.clock.now }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LeakFound);
      const leak = (error as LeakFound).leakCheck;
      // Ada's address (as her mbox and as an e-mail in text, both spellings) and her name, in the response.
      expect(Object.keys(leak.foundByKind).sort()).toEqual(["email", "mbox", "name", "roster-name"]);
      expect(leak.leaks.every((l) => l.path === "$.result.response")).toBe(true);
      expect((error as Error).message).not.toMatch(/lovelace|Ada/i);
      expect(existsSync(dir)).toBe(false);

      // A scrubbing profile without the roster: the e-mail goes, the learner's name in the text stays
      // (the actor's name is known to the check): still a leak.
      const named = spec(join(out, "no-roster"));
      const again = await buildDataset(await services(named, []), named, {
        actor: "lab",
        at: w.clock.now,
      }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(LeakFound);
      expect((again as LeakFound).leakCheck.foundByKind).toEqual({ name: 1 });
      expect(existsSync(join(out, "no-roster"))).toBe(false);

      // Found across pages too (the check knows which written lines were de-identified).
      const work = mkdtempSync(join(tmpdir(), "learnpool-select-work-"));
      try {
        const paged = selectStatements(await services(s), s, {
          agreement: { id: w.agreementId, linkageDomain: "dropout-2026" },
          at: w.clock.now,
          purpose: "dpv:AcademicResearch",
          recipient: "lab",
          work,
          pageSize: 2,
        });
        await expect(paged).rejects.toBeInstanceOf(LeakFound);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it("refuses a profile other than the one the agreement names, before reading", async () => {
      const other = await w.agree({ deidentificationProfile: "fun-mooc-video-research@1.0.0" });
      const dir = join(out, "mismatch");
      const s = spec(dir, FULL, other);
      const error = await buildDataset(await services(s), s, { actor: "lab", at: w.clock.now }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BuildDenied);
      expect((error as BuildDenied).reason).toBe(
        `the spec's de-identification profile is pool-research@1.0.0, but agreement ${other} names fun-mooc-video-research@1.0.0`,
      );
      expect(existsSync(dir)).toBe(false);
      // The agreement may name the profile by id alone, or by id@version.
      for (const named of ["pool-research", "pool-research@1.0.0"])
        expect(
          loadBuildProfile(
            s,
            { id: "a", linkageDomain: "dropout-2026", deidentificationProfile: named },
            DOMAIN,
          )?.id,
        ).toBe("pool-research");
      // A profile of another domain, or one that drops an attribute's extension, is refused by name.
      expect(() => loadBuildProfile(s, { id: "a" }, "https://learnpool.example/domains/other")).toThrow(
        /its domain is https:\/\/learnpool\.example\/domains\/dropout-2026, not the agreement's linkage domain/,
      );
      const dropped = spec(
        dir,
        `deidentification: {profile: profile-unscrubbed.yaml}\nattributes: {age_band: {extension: "${AGE}"}}\n`,
      );
      expect(() => loadBuildProfile(dropped, { id: "a" }, DOMAIN)).toThrow(
        `attributes.age_band: profile pool-unscrubbed drops the context extension ${AGE} (add it to extensions.context)`,
      );
    });

    it("without a profile takes only statements pseudonymized in the linkage domain, counting the others", async () => {
      const dir = join(out, "plain");
      const s = spec(dir, "");
      // One learner is left: alone in the version, the risk check refuses it and nothing is written.
      const refusal = await buildDataset(await services(s), s, { actor: "lab", at: w.clock.now }).catch(
        (e: unknown) => e,
      );
      expect(refusal).toBeInstanceOf(RiskRefused);
      expect((refusal as RiskRefused).message).toMatch(/k = 1 \(min_k 5\)/);
      expect(existsSync(dir)).toBe(false);
      const work = mkdtempSync(join(tmpdir(), "learnpool-select-work-"));
      const result = await selectStatements(await services(s), s, {
        agreement: { id: w.agreementId, linkageDomain: "dropout-2026" },
        at: w.clock.now,
        purpose: "dpv:AcademicResearch",
        recipient: "lab",
        work,
      }).finally(() => rmSync(work, { recursive: true, force: true }));
      expect(result.members).toEqual([L.dora]);
      expect(result.rejected).toEqual([
        { provider: "univ", reason: NOT_PSEUDONYMIZED, statements: 8 },
        { provider: "mooc", reason: NOT_PSEUDONYMIZED, statements: 5 },
      ]);
      expect(result.leakCheck).toBeNull();
    });

    it("translates skills before loading, and gives each member's last attribute values", async () => {
      const work = mkdtempSync(join(tmpdir(), "learnpool-select-work-"));
      try {
        const s = spec(join(out, "unused"), FULL);
        const selection = await selectStatements(await services(s), s, {
          agreement: { id: w.agreementId, linkageDomain: "dropout-2026" },
          at: w.clock.now,
          purpose: "dpv:AcademicResearch",
          recipient: "lab",
          work,
          pageSize: 2, // several pages per provider: files, line numbers and last values across them
        });
        // Python has an accepted exact match; SQL only a suggestion, so it stays as it was.
        expect(selection.skills).toEqual({ framework: ESCO, statements: 2, translated: 2, untranslated: 1 });
        const instance = await DuckDBInstance.create(":memory:");
        const c = await instance.connect();
        await loadStatements(c, selection.files);
        const skills = (
          await c.runAndReadAll(
            "SELECT provider, skills FROM statements WHERE len(skills) > 0 ORDER BY provider DESC, timestamp",
          )
        ).getRowObjectsJS();
        expect(skills).toEqual([
          { provider: "univ", skills: [ESCO_PYTHON] },
          { provider: "mooc", skills: [SQL, ESCO_PYTHON].sort() },
        ]);

        await writeLearnerAttributes(c, s, selection);
        const attributes = (
          await c.runAndReadAll("SELECT learner, age_band, region FROM learner_attributes ORDER BY learner")
        ).getRowObjectsJS();
        c.closeSync();
        instance.closeSync();
        // Ada's age band changed between her two providers: the later value stands.
        expect(attributes).toEqual(
          [
            { learner: L.ada, age_band: "25-34", region: "FR-ARA" },
            { learner: L.tom, age_band: null, region: "FR-IDF" },
            { learner: L.dora, age_band: null, region: null },
          ].sort((a, b) => (a.learner < b.learner ? -1 : 1)),
        );
        expect(s.attributes?.region?.hierarchy).toBe(join(FIXTURES, "region.csv"));

        // The description's fields: the profile and domain used, real refusals and withdrawals.
        const described = describeSelection(selection, pseudonymizer);
        expect(described.deidentification).toEqual({ name: "pool-research", version: "1.0.0" });
        expect(described.pseudonymization.domain).toBe(DOMAIN);
        expect(described.pseudonymization.method).toContain("HMAC-SHA256 under the domain key k1");
        expect(described.consent).toEqual([
          { provider: "univ", asked: 3, consented: 1, refused: 1, withdrew: 1 },
          { provider: "mooc", asked: 4, consented: 3, refused: 0, withdrew: 0 },
        ]);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it("reads each record's state at the build's instant, with the receipt of the event that set it", async () => {
      const states = (at: Date) =>
        w.consent.recordStates(w.agreementId, at, { purpose: "dpv:AcademicResearch", recipient: "lab" });
      const now = await states(w.clock.now);
      expect(now.map((s) => [s.learner, s.state])).toEqual(
        [
          [L.ada, "given"],
          [L.tom, "given"],
          [L.dora, "given"],
          [L.bob, "refused"],
          [L.sam, "withdrawn"],
        ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
      );
      // Before the withdrawal Sam's consent was given, and the receipt is the giving's.
      const before = await states(new Date(w.clock.now.getTime() - 1_800_000));
      const sam = before.find((s) => s.learner === L.sam);
      const events = await w.consent.events(sam?.record as string);
      expect(sam?.state).toBe("given");
      expect(sam?.receiptHash).toBe(events.find((e) => e.event === "give")?.receiptHash);
      // Before any event there is nothing to report; another purpose has no records.
      expect(await states(new Date("2027-01-01T00:00:00Z"))).toEqual([]);
      expect(await w.consent.recordStates(w.agreementId, w.clock.now, { purpose: "dpv:Marketing" })).toEqual(
        [],
      );
    });
  });
}
