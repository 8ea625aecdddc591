import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildNotice,
  CATEGORY_WORDS,
  canonicalNotice,
  type Notice,
  NoticeError,
  noticeHtml,
  noticeMarkdown,
  PURPOSE_WORDS,
  purposeWords,
  safeText,
  verifyNotice,
} from "../../src/consent/notices.js";
import { NoticeService } from "../../src/consent/notices-store.js";
import { DATA_CATEGORIES, DPV_PURPOSES } from "../../src/contract/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { type DataSpace, dataSpace } from "./notices-fixture.js";

describe("notice words", () => {
  it("has French and English words for every DPV purpose and every catalog category", () => {
    for (const iri of DPV_PURPOSES.keys()) {
      for (const l of ["fr", "en"] as const) {
        const words = purposeWords(iri, l);
        expect(words, `${iri} ${l}`).toBeDefined();
        expect(words!.label && words!.plain && words!.young).toBeTruthy();
      }
    }
    expect(Object.keys(CATEGORY_WORDS).sort()).toEqual(Object.keys(DATA_CATEGORIES).sort());
    expect(Object.keys(PURPOSE_WORDS).length).toBe(DPV_PURPOSES.size);
    expect(purposeWords("lp:BroadResearchInEducation", "fr")?.label).toMatch(/Recherche/);
    expect(purposeWords("https://w3id.org/dpv#NoSuchPurpose", "en")).toBeUndefined();
  });

  it("escapes text for both Markdown and HTML", () => {
    expect(safeText("<script>alert('x')</script> *bold* & [link](u)")).toBe(
      "&lt;script&gt;alert('x')&lt;/script&gt; \\*bold\\* &amp; \\[link\\](u)",
    );
    expect(safeText("- item\n# title")).toBe("\\- item \\# title");
  });
});

