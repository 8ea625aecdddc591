import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AlignmentSet,
  type Concept,
  contentTokens,
  emptyAlignmentSet,
  type Framework,
  labelSimilarity,
  normalizeLabel,
  suggestAlignments,
  TargetIndex,
} from "../../src/interop/skills/index.js";
import { ACME, BUDGETS, CUSTOMERS, fixtureFramework, PYTHON, TEAM, VEHICLES } from "./skills-fixtures.js";

const esco = await fixtureFramework("esco");
const acme = await fixtureFramework("provider-framework.jsonld");
const rome = await fixtureFramework("rome-like.ttl");

function concept(
  iri: string,
  prefLabel: Record<string, string>,
  altLabels: Record<string, string[]> = {},
): Concept {
  return { iri, prefLabel, altLabels, hiddenLabels: {}, definition: {}, broader: [], narrower: [] };
}
function framework(id: string, concepts: Concept[]): Framework {
  return { id, title: {}, concepts: new Map(concepts.map((c) => [c.iri, c])) };
}

describe("label normalization", () => {
  it("ignores case, accents, ligatures, punctuation and function words", () => {
    expect(normalizeLabel("Gérer l'Équipe — Œuvre")).toBe("gerer l equipe oeuvre");
    expect(contentTokens(normalizeLabel("gérer une équipe"), "fr")).toEqual(["gerer", "equipe"]);
    expect(contentTokens(normalizeLabel("Manage a team"), "en-GB")).toEqual(["manage", "team"]);
    expect(contentTokens(normalizeLabel("diriger des équipes"), "fr")).toEqual(["diriger", "equipe"]);
  });

  it("scores identical meanings 1, near wordings high and unrelated skills low", () => {
    expect(labelSimilarity("Gérer une équipe", "gérer l'équipe", "fr")).toBe(1);
    expect(labelSimilarity("team management", "management of the team", "en")).toBe(1);
    expect(
      labelSimilarity("conduire un véhicule utilitaire", "conduire des véhicules", "fr"),
    ).toBeGreaterThan(0.7);
    expect(labelSimilarity("gérer une équipe", "souder à l'arc", "fr")).toBeLessThan(0.15);
    expect(labelSimilarity("gérer une équipe", "gérer un budget", "fr")).toBeLessThan(0.6);
  });
});

describe("suggestAlignments", () => {
  const suggestions = suggestAlignments(acme, esco);
  const best = (source: string) => suggestions.find((s) => s.source === `${ACME}${source}`);

  it("finds 'Gérer une équipe' as an exactMatch of ESCO's 'gérer une équipe' / 'manage a team'", () => {
    expect(best("MGT-01")).toMatchObject({
      target: TEAM,
      relation: "exactMatch",
      status: "suggested",
      origin: "label-similarity",
      score: 1,
      sourceScheme: acme.id,
      targetScheme: esco.id,
      evidence: {
        sourceLabel: "Gérer une équipe",
        sourceLanguage: "fr",
        targetLabel: "gérer une équipe",
        targetLanguage: "fr",
      },
    });
  });

  it("matches through synonyms (altLabels) and in any shared language", () => {
    // "Python programming" (en) is an altLabel of ESCO's "Python (computer programming)".
    expect(best("NUM-01")).toMatchObject({ target: PYTHON, relation: "exactMatch" });
    expect(best("NUM-01")!.score).toBeLessThan(1);
    expect(best("COM-03")).toMatchObject({ target: CUSTOMERS, relation: "exactMatch" });
  });

  it("suggests closeMatch for near-synonyms", () => {
    const budget = suggestions.filter((s) => s.source === `${ACME}MGT-02`);
    expect(budget.map((s) => s.relation)).toEqual(["closeMatch", "closeMatch"]);
    expect(budget.map((s) => s.target)).toContain(BUDGETS);
    const vehicle = suggestAlignments(rome, esco).find(
      (s) => s.source === "https://rome.example.fr/competence/100745",
    );
    expect(vehicle).toMatchObject({ target: VEHICLES, relation: "closeMatch" });
    expect(vehicle!.score).toBeGreaterThan(0.7);
    expect(vehicle!.score).toBeLessThan(0.9);
  });

  it("suggests nothing for a skill the target does not have", () => {
    expect(best("IND-07")).toBeUndefined();
    const all = suggestAlignments(acme, esco, { minScore: 0 }).filter((s) => s.source === `${ACME}IND-07`);
    for (const s of all) expect(s.score).toBeLessThan(0.35);
  });

  it("ranks, caps per concept, and honours the thresholds", () => {
    for (const source of new Set(suggestions.map((s) => s.source))) {
      const mine = suggestions.filter((s) => s.source === source);
      expect(mine.length).toBeLessThanOrEqual(3);
      const scores = mine.map((s) => s.score!);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    }
    for (const s of suggestions) {
      expect(s.score).toBeGreaterThanOrEqual(0.6);
      expect(s.relation).toBe(s.score! >= 0.9 ? "exactMatch" : "closeMatch");
    }
    const strict = suggestAlignments(acme, esco, { minScore: 0.95, perConcept: 1 });
    expect(strict.every((s) => s.score! >= 0.95)).toBe(true);
    expect(new Set(strict.map((s) => s.source)).size).toBe(strict.length);
  });

  it("does not suggest a rejected pair again, nor more for a concept already exactly aligned", () => {
    const existing: AlignmentSet = {
      ...emptyAlignmentSet(acme.id, esco.id),
      alignments: [
        {
          source: `${ACME}MGT-02`,
          target: BUDGETS,
          relation: "closeMatch",
          status: "rejected",
          origin: "label-similarity",
        },
        {
          source: `${ACME}MGT-01`,
          target: TEAM,
          relation: "exactMatch",
          status: "accepted",
          origin: "manual",
        },
      ],
    };
    const again = suggestAlignments(acme, esco, { existing });
    expect(again.some((s) => s.source === `${ACME}MGT-02` && s.target === BUDGETS)).toBe(false);
    expect(again.some((s) => s.source === `${ACME}MGT-02`)).toBe(true);
    expect(again.some((s) => s.source === `${ACME}MGT-01`)).toBe(false);
  });

  it("compares labels across languages only when the frameworks share none, at a discount", () => {
    const fr = framework("urn:fr", [concept("urn:fr:1", { fr: "Python" })]);
    const en = framework("urn:en", [
      concept("urn:en:1", { en: "Python" }),
      concept("urn:en:2", { en: "manage a team" }),
    ]);
    expect(suggestAlignments(fr, en)).toEqual([
      expect.objectContaining({ target: "urn:en:1", score: 0.8, relation: "closeMatch" }),
    ]);
    const both = framework("urn:both", [concept("urn:b:1", { fr: "Java", en: "Python" })]);
    expect(suggestAlignments(fr, both)).toEqual([]);
    // An untagged label may be in any language: compared with all, without a discount.
    const untagged = framework("urn:und", [concept("urn:und:1", { und: "Python" })]);
    expect(suggestAlignments(untagged, both)).toEqual([
      expect.objectContaining({ target: "urn:b:1", score: 1, relation: "exactMatch" }),
    ]);
  });
});

