import { describe, expect, it } from "vitest";
import {
  type AlignmentSet,
  COMPETENCIES_EXTENSION,
  COMPETENCY_TRANSLATIONS_EXTENSION,
  statementCompetencies,
  translateStatementCompetencies,
  translationTable,
} from "../../src/interop/skills/index.js";
import {
  ACME,
  BUDGETS,
  ESCO,
  ESCO_SCHEME,
  fixtureFramework,
  PROJECTS,
  PYTHON,
  TEAM,
  TLA,
} from "./skills-fixtures.js";

const ACME_SCHEME = ACME;
const ADL = "http://adlnet.gov/expapi/activities/competency";

const esco = await fixtureFramework("esco");

const alignments: AlignmentSet = {
  format: "learnpool-skills-alignments/1",
  source: ACME_SCHEME,
  target: ESCO_SCHEME,
  alignments: [
    {
      source: `${ACME}MGT-01`,
      target: TEAM,
      relation: "exactMatch",
      status: "accepted",
      origin: "label-similarity",
      score: 1,
    },
    {
      source: `${ACME}MGT-02`,
      target: BUDGETS,
      relation: "closeMatch",
      status: "accepted",
      origin: "label-similarity",
      score: 0.8,
    },
    {
      source: `${ACME}MGT-02`,
      target: PROJECTS,
      relation: "closeMatch",
      status: "accepted",
      origin: "label-similarity",
      score: 0.82,
    },
    {
      source: `${ACME}NUM-01`,
      target: PYTHON,
      relation: "exactMatch",
      status: "suggested",
      origin: "label-similarity",
      score: 0.97,
    },
    {
      source: `${ACME}MGT`,
      target: `${ESCO}S4.8`,
      relation: "broadMatch",
      status: "accepted",
      origin: "manual",
    },
    {
      source: `${ACME}IND-07`,
      target: TEAM,
      relation: "closeMatch",
      status: "rejected",
      origin: "label-similarity",
      score: 0.6,
    },
  ],
};

const competency = (id: string, type = TLA, name?: string) => ({
  objectType: "Activity",
  id,
  definition: { type, ...(name && { name: { fr: name } }) },
});

function statement() {
  return {
    id: "6f1c1d3e-7f0a-4a2b-9c3d-1e2f3a4b5c6d",
    actor: { account: { homePage: "https://lms.acme-formation.fr", name: "learner-42" } },
    verb: { id: "http://adlnet.gov/expapi/verbs/completed", display: { "en-US": "completed" } },
    object: {
      id: "https://lms.acme-formation.fr/course/management-101",
      definition: { type: "http://adlnet.gov/expapi/activities/course" },
    },
    context: {
      contextActivities: {
        parent: [{ id: "https://lms.acme-formation.fr/program/manager" }],
        other: [
          competency(`${ACME}MGT-01`, TLA, "Gérer une équipe"),
          { id: "https://lms.acme-formation.fr/cohort/2026" },
        ],
        category: [competency(`${ACME}MGT-02`, ADL)],
      },
      extensions: { [COMPETENCIES_EXTENSION]: [`${ACME}NUM-01`, `${ACME}MGT-01`] },
    },
  };
}

describe("statementCompetencies", () => {
  it("finds competency activities in other and category (TLA and ADL types) and the extension", () => {
    expect(statementCompetencies(statement())).toEqual([
      {
        iri: `${ACME}MGT-01`,
        path: "context.contextActivities.other[0]",
        place: "context.contextActivities.other",
      },
      {
        iri: `${ACME}MGT-02`,
        path: "context.contextActivities.category[0]",
        place: "context.contextActivities.category",
      },
      {
        iri: `${ACME}NUM-01`,
        path: `context.extensions["${COMPETENCIES_EXTENSION}"][0]`,
        place: "context.extensions",
      },
      {
        iri: `${ACME}MGT-01`,
        path: `context.extensions["${COMPETENCIES_EXTENSION}"][1]`,
        place: "context.extensions",
      },
    ]);
  });

  it("ignores activities of other types and reads a competency as the object", () => {
    const s = {
      ...statement(),
      object: competency(`${ACME}MGT`),
      context: { contextActivities: { other: [{ id: `${ACME}MGT-01` }] } },
    };
    expect(statementCompetencies(s)).toEqual([{ iri: `${ACME}MGT`, path: "object", place: "object" }]);
  });
});