for (const backend of await backends()) {
  describe(`notices (${backend.name})`, () => {
    let db: Database;
    let space: DataSpace;
    let service: NoticeService;

    beforeEach(async () => {
      db = await backend.open();
      space = await dataSpace(db);
      service = new NoticeService(db, space.lrs.audit, space.registry, {
        settings: {
          contact: { name: "DPO Learnpool", email: "dpo@learnpool.example" },
          portalUrl: "https://portal.example/consent",
        },
      });
    });
    afterEach(async () => {
      await db.close();
    });

    it("generates the notice from the agreement, in French and English", async () => {
      const fr = await service.make(space.agreement.id, "fr");
      expect(fr).toMatchObject({
        type: "LearnpoolConsentNotice",
        language: "fr",
        audience: "learner",
        agreement: { id: space.agreement.id, digest: space.agreement.digest },
        controllers: [
          { participant: "univ", name: "Université de Lille" },
          { participant: "mooc", name: "FUN MOOC <Plateforme>" },
        ],
        recipients: [{ participant: "lab", name: "Laboratoire *IA* & Éducation" }],
        operator: { participant: "op" },
        retention: { until: "2030-06-30T00:00:00.000Z", basis: "deletion-duty" },
        storage: { regions: ["EU"], location: "l'Union européenne" },
        jurisdiction: "FR",
        ageOfConsent: 15,
        supervisoryAuthority: { name: "CNIL" },
        contact: { name: "DPO Learnpool", email: "dpo@learnpool.example" },
        withdrawal: { method: "portal", url: "https://portal.example/consent" },
        legalBasis: "https://w3id.org/dpv#Consent",
      });
      // Purposes in plain words, in the agreement's order; categories from the catalog entry of its offer.
      expect(fr.purposes.map((p) => p.label)).toEqual([
        "Entraînement d'un modèle d'IA",
        "Recherche académique",
        "Recherche en éducation au sens large",
      ]);
      expect(fr.dataCategories.map((c) => c.iri)).toEqual([
        "https://w3id.org/dpv/pd#EducationExperience",
        "https://w3id.org/dpv/pd#Behavioral",
        "https://w3id.org/dpv/pd#EducationQualification",
      ]);
      const keys = fr.sections.map((s) => s.key);
      expect(keys).toEqual([
        "controllers",
        "recipients",
        "purposes",
        "data",
        "protection",
        "retention",
        "storage",
        "legal-basis",
        "rights",
        "withdrawal",
        "contact",
      ]);
      const text = noticeMarkdown(fr);
      expect(text).toMatch(/CNIL/);
      expect(text).toMatch(/retirer votre consentement/i);
      expect(text).toMatch(/en un clic/);
      expect(text).toMatch(/30 juin 2030/);
      expect(text).toMatch(/accès/);
      expect(text).toMatch(/effacement/);
      // Participants' titles are escaped: neither HTML nor Markdown can be injected through them.
      expect(text).toContain("FUN MOOC &lt;Plateforme&gt;");
      expect(text).toContain("Laboratoire \\*IA\\* &amp; Éducation");
      expect(text).not.toContain("<Plateforme>");
      const html = noticeHtml(fr);
      expect(html).toContain("FUN MOOC &lt;Plateforme&gt;");
      expect(html).not.toMatch(/<Plateforme>/);

      const en = await service.make(space.agreement.id, "en");
      expect(en.purposes[0]!.label).toBe("Training an AI model");
      expect(noticeMarkdown(en)).toMatch(/Complain to the supervisory authority, CNIL/);
      expect(noticeMarkdown(en)).toMatch(/one click/);
      expect(en.id).not.toBe(fr.id);
    });

    it("has an id and a SHA-256 digest over its RFC 8785 form, the same for the same agreement and options", async () => {
      const a = await service.make(space.agreement.id, "en");
      const b = await service.make(space.agreement.id, "en");
      expect(a).toEqual(b);
      expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(a.id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const { createHash } = await import("node:crypto");
      expect(createHash("sha256").update(canonicalNotice(a)).digest("hex")).toBe(a.digest);
      expect(verifyNotice(a)).toBe(true);
      const altered: Notice = { ...a, purposes: a.purposes.slice(1) };
      expect(verifyNotice(altered)).toBe(false);
    });

    it("is stored once with its id and digest, and read back checked", async () => {
      const issued = await service.issue(space.agreement.id, "fr", "learner", "test");
      const again = await service.issue(space.agreement.id, "fr", "learner", "test");
      expect(again.id).toBe(issued.id);
      expect(await service.get(issued.id)).toEqual(issued);
      expect(await service.ofAgreement(space.agreement.id)).toEqual([
        { id: issued.id, digest: issued.digest, language: "fr", audience: "learner" },
      ]);
      const events = (await space.lrs.audit.list({ limit: 1000 })).filter(
        (e) => e.action === "consent.notice.stored",
      );
      expect(events).toHaveLength(1);
      await expect(db.run("UPDATE consent_notices SET audience = 'guardian'")).rejects.toThrow();
      await expect(db.run("DELETE FROM consent_notices")).rejects.toThrow();
      await expect(service.save({ ...issued, title: "changed" }, "test")).rejects.toThrow(NoticeError);
    });

    it("addresses the guardian of a minor and a young learner in plain words", async () => {
      const guardian = await service.make(space.agreement.id, "fr", "guardian");
      const g = noticeMarkdown(guardian);
      expect(g).toMatch(/votre enfant/);
      expect(g).toMatch(/moins de 15 ans/);
      expect(guardian.sections.map((s) => s.key)).toContain("guardian");
      const gEn = noticeMarkdown(await service.make(space.agreement.id, "en", "guardian"));
      expect(gEn).toMatch(/your child's learning records/);
      expect(gEn).toMatch(/under 15/);

      const young = await service.make(space.agreement.id, "fr", "young-learner");
      const y = noticeMarkdown(young);
      expect(y).toMatch(/\btu\b|\btes\b|\btoi\b/);
      expect(y).toMatch(/clique une fois/);
      expect(y).toMatch(/ton parent/);
      expect(young.purposes[0]!.description).toBe(purposeWords("dpv:TrainAIModel", "fr")!.young);
      const yEn = noticeMarkdown(await service.make(space.agreement.id, "en", "young-learner"));
      expect(yEn).toMatch(/click once/);
      // Plain words: short sentences.
      const sentences = young.sections.flatMap((s) => s.paragraphs).flatMap((p) => p.split(/[.!?] /));
      expect(Math.max(...sentences.map((s) => s.split(/\s+/).length))).toBeLessThan(30);
    });

    it("refuses what it cannot say: unknown purposes or categories, no purpose, unknown agreement", async () => {
      const other = await space.registry.propose({
        proposedBy: "lab",
        parties: space.agreement.parties.map(({ participant, role }) => ({ participant, role })),
        notAfter: "2031-01-01T00:00:00Z",
        policy: (await import("./notices-fixture.js")).policy(["https://example.org/purposes#Mystery"]),
      });
      await expect(
        service.make(other.id, "en", "learner", { dataCategories: ["pd:Behavioral"] }),
      ).rejects.toThrow(/has no words/);
      await expect(
        service.make(space.agreement.id, "en", "learner", { dataCategories: ["pd:Genome"] }),
      ).rejects.toThrow(/not one a notice can name/);
      // An agreement with no catalog offer has no categories: the notice is refused, not left silent.
      const bare = await space.registry.propose({
        proposedBy: "lab",
        parties: space.agreement.parties.map(({ participant, role }) => ({ participant, role })),
        notAfter: "2031-01-01T00:00:00Z",
        policy: (await import("./notices-fixture.js")).policy(["dpv:TrainAIModel"]),
      });
      await expect(service.make(bare.id, "en")).rejects.toThrow(/no data category/);
      await expect(service.make("urn:uuid:00000000-0000-4000-8000-000000000000", "en")).rejects.toMatchObject(
        {
          status: 404,
        },
      );
      expect(() =>
        buildNotice(space.agreement, new Map(), { language: "de" as "fr", dataCategories: [] }),
      ).toThrow(/fr or en/);
    });

    it("names special categories and asks explicit consent; other jurisdictions name their authority", async () => {
      const n = await service.make(space.agreement.id, "en", "learner", {
        dataCategories: ["pd:Disability", "pd:Behavioral"],
      });
      expect(n.specialCategories).toEqual(["https://w3id.org/dpv/pd#Disability"]);
      expect(n.legalBasis).toBe("https://w3id.org/dpv#ExplicitlyExpressedConsent");
      expect(noticeMarkdown(n)).toMatch(/article 9\(2\)\(a\)/);
      const be = buildNotice(space.agreement, new Map(), {
        language: "fr",
        dataCategories: ["Behavioral"],
        jurisdiction: "BE",
      });
      expect(be.supervisoryAuthority.name).toBe("Autorité de protection des données");
      expect(be.ageOfConsent).toBe(13);
    });
  });
}
