import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { XapiVersion } from "./types.js";
import { type Problem, validateStatement, validateStatements } from "./validate.js";

/** A valid statement touching most of the grammar, and one whose object is a SubStatement. */
const RICH = {
  id: "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
  actor: {
    objectType: "Group",
    name: "Team PB",
    mbox: "mailto:teampb@example.com",
    member: [
      {
        name: "Andrew",
        account: { homePage: "http://www.example.com", name: "13936749" },
        objectType: "Agent",
      },
      { openid: "http://toby.openid.example.org/" },
      { mbox_sha1sum: "ebd31e95054c018b10727ccffd2ef2ec3a016ee9" },
    ],
  },
  verb: {
    id: "http://adlnet.gov/expapi/verbs/attended",
    display: { "en-GB": "attended", "en-US": "attended" },
  },
  object: {
    objectType: "Activity",
    id: "course-v1:FUN-MOOC+00002+session01",
    definition: {
      name: { "en-US": "example" },
      description: { "en-US": "An example" },
      type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      moreInfo: "http://virtualmeeting.example.com/345256",
      interactionType: "choice",
      correctResponsesPattern: ["golf[,]tetris"],
      choices: [{ id: "golf", description: { "en-US": "Golf" } }, { id: "tetris" }],
      extensions: { "http://example.com/ext": { nested: [1, { a: "b" }] } },
    },
  },
  result: {
    score: { scaled: 0.5, raw: 50, min: 0, max: 100 },
    success: true,
    completion: false,
    response: "golf",
    duration: "PT1H0M0.5S",
    extensions: { "http://example.com/r": "x" },
  },
  context: {
    registration: "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
    instructor: { mbox: "mailto:teacher@example.com" },
    team: { objectType: "Group", openid: "http://team.example.org/1" },
    contextActivities: {
      parent: [{ id: "http://www.example.com/meetings/series/267" }],
      grouping: { id: "http://www.example.com/g" },
    },
    revision: "1",
    platform: "p",
    language: "en-US",
    statement: { objectType: "StatementRef", id: "6690e6c9-3ef0-4ed3-8b37-7f3964730bee" },
    extensions: { "http://example.com/c": [1, 2, 3] },
  },
  timestamp: "2013-05-18T05:32:34.804+02:00",
  stored: "2013-05-18T05:32:34.804Z",
  authority: {
    objectType: "Group",
    member: [
      { account: { homePage: "http://example.com/OAuth", name: "consumer" } },
      { mbox: "mailto:bob@example.com" },
    ],
  },
  version: "1.0.0",
  attachments: [
    {
      usageType: "http://example.com/attachment-usage/test",
      display: { "en-US": "A test attachment" },
      contentType: "text/plain; charset=ascii",
      length: 27,
      sha2: "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    },
  ],
};
const WITH_SUBSTATEMENT = {
  actor: { mbox: "mailto:a@example.com" },
  verb: { id: "http://example.com/verbs/said" },
  object: {
    objectType: "SubStatement",
    actor: { objectType: "Agent", account: { homePage: "http://example.com", name: "x" } },
    verb: { id: "http://example.com/verbs/did", display: { fr: "a fait" } },
    object: { objectType: "StatementRef", id: "6690e6c9-3ef0-4ed3-8b37-7f3964730bee" },
    context: { contextActivities: { category: [{ id: "http://example.com/c" }] }, language: "fr" },
    result: { score: { scaled: -1 } },
    timestamp: "2013-05-18T05:32:34Z",
  },
};

type Key = string | number;
type Node = { [key: string]: unknown } | unknown[];

/**
 * Every path to a value in `root` (arrays by index) down to 12 levels, with whether it lies inside an
 * extension value. The bound keeps enumeration linear after a deep-nesting mutation.
 */
function pathsOf(root: unknown): { path: Key[]; inExtension: boolean }[] {
  const out: { path: Key[]; inExtension: boolean }[] = [];
  const walk = (value: unknown, path: Key[], inExtension: boolean) => {
    out.push({ path, inExtension });
    if (typeof value !== "object" || value === null || path.length >= 12) return;
    const parentIsExtensions = path[path.length - 1] === "extensions";
    for (const [key, child] of Object.entries(value)) {
      const k: Key = Array.isArray(value) ? Number(key) : key;
      walk(child, [...path, k], inExtension || parentIsExtensions);
    }
  };
  walk(root, [], false);
  return out;
}

function at(root: unknown, path: Key[]): unknown {
  let node = root;
  for (const key of path) node = (node as Record<Key, unknown>)[key];
  return node;
}

function deeplyNested(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

const BAD_STRINGS = [
  "ab=c://x",
  "not an iri",
  "",
  " http://x",
  "mailto:",
  "P",
  "2013-13-45",
  "zz-ZZ-zzzzzzzzz",
  "\u0000",
];

type Mutation = {
  kind: "delete" | "extra" | "deep" | "replace" | "badString";
  target: number;
  value: unknown;
  levels: number;
  text: string;
};

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom("delete", "extra", "deep", "replace", "badString"),
  target: fc.nat(),
  value: fc.oneof(fc.jsonValue(), fc.anything()),
  levels: fc.integer({ min: 1, max: 3000 }),
  text: fc.constantFrom(...BAD_STRINGS),
});

