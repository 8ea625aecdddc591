import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  buildVocabulary,
  formats,
  isRegistered,
  labelFromIri,
  outcomes,
  termsOf,
  vocabulary,
  vocabularyMarkdown,
} from "../../src/interop/index.js";

const here = import.meta.dirname;
const shared = join(here, "../../../shared/fixtures");

function filesIn(folder: string, pattern = /\.json$/): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => pattern.test(f))
    .map((f) => join(folder, f));
}

function jsonFile(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

/**
 * The fixtures each converter can read as it is, with the configuration they need. The csv format is
 * not here: it has no vocabulary of its own, every IRI it emits is named by the user's mapping.
 */
const fixtureRuns: { format: string; inputs: string[]; config?: unknown }[] = [
  {
    format: "edx",
    inputs: filesIn(join(shared, "edx/input")),
    config: jsonFile(join(here, "edx.fixtures.config.json")),
  },
  {
    format: "caliper",
    inputs: [
      ...filesIn(join(here, "fixtures/caliper")),
      ...filesIn(join(shared, "caliper/v1p2"), /^caliperEvent.*\.json$/),
    ],
    config: { homePage: "https://lms.example.org" },
  },
  { format: "scorm", inputs: filesIn(join(here, "fixtures/scorm")) },
  { format: "cmi5", inputs: filesIn(join(here, "fixtures/cmi5")) },
  { format: "oulad", inputs: existsSync(join(here, "fixtures/oulad")) ? [join(here, "fixtures/oulad")] : [] },
];

describe("the vocabulary registry", () => {
  it("merges the converters' vocabularies by kind and IRI, naming every converter that emits a term", () => {
    const registry = buildVocabulary([
      ["a", { verbs: ["http://adlnet.gov/expapi/verbs/completed"], activityTypes: [], extensions: [] }],
      [
        "b",
        {
          verbs: ["http://adlnet.gov/expapi/verbs/completed"],
          activityTypes: ["http://adlnet.gov/expapi/activities/course"],
          extensions: ["https://w3id.org/xapi/video/extensions/time-from"],
          labels: { "http://adlnet.gov/expapi/activities/course": "Course" },
        },
      ],
    ]);
    expect([...registry.values()]).toEqual([
      {
        kind: "verb",
        iri: "http://adlnet.gov/expapi/verbs/completed",
        label: "completed",
        usedBy: ["a", "b"],
      },
      {
        kind: "activityType",
        iri: "http://adlnet.gov/expapi/activities/course",
        label: "Course",
        usedBy: ["b"],
      },
      {
        kind: "extension",
        iri: "https://w3id.org/xapi/video/extensions/time-from",
        label: "time-from",
        usedBy: ["b"],
      },
    ]);
    const markdown = vocabularyMarkdown(registry);
    expect(markdown).toContain("#### Verbs");
    expect(markdown).toContain("| completed | `http://adlnet.gov/expapi/verbs/completed` | a, b |");
    expect(labelFromIri("http://id.tincanapi.com/verb/viewed#")).toBe("viewed");
  });

  it("finds every verb, activity type and extension a statement uses", () => {
    const terms = termsOf({
      verb: { id: "v" },
      object: {
        objectType: "SubStatement",
        verb: { id: "v2" },
        object: { id: "o", definition: { type: "t1", extensions: { e1: 1 } } },
      },
      result: { extensions: { e2: 1 } },
      context: {
        extensions: { e3: 1 },
        contextActivities: { parent: [{ id: "p", definition: { type: "t2" } }] },
      },
    });
    expect(terms.map((t) => `${t.kind}:${t.iri}`).sort()).toEqual(
      [
        "verb:v",
        "verb:v2",
        "activityType:t1",
        "extension:e1",
        "extension:e2",
        "extension:e3",
        "activityType:t2",
      ].sort(),
    );
  });

  for (const run of fixtureRuns) {
    const format = formats.get(run.format);
    it.skipIf(!format || run.inputs.length === 0)(
      `holds every term the ${run.format} converter emits on its fixtures`,
      async () => {
        const unregistered = new Set<string>();
        let statements = 0;
        for (const input of run.inputs) {
          for await (const outcome of outcomes(format!, input, run.config, { validate: false })) {
            if (outcome.kind !== "converted") continue;
            for (const statement of outcome.statements) {
              statements++;
              for (const term of termsOf(statement)) {
                const known = vocabulary.get(`${term.kind} ${term.iri}`);
                if (!known?.usedBy.includes(run.format)) unregistered.add(`${term.kind} ${term.iri}`);
              }
            }
          }
        }
        expect(statements).toBeGreaterThan(0);
        expect([...unregistered].sort()).toEqual([]);
      },
    );
  }

  it("lists the registered terms in the README table", () => {
    const markdown = vocabularyMarkdown();
    for (const term of vocabulary.values()) expect(markdown).toContain(`\`${term.iri}\``);
    expect(isRegistered("verb", "http://example.org/never-emitted")).toBe(false);
  });
});

describe("docs/vocabulary.md", () => {
  it("is the registry's output (regenerate it with the command its header names)", () => {
    const doc = readFileSync(join(here, "../../docs/vocabulary.md"), "utf8");
    expect(doc.slice(doc.indexOf("#### "))).toBe(vocabularyMarkdown());
  });
});