/** A deterministic ESCO-sized framework: labels made of pseudo-words with ESCO's label statistics. */
function syntheticFramework(size: number, seed: number): Framework {
  // mulberry32: small, fast, and good enough that pseudo-words do not repeat in patterns.
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const syllables =
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so ta te ti to tu va ve vi vo".split(
      " ",
    );
  const word = () =>
    Array.from(
      { length: 2 + Math.floor(random() * 3) },
      () => syllables[Math.floor(random() * syllables.length)],
    ).join("");
  const words = (count: number) => {
    const set = new Set<string>();
    while (set.size < count) set.add(word());
    return [...set];
  };
  const verbsEn = words(120);
  const verbsFr = words(120);
  const nounsEn = words(4000);
  const nounsFr = words(4000);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const label = (verbs: string[], nouns: string[], article: string) =>
    `${pick(verbs)} ${article} ${pick(nouns)}${random() < 0.5 ? ` ${pick(nouns)}` : ""}`;
  const concepts: Concept[] = [];
  for (let i = 0; i < size; i++) {
    concepts.push(
      concept(
        `urn:synthetic:${i}`,
        { en: label(verbsEn, nounsEn, "the"), fr: label(verbsFr, nounsFr, "des") },
        {
          en: [label(verbsEn, nounsEn, "a"), label(verbsEn, nounsEn, "of")],
          fr: [label(verbsFr, nounsFr, "une"), label(verbsFr, nounsFr, "de")],
        },
      ),
    );
  }
  return framework("urn:synthetic", concepts);
}

describe("scale", () => {
  it("suggests for 300 provider concepts against 14,000 target concepts in seconds, finding planted matches", () => {
    const target = syntheticFramework(14_000, 7);
    const targets = [...target.concepts.values()];
    // A provider framework: 100 concepts that reuse a target's French synonym, 200 of its own.
    const provider = syntheticFramework(300, 99);
    const planted = new Map<string, string>();
    [...provider.concepts.values()].slice(0, 100).forEach((c, i) => {
      const t = targets[(i * 137) % targets.length]!;
      c.prefLabel = { fr: t.altLabels.fr![0]!.toUpperCase() };
      c.altLabels = {};
      planted.set(c.iri, t.iri);
    });
    const started = performance.now();
    const index = new TargetIndex(target);
    const indexed = performance.now();
    const suggestions = suggestAlignments(provider, index);
    const done = performance.now();
    const sourceLabels = [...provider.concepts.values()].reduce(
      (n, c) => n + Object.keys(c.prefLabel).length + Object.values(c.altLabels).flat().length,
      0,
    );
    console.log(
      `suggest: 14,000 target concepts (84,000 labels) indexed in ${Math.round(indexed - started)} ms; ` +
        `300 source concepts (${sourceLabels} labels) matched in ${Math.round(done - indexed)} ms; ${suggestions.length} suggestions`,
    );
    // A planted synonym is found as an exactMatch (another target may share the very same words).
    for (const [source, expected] of planted) {
      const found = suggestions.find((s) => s.source === source && s.target === expected);
      expect(found).toMatchObject({ relation: "exactMatch", score: 0.97 });
    }
    expect(done - started).toBeLessThan(20_000);
  });
});

describe("similarity properties", () => {
  it("normalization is idempotent; similarity lies in [0, 1], is 1 for a label with itself, and is symmetric without weights", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        expect(normalizeLabel(normalizeLabel(a))).toBe(normalizeLabel(a));
        const ab = labelSimilarity(a, b, "fr");
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(1);
        expect(labelSimilarity(b, a, "fr")).toBeCloseTo(ab, 10);
        if (normalizeLabel(a)) expect(labelSimilarity(a, a, "fr")).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});