/** Applies the mutations to a copy of `base`; returns the copy and whether an unknown key was added outside extensions. */
function mutate(base: object, mutations: Mutation[]): { statement: unknown; addedUnknown: boolean } {
  const statement = structuredClone(base) as Node;
  for (const m of mutations) {
    const paths = pathsOf(statement);
    const { path } = paths[m.target % paths.length] as { path: Key[] };
    if (path.length === 0) continue;
    const parent = at(statement, path.slice(0, -1)) as Record<Key, unknown>;
    const key = path[path.length - 1] as Key;
    const current = parent[key];
    switch (m.kind) {
      case "delete":
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case "replace":
        parent[key] = m.value;
        break;
      case "deep":
        parent[key] = deeplyNested(m.levels);
        break;
      case "badString":
        if (typeof current === "string") parent[key] = m.text;
        break;
      case "extra":
        if (typeof current === "object" && current !== null && !Array.isArray(current)) {
          // undefined is not JSON: a parsed body never holds it.
          (current as Record<string, unknown>).zz_unknown_property = m.value === undefined ? null : m.value;
        }
        break;
    }
  }
  // Later mutations may have removed it again, so look for what survived.
  const addedUnknown = pathsOf(statement).some(
    (p) => !p.inExtension && p.path[p.path.length - 1] === "zz_unknown_property",
  );
  return { statement, addedUnknown };
}

function wellFormed(problems: Problem[], root: string): void {
  expect(Array.isArray(problems)).toBe(true);
  for (const p of problems) {
    expect(p.path.startsWith(root)).toBe(true);
    expect(p.rule.length).toBeGreaterThan(0);
    expect(p.message.startsWith(p.path)).toBe(true);
    expect(p.message.length).toBeGreaterThan(p.path.length + 5);
  }
}

const VERSIONS: XapiVersion[] = ["1.0.3", "2.0.0"];

describe("validateStatement on random mutations of valid statements", () => {
  it("the unmutated bases are valid", () => {
    for (const version of VERSIONS) {
      expect(validateStatement(RICH, version)).toEqual([]);
      expect(validateStatement(WITH_SUBSTATEMENT, version)).toEqual([]);
    }
  });

  it("never throws and always answers problems with a path, a rule and a message", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(RICH, WITH_SUBSTATEMENT),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.constantFrom(...VERSIONS),
        (base, mutations, version) => {
          const { statement, addedUnknown } = mutate(base, mutations);
          const problems = validateStatement(statement, version);
          wellFormed(problems, "statement");
          // A property xAPI does not define, anywhere but inside an extension value, is always refused.
          if (addedUnknown) expect(problems.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("refuses every statement whose required property was replaced by a value of the wrong type", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("actor", "verb", "object"),
        fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue()), fc.string()),
        fc.constantFrom(...VERSIONS),
        (key, value, version) => {
          const problems = validateStatement({ ...RICH, [key]: value }, version);
          expect(problems.some((p) => p.path.startsWith(`statement.${key}`))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("handles arbitrary JSON and batches of it without throwing", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.array(fc.jsonValue())),
        fc.constantFrom(...VERSIONS),
        (value, version) => {
          const problems = validateStatements(value, version);
          wellFormed(problems, "statement");
        },
      ),
      { numRuns: 2000 },
    );
  });
});
