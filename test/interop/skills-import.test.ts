import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  frameworkFromEscoCsv,
  frameworkFromFile,
  frameworkLanguages,
  frameworkToFile,
  importFrameworkFiles,
  languageOfFileName,
  skosFromTriples,
  triplesFromJsonLd,
} from "../../src/interop/skills/index.js";
import { ACME, ESCO, FIXTURES, TEAM } from "./skills-fixtures.js";

const SKOS = "http://www.w3.org/2004/02/skos/core#";

const escoImport = await importFrameworkFiles([join(FIXTURES, "esco")]);
const turtleImport = await importFrameworkFiles([join(FIXTURES, "esco-skills.ttl")]);

describe("ESCO CSV export", () => {
  const { frameworks, warnings } = escoImport;
  const esco = frameworks[0]!;

  it("merges the language files by conceptUri and keeps every language", () => {
    expect(esco.id).toBe("http://data.europa.eu/esco/concept-scheme/skills");
    expect(esco.concepts.size).toBe(9); // 8 skills and their skill group
    const team = esco.concepts.get(TEAM)!;
    expect(team.prefLabel).toEqual({ en: "manage a team", fr: "gérer une équipe" });
    expect(frameworkLanguages(esco)).toEqual(["en", "fr"]);
  });

  it("splits altLabels and hiddenLabels on newlines, and reads the definition", () => {
    const team = esco.concepts.get(TEAM)!;
    expect(team.altLabels.en).toEqual(["team management", "lead a team", "supervise a team"]);
    expect(team.altLabels.fr).toEqual(["encadrer une équipe", "diriger une équipe", "gestion d'équipe"]);
    expect(team.hiddenLabels.en).toEqual(["manag a team"]);
    expect(team.definition.en).toMatch(/^Manage a team: plan, direct/);
    // An empty definition column falls back to the description.
    expect(esco.concepts.get(`${ESCO}2b0d9e6c-3f51-4a8c-a4de-07c1b2e3f922`)!.definition.fr).toBe(
      "Planifier, suivre et rendre compte du budget.",
    );
  });

  it("builds the hierarchy from the broader relations file, both ways, and reports unknown parents", () => {
    const group = esco.concepts.get(`${ESCO}S4.8`)!;
    expect(group.prefLabel).toEqual({ en: "leading and motivating", fr: "diriger et motiver" });
    expect(group.notation).toBe("S4.8");
    expect(esco.concepts.get(TEAM)!.broader).toEqual([`${ESCO}S4.8`]);
    expect(group.narrower).toEqual([TEAM]);
    expect(warnings).toContain("1 broader link(s) point at concepts not in these files (kept as IRIs)");
  });

  it("reads only the skills pillar's tables of a folder, and says which it left", () => {
    expect(
      esco.concepts.has("http://data.europa.eu/esco/occupation/a1b2c3d4-0000-4000-8000-000000000001"),
    ).toBe(false);
    expect(warnings[0]).toMatch(/not part of the skills pillar, not read: occupations_en\.csv/);
  });

  it("reads the language from the file name, or refuses to guess", () => {
    expect(languageOfFileName("skills_fr.csv")).toBe("fr");
    expect(languageOfFileName("/x/skills_pt-BR.csv")).toBe("pt-BR");
    expect(languageOfFileName("skills.csv")).toBeUndefined();
    expect(() =>
      frameworkFromEscoCsv([
        { name: "skills.csv", text: "conceptUri,preferredLabel,inScheme\nhttp://x/1,a,http://x/s\n" },
      ]),
    ).toThrow(/cannot tell its language/);
    const { framework } = frameworkFromEscoCsv([
      {
        name: "skills.csv",
        language: "es",
        text: "conceptUri,preferredLabel,inScheme\nhttp://x/1,gestionar un equipo,http://x/s\n",
      },
    ]);
    expect(framework.id).toBe("http://x/s");
    expect(framework.concepts.get("http://x/1")!.prefLabel).toEqual({ es: "gestionar un equipo" });
  });
});