describe("translateStatementCompetencies", () => {
  it("translates through accepted alignments only, names targets from the target framework, and reports the rest", () => {
    const input = statement();
    const before = JSON.stringify(input);
    const result = translateStatementCompetencies(input, alignments, ESCO_SCHEME, { targetFramework: esco });
    expect(JSON.stringify(input)).toBe(before); // pure: the input is untouched
    const context = result.statement.context as ReturnType<typeof statement>["context"];
    expect(context.contextActivities.other).toEqual([
      {
        objectType: "Activity",
        id: TEAM,
        definition: {
          type: TLA,
          name: { en: "manage a team", fr: "gérer une équipe" },
          description: esco.concepts.get(TEAM)!.definition,
        },
      },
      { id: "https://lms.acme-formation.fr/cohort/2026" },
    ]);
    // Two accepted closeMatches of equal rank: both targets, the better scored first; the ADL type is kept.
    expect(context.contextActivities.category.map((a) => [a.id, a.definition.type])).toEqual([
      [PROJECTS, ADL],
      [BUDGETS, ADL],
    ]);
    expect(context.contextActivities.parent).toEqual(input.context.contextActivities.parent);
    // NUM-01 has only a suggestion: kept as it was.
    expect(context.extensions[COMPETENCIES_EXTENSION]).toEqual([`${ACME}NUM-01`, TEAM]);
    expect(result.untranslated).toEqual([
      {
        path: `context.extensions["${COMPETENCIES_EXTENSION}"][0]`,
        source: `${ACME}NUM-01`,
        reason: `no accepted exact/close alignment into ${ESCO_SCHEME}`,
      },
    ]);
    expect(result.translated.map((t) => [t.source, t.relation, t.targets.length])).toEqual([
      [`${ACME}MGT-01`, "exactMatch", 1],
      [`${ACME}MGT-02`, "closeMatch", 2],
      [`${ACME}MGT-01`, "exactMatch", 1],
    ]);
    expect((context.extensions as Record<string, unknown>)[COMPETENCY_TRANSLATIONS_EXTENSION]).toContainEqual(
      {
        source: `${ACME}MGT-01`,
        target: TEAM,
        relation: "exactMatch",
        framework: ESCO_SCHEME,
      },
    );
  });

  it("uses suggestions when asked, and never rejected alignments", () => {
    const s = {
      ...statement(),
      context: { extensions: { [COMPETENCIES_EXTENSION]: [`${ACME}NUM-01`, `${ACME}IND-07`] } },
    };
    const result = translateStatementCompetencies(s, alignments, ESCO_SCHEME, {
      statuses: ["accepted", "suggested"],
      recordTranslations: false,
    });
    expect((result.statement.context as { extensions: Record<string, unknown> }).extensions).toEqual({
      [COMPETENCIES_EXTENSION]: [PYTHON, `${ACME}IND-07`],
    });
    expect(result.untranslated.map((u) => u.source)).toEqual([`${ACME}IND-07`]);
  });

  it("translates to a broader concept only when allowed, and a competency object too", () => {
    const s = { ...statement(), object: competency(`${ACME}MGT`, TLA, "Management"), context: {} };
    const strict = translateStatementCompetencies(s, alignments, ESCO_SCHEME);
    expect((strict.statement.object as { id: string }).id).toBe(`${ACME}MGT`);
    expect(strict.untranslated).toHaveLength(1);
    const broad = translateStatementCompetencies(s, alignments, ESCO_SCHEME, { allowBroadMatch: true });
    // Without the target framework at hand, the source's name is dropped rather than mislabel the target.
    expect(broad.statement.object).toEqual({
      objectType: "Activity",
      id: `${ESCO}S4.8`,
      definition: { type: TLA },
    });
    expect(broad.translated).toEqual([
      { path: "object", source: `${ACME}MGT`, targets: [`${ESCO}S4.8`], relation: "broadMatch" },
    ]);
  });

  it("reads alignments from the target's side too (exact both ways, narrowMatch as broadMatch)", () => {
    const reverse: AlignmentSet = {
      format: "learnpool-skills-alignments/1",
      source: ESCO_SCHEME,
      target: ACME_SCHEME,
      alignments: [
        {
          source: TEAM,
          target: `${ACME}MGT-01`,
          relation: "exactMatch",
          status: "accepted",
          origin: "imported",
        },
        {
          source: `${ESCO}S4.8`,
          target: `${ACME}MGT`,
          relation: "narrowMatch",
          status: "accepted",
          origin: "imported",
        },
      ],
    };
    const table = translationTable(reverse, ESCO_SCHEME, { allowBroadMatch: true });
    expect(table.routes.get(`${ACME}MGT-01`)).toEqual({ relation: "exactMatch", targets: [TEAM] });
    expect(table.routes.get(`${ACME}MGT`)).toEqual({ relation: "broadMatch", targets: [`${ESCO}S4.8`] });
    expect(translationTable(reverse, ESCO_SCHEME).routes.has(`${ACME}MGT`)).toBe(false);
  });

  it("leaves competencies already in the target framework alone, and merges duplicates", () => {
    const s = {
      ...statement(),
      context: {
        contextActivities: { other: [competency(TEAM), competency(`${ACME}MGT-01`)] },
      },
    };
    const result = translateStatementCompetencies(s, alignments, ESCO_SCHEME, { targetFramework: esco });
    expect(result.untranslated).toEqual([]);
    expect(result.translated).toHaveLength(1);
    const other = (result.statement.context as { contextActivities: { other: Array<{ id: string }> } })
      .contextActivities.other;
    expect(other.map((a) => a.id)).toEqual([TEAM]);
  });
});