describe("SKOS in Turtle", () => {
  const imported = turtleImport;
  const skills = imported.frameworks.find(
    (f) => f.id === "http://data.europa.eu/esco/concept-scheme/skills",
  )!;

  it("takes ESCO's own concept classes, SKOS-XL labels and description nodes", () => {
    const team = skills.concepts.get(TEAM)!;
    expect(team.prefLabel).toEqual({ en: "manage a team", fr: "gérer une équipe", de: "ein Team leiten" });
    expect(team.altLabels.de).toEqual(["Teamführung"]);
    expect(team.hiddenLabels.en).toEqual(["manag a team"]);
    expect(team.definition).toEqual({
      en: "Direct and supervise the work of a team of people.",
      fr: "Diriger et superviser le travail d'une équipe.",
    });
    expect(skills.title).toEqual({ en: "ESCO skills", fr: "Compétences ESCO" });
  });

  it("puts a concept in every scheme it names, and marks top concepts", () => {
    const member = imported.frameworks.find((f) => f.id.endsWith("/member-skills"))!;
    expect([...member.concepts.keys()]).toEqual([TEAM]);
    expect(skills.concepts.get(`${ESCO}S4.8`)!.top).toBe(true);
    expect(skills.concepts.get(TEAM)!.broader).toEqual([`${ESCO}S4.8`]);
  });

  it("imports mapping relations between schemes as accepted alignments", async () => {
    const rome = await importFrameworkFiles([join(FIXTURES, "rome-like.ttl")]);
    expect(rome.frameworks).toHaveLength(1);
    expect(rome.frameworks[0]!.concepts.size).toBe(4);
    expect(rome.alignments).toEqual([
      {
        source: "https://rome.example.fr/competence/100745",
        target: `${ESCO}9e4a7b1c-2d3f-4e5a-8b6c-7d8e9f0a1b66`,
        relation: "broadMatch",
        status: "accepted",
        origin: "imported",
        sourceScheme: "https://rome.example.fr/referentiel",
      },
      {
        source: "https://rome.example.fr/competence/300210",
        target: TEAM,
        relation: "exactMatch",
        status: "accepted",
        origin: "imported",
        sourceScheme: "https://rome.example.fr/referentiel",
      },
    ]);
  });
});

describe("language selection", () => {
  it("keeps only the languages asked for, from Turtle as it streams and from ESCO CSV", async () => {
    const ttl = await importFrameworkFiles([join(FIXTURES, "esco-skills.ttl")], { languages: ["fr"] });
    const team = ttl.frameworks.find((f) => f.id.endsWith("/skills"))!.concepts.get(TEAM)!;
    expect(team.prefLabel).toEqual({ fr: "gérer une équipe" });
    expect(Object.keys(team.altLabels)).toEqual(["fr"]);
    // The ESCO description node has its language apart from its literal: kept, then filtered by it.
    expect(team.definition).toEqual({ fr: "Diriger et superviser le travail d'une équipe." });
    const csv = await importFrameworkFiles([join(FIXTURES, "esco")], { languages: ["en-GB"] });
    expect(frameworkLanguages(csv.frameworks[0]!)).toEqual([]);
    const en = await importFrameworkFiles([join(FIXTURES, "esco")], { languages: ["en"] });
    expect(frameworkLanguages(en.frameworks[0]!)).toEqual(["en"]);
  });

  it("reports a Turtle syntax error with the file's name", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const bad = join(mkdtempSync(join(tmpdir(), "skills-ttl-")), "bad.ttl");
    writeFileSync(
      bad,
      '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<a> skos:prefLabel "x"@en ;; .\n<b> <c',
    );
    await expect(importFrameworkFiles([bad])).rejects.toThrow(/bad\.ttl: /);
  });
});

describe("SKOS in JSON-LD", () => {
  it("reads the compact form: prefixes, language containers, typed terms, @graph", async () => {
    const { frameworks, alignments, warnings } = await importFrameworkFiles([
      join(FIXTURES, "provider-framework.jsonld"),
    ]);
    expect(warnings).toEqual([]);
    expect(frameworks).toHaveLength(1);
    const acme = frameworks[0]!;
    expect(acme.id).toBe(ACME);
    expect(acme.title).toEqual({
      fr: "Référentiel de compétences Acme Formation",
      en: "Acme Formation skills framework",
    });
    expect(acme.concepts.size).toBe(7);
    const team = acme.concepts.get(`${ACME}MGT-01`)!;
    expect(team).toMatchObject({
      prefLabel: { fr: "Gérer une équipe" },
      altLabels: { fr: ["Animer une équipe"] },
      notation: "MGT-01",
      broader: [`${ACME}MGT`],
    });
    expect(acme.concepts.get(`${ACME}MGT`)).toMatchObject({
      top: true,
      narrower: [`${ACME}MGT-01`, `${ACME}MGT-02`],
    });
    expect(alignments).toEqual([
      expect.objectContaining({
        source: `${ACME}NUM-02`,
        target: `${ESCO}e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a88`,
        relation: "exactMatch",
        status: "accepted",
      }),
    ]);
  });

  it("reads the expanded form to the same concepts", async () => {
    const { frameworks } = await importFrameworkFiles([join(FIXTURES, "provider-expanded.jsonld")]);
    const team = frameworks[0]!.concepts.get(`${ACME}MGT-01`)!;
    expect(team.prefLabel).toEqual({ fr: "Gérer une équipe", en: "Manage a team" });
    expect(team.altLabels).toEqual({ fr: ["Animer une équipe"] });
    expect(team.notation).toBe("MGT-01");
    expect(frameworks[0]!.concepts.get(`${ACME}MGT`)!.narrower).toEqual([`${ACME}MGT-01`]);
  });

  it("reports an unknown remote context and still reads prefixed names and bare SKOS terms", () => {
    const document = {
      "@context": "https://example.org/contexts/skills.jsonld",
      "@graph": [
        { id: "https://ex.org/s", type: "ConceptScheme" },
        {
          id: "https://ex.org/c1",
          type: "Concept",
          inScheme: "https://ex.org/s",
          prefLabel: { en: "manage a team", fr: "gérer une équipe" },
          "skos:altLabel": [{ "@value": "lead a team", "@language": "en" }],
        },
      ],
    };
    const { triples, warnings } = triplesFromJsonLd(document);
    expect(warnings[0]).toMatch(
      /remote context https:\/\/example\.org\/contexts\/skills\.jsonld is not fetched/,
    );
    expect(warnings[1]).toMatch(/bare property names were read as SKOS terms/);
    const { frameworks } = skosFromTriples(triples);
    expect(frameworks.map((f) => f.id)).toEqual(["https://ex.org/s"]);
    expect(frameworks[0]!.concepts.get("https://ex.org/c1")).toMatchObject({
      prefLabel: { en: "manage a team", fr: "gérer une équipe" },
      altLabels: { en: ["lead a team"] },
    });
  });

  it("knows the xAPI Profiles context without fetching it, and honours @vocab, @language and nested nodes", () => {
    const profile = triplesFromJsonLd({
      "@context": "https://w3id.org/xapi/profiles/context",
      id: "https://ex.org/c",
      type: "Concept",
      prefLabel: { en: "speak French" },
      inScheme: "https://ex.org/s",
    });
    expect(profile.warnings).toEqual([]);
    expect(profile.triples).toContainEqual({
      subject: "https://ex.org/c",
      predicate: `${SKOS}prefLabel`,
      object: { kind: "literal", value: "speak French", language: "en" },
    });
    const vocab = triplesFromJsonLd({
      "@context": { "@vocab": SKOS, "@language": "fr", "@base": "https://ex.org/" },
      "@id": "c2",
      "@type": "Concept",
      prefLabel: "parler français",
      broader: { "@id": "c1", prefLabel: "langues" },
    });
    const { frameworks } = skosFromTriples(vocab.triples, { defaultScheme: "https://ex.org/s" });
    const concepts = frameworks[0]!.concepts;
    expect(concepts.get("https://ex.org/c2")!.prefLabel).toEqual({ fr: "parler français" });
    expect(concepts.get("https://ex.org/c2")!.broader).toEqual(["https://ex.org/c1"]);
    expect(concepts.get("https://ex.org/c1")!.prefLabel).toEqual({ fr: "langues" });
  });

  it("keeps a second prefLabel of one language as an altLabel, with a warning", () => {
    const { triples } = triplesFromJsonLd({
      "@id": "https://ex.org/c",
      "skos:inScheme": { "@id": "https://ex.org/s" },
      "skos:prefLabel": [
        { "@value": "gérer une équipe", "@language": "fr" },
        { "@value": "manager une équipe", "@language": "fr" },
      ],
    });
    const { frameworks, warnings } = skosFromTriples(triples);
    expect(frameworks[0]!.concepts.get("https://ex.org/c")!.altLabels).toEqual({
      fr: ["manager une équipe"],
    });
    expect(warnings[0]).toMatch(/two prefLabels in "fr"/);
  });
});

describe("SKOS interpretation", () => {
  it("takes untyped labelled subjects as concepts, but not collections", () => {
    const { triples } = triplesFromJsonLd({
      "@context": ["https://w3id.org/xapi/profiles/context", { ex: "https://ex.org/" }],
      "@graph": [
        { id: "ex:c1", prefLabel: { fr: "parler français" } },
        { id: "ex:langues", type: "skos:Collection", prefLabel: { fr: "langues" }, "skos:member": "ex:c1" },
      ],
    });
    const { frameworks } = skosFromTriples(triples, { defaultScheme: "https://ex.org/s" });
    expect([...frameworks[0]!.concepts.keys()]).toEqual(["https://ex.org/c1"]);
  });

  it("without a default, concepts of a file with several schemes that name none are reported, not guessed", () => {
    const { triples } = triplesFromJsonLd({
      "@graph": [
        { "@id": "https://ex.org/s1", "@type": "skos:ConceptScheme" },
        { "@id": "https://ex.org/s2", "@type": "skos:ConceptScheme" },
        { "@id": "https://ex.org/c", "skos:prefLabel": "x" },
      ],
    });
    const { frameworks, warnings } = skosFromTriples(triples);
    expect(frameworks.every((f) => f.concepts.size === 0)).toBe(true);
    expect(warnings).toEqual([
      "1 concept(s) name no scheme and the file declares 2 schemes: give a default scheme to keep them",
    ]);
  });
});

describe("framework file", () => {
  it("round-trips through its JSON form", async () => {
    const { frameworks } = await importFrameworkFiles([join(FIXTURES, "esco")]);
    const file = JSON.parse(JSON.stringify(frameworkToFile(frameworks[0]!)));
    expect(file.format).toBe("learnpool-skills-framework/1");
    expect(file.languages).toEqual(["en", "fr"]);
    const back = frameworkFromFile(file);
    expect(back.id).toBe(frameworks[0]!.id);
    expect(back.concepts.get(TEAM)).toEqual(frameworks[0]!.concepts.get(TEAM));
    expect(() => frameworkFromFile({ id: "x" })).toThrow(/not a framework file/);
  });
});
