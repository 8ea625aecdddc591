import { describe, expect, it } from "vitest";
import type { XapiVersion } from "./types.js";
import {
  isIri,
  isIrl,
  isIsoDuration,
  isLanguageTag,
  isMailtoIri,
  isMediaType,
  isUuid,
  MAX_EXTENSION_DEPTH,
  parseTimestamp,
  validateAgent,
  validateStatement,
  validateStatements,
} from "./validate.js";

// Fixtures shaped like the ADL conformance suite's templates (test/v2_0/templates, test/v1_0_3/templates).
type Json = { [key: string]: unknown };

const AGENT = { objectType: "Agent", name: "xAPI mbox", mbox: "mailto:xapi@adlnet.gov" };
const VERB = {
  id: "http://adlnet.gov/expapi/verbs/attended",
  display: { "en-GB": "attended", "en-US": "attended" },
};
const ACTIVITY = { objectType: "Activity", id: "http://www.example.com/meetings/occurances/34534" };
const STATEMENT = { actor: AGENT, verb: VERB, object: ACTIVITY };
const STATEMENT_REF = { objectType: "StatementRef", id: "9e13cefd-53d3-4eac-b5ed-2cf6693903bb" };
const SUBSTATEMENT = {
  objectType: "SubStatement",
  actor: { objectType: "Agent", mbox_sha1sum: "cd9b00a5611f94eaa7b1661edab976068e364975" },
  verb: { id: "http://adlnet.gov/expapi/verbs/reported", display: { "en-US": "reported" } },
  object: ACTIVITY,
};
const CONTEXT = {
  registration: "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
  contextActivities: {
    parent: { objectType: "Activity", id: "http://www.example.com/meetings/series/267" },
    category: [{ objectType: "Activity", id: "http://www.example.com/meetings/categories/teammeeting" }],
    other: [{ id: "http://www.example.com/meetings/occurances/34257" }],
    grouping: [{ id: "http://www.example.com/meetings/series" }],
  },
  revision: "rev_10_3_2",
  platform: "Example virtual meeting software",
  language: "tlh",
  statement: { objectType: "StatementRef", id: "6690e6c9-3ef0-4ed3-8b37-7f3964730bee" },
  extensions: {
    "http://example.com/profiles/meetings/contextextensions/airspeed": "600mph",
    "http://example.com/profiles/meetings/contextextensions/pilot": {
      name: "Thomas",
      id: "http://openid.com/342",
    },
  },
};
const RESULT = {
  score: { scaled: 0.95, raw: 95, min: 0, max: 100 },
  success: true,
  completion: true,
  response: "We agreed on some example actions.",
  duration: "PT1H0M0S",
  extensions: {
    "http://example.com/profiles/meetings/resultextensions/minuteslocation": "X:\\meetings\\minutes",
  },
};
const ATTACHMENT = {
  usageType: "http://example.com/attachment-usage/test",
  display: { "en-US": "A test attachment" },
  description: { "en-US": "A test attachment (description)" },
  contentType: "text/plain; charset=ascii",
  length: 27,
  sha2: "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
  fileUrl: "http://over.there.com/file.txt",
};
const GROUPS = {
  identified_mbox: { objectType: "Group", name: "Group", mbox: "mailto:group@example.com" },
  identified_mbox_sha1sum: { objectType: "Group", mbox_sha1sum: "4b2f06db1ea9e14a6ba97ba67c7cdd6e9dd3b2d9" },
  identified_openid: { objectType: "Group", openid: "http://group.openid.example.org/12345" },
  identified_account: { objectType: "Group", account: { homePage: "http://www.example.com", name: "group" } },
  anonymous_two_member: {
    objectType: "Group",
    member: [
      { account: { homePage: "http://example.com/xAPI/OAuth/Token", name: "oauth_consumer_x75db" } },
      { mbox: "mailto:bob@example.com" },
    ],
  },
};
const INTERACTIONS: Record<string, Json> = {
  "true-false": { interactionType: "true-false", correctResponsesPattern: ["true"] },
  choice: {
    interactionType: "choice",
    correctResponsesPattern: ["golf[,]tetris"],
    choices: [
      { id: "golf", description: { "en-US": "Golf Example" } },
      { id: "tetris", description: { "en-US": "Tetris Example" } },
    ],
  },
  "fill-in": { interactionType: "fill-in", correctResponsesPattern: ["Bob's your uncle"] },
  "long-fill-in": {
    interactionType: "long-fill-in",
    correctResponsesPattern: ["{case_matters=false}{lang=en}To store"],
  },
  matching: {
    interactionType: "matching",
    correctResponsesPattern: ["ben[.]3"],
    source: [{ id: "ben", description: { "en-US": "Ben" } }],
    target: [{ id: "3", description: { "en-US": "Swimming" } }],
  },
  performance: {
    interactionType: "performance",
    correctResponsesPattern: ["pong[.]1:[,]dg[.]:10"],
    steps: [{ id: "pong", description: { "en-US": "Net pong matches won" } }],
  },
  sequencing: {
    interactionType: "sequencing",
    correctResponsesPattern: ["tim[,]mike"],
    choices: [{ id: "tim", description: { "en-US": "Tim" } }, { id: "mike" }],
  },
  likert: {
    interactionType: "likert",
    correctResponsesPattern: ["likert_3"],
    scale: [
      { id: "likert_0", description: { "sr-Latn-RS": "Nije od pomoći", "en-US": "It's OK" } },
      { id: "likert_3" },
    ],
  },
  numeric: { interactionType: "numeric", correctResponsesPattern: ["4[:]"] },
  other: { interactionType: "other", correctResponsesPattern: ["(35.937432,-86.868896)"] },
};

const BOTH: XapiVersion[] = ["1.0.3", "2.0.0"];

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** A copy of `base` with the values at dotted paths replaced (`undefined` deletes). */
function variant(base: object, changes: Record<string, unknown>): Json {
  const root = clone(base) as Json;
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split(".");
    let node = root;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
      node = node[key] as Json;
    }
    const last = keys[keys.length - 1] as string;
    if (value === undefined) delete node[last];
    else node[last] = clone(value);
  }
  return root;
}

/** The statement with `sub` as the object of a SubStatement. */
function inSubStatement(changes: Record<string, unknown>): Json {
  return { ...STATEMENT, object: variant(SUBSTATEMENT, changes) };
}

function expectValid(statement: unknown, versions: XapiVersion[] = BOTH): void {
  for (const version of versions) expect(validateStatement(statement, version), version).toEqual([]);
}

function expectProblem(statement: unknown, path: string, rule: string, versions: XapiVersion[] = BOTH): void {
  for (const version of versions) {
    const problems = validateStatement(statement, version);
    expect(problems, `${version}: ${JSON.stringify(problems)}`).toContainEqual(
      expect.objectContaining({ path, rule }),
    );
    for (const p of problems) expect(p.message.length).toBeGreaterThan(path.length);
  }
}

describe("valid statements", () => {
  it("accepts the suite's default statement and a full statement in both versions", () => {
    expectValid(STATEMENT);
    expectValid({
      id: "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
      ...STATEMENT,
      result: RESULT,
      context: CONTEXT,
      timestamp: "2013-05-18T05:32:34.804Z",
      stored: "2013-05-18T05:32:34.804+00:00",
      authority: GROUPS.anonymous_two_member,
      version: "1.0.0",
      attachments: [ATTACHMENT],
    });
  });

  it("accepts every interaction type with its component lists", () => {
    for (const definition of Object.values(INTERACTIONS)) {
      expectValid(variant(STATEMENT, { "object.definition": definition }));
      expectValid(inSubStatement({ "object.definition": definition }));
    }
  });

  it("accepts upper-case UUIDs, an actor without objectType, and an object without objectType", () => {
    expectValid({ ...STATEMENT, id: "AA97B177-9383-4934-8543-0F91A7A02836" });
    expectValid({ ...STATEMENT, actor: { name: "xAPI mbox", mbox: "mailto:xapi@adlnet.gov" } });
    expectValid({ ...STATEMENT, object: { id: "http://www.example.com/meetings/occurances/34534" } });
  });

  it("accepts identifiers such as course-v1:FUN-MOOC+00002+session01 and uuid://… as IRIs", () => {
    expectValid(
      variant(STATEMENT, {
        object: { id: "uuid://7d4f3c70-1e79-4243-9b7d-166076ce8bfb", objectType: "Activity" },
        "context.contextActivities.parent": [
          { id: "course-v1:FUN-MOOC+00002+session01", objectType: "Activity" },
        ],
      }),
    );
  });

  it("accepts Agents, Groups, StatementRefs and SubStatements as objects", () => {
    expectValid({ ...STATEMENT, object: AGENT });
    for (const group of Object.values(GROUPS)) expectValid({ ...STATEMENT, object: group });
    expectValid({ ...STATEMENT, object: STATEMENT_REF });
    expectValid({ ...STATEMENT, object: SUBSTATEMENT });
    expectValid(inSubStatement({ object: STATEMENT_REF }));
    expectValid(inSubStatement({ object: AGENT, context: { registration: CONTEXT.registration } }));
  });

  it("accepts identified Groups of every IFI as actor, instructor and team", () => {
    for (const group of Object.values(GROUPS)) {
      expectValid({ ...STATEMENT, actor: group });
      expectValid({ ...STATEMENT, context: { instructor: group, team: group } });
    }
  });

  it("accepts extension values that are null, empty strings or empty objects (XAPI-00119)", () => {
    for (const value of [null, "", {}, [], 0, false]) {
      const extensions = { "http://example.com/ex": value };
      expectValid(variant(STATEMENT, { "object.definition.extensions": extensions }));
      expectValid({ ...STATEMENT, result: { extensions } });
      expectValid({ ...STATEMENT, context: { extensions } });
      expectValid(inSubStatement({ result: { extensions } }));
    }
    expectValid({ ...STATEMENT, result: { extensions: {} } });
  });

  it("accepts RFC 5646 tags the suite sends (de, de-DE, zh-Hant, sr-Latn-RS, cmn, es-MX, zh-Hans-CN, ase, ja)", () => {
    for (const tag of [
      "de",
      "de-DE",
      "zh-Hant",
      "sr-Latn-RS",
      "sr-Cyrl",
      "cmn",
      "es-MX",
      "zh-Hans-CN",
      "ase",
      "ja",
      "fr-CA",
    ]) {
      expectValid(variant(STATEMENT, { "verb.display": { [tag]: "x" } }));
      expectValid({ ...STATEMENT, context: { language: tag } });
    }
  });

  it("accepts durations the suite sends (XAPI-00124)", () => {
    for (const duration of [
      "PT1H0M0.1S",
      "PT4H35M59.14S",
      "PT16559.14S",
      "P3Y1M29DT4H35M59.14S",
      "P3Y",
      "P4W",
    ]) {
      expectValid({ ...STATEMENT, result: { duration } });
      expectValid(inSubStatement({ result: { duration } }));
    }
  });

  it("accepts score bounds inclusive: scaled 1.0 and -1, raw equal to min or max", () => {
    expectValid({ ...STATEMENT, result: { score: { scaled: 1.0 } } });
    expectValid({ ...STATEMENT, result: { score: { scaled: -1 } } });
    expectValid({ ...STATEMENT, result: { score: { raw: 0.6767676 } } });
    expectValid({ ...STATEMENT, result: { score: { min: 0, max: 10, raw: 10 } } });
    expectValid({ ...STATEMENT, result: { score: { max: 100.6767676 } } });
  });

  it("accepts a timestamp with a space separator (RFC 3339) and a future timestamp", () => {
    expectValid({ ...STATEMENT, timestamp: "2008-09-15 15:53:00.601+00:00" });
    expectValid(inSubStatement({ timestamp: "2008-09-15 15:53:00.601+00:00" }));
    expectValid({ ...STATEMENT, timestamp: new Date(Date.now() + 5 * 365 * 86_400_000).toISOString() });
  });

  it("accepts revision and platform when the object is an Activity, even without objectType", () => {
    expectValid({ ...STATEMENT, object: { id: ACTIVITY.id }, context: { revision: "1", platform: "p" } });
    expectValid(inSubStatement({ object: { id: ACTIVITY.id }, context: { revision: "1", platform: "p" } }));
  });
});

describe("required properties and unknown properties", () => {
  it("requires actor, verb and object, in statements and SubStatements (XAPI-00003-5, XAPI-00066)", () => {
    for (const key of ["actor", "verb", "object"]) {
      expectProblem(variant(STATEMENT, { [key]: undefined }), `statement.${key}`, "required");
      expectProblem(inSubStatement({ [key]: undefined }), `statement.object.${key}`, "required");
    }
  });

  it("rejects keys whose case differs from the specification (XAPI-00008)", () => {
    const cases: [string, unknown][] = [
      ["iD", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"],
      ["Actor", AGENT],
      ["veRb", VERB],
      ["oBject", ACTIVITY],
      ["RESULT", RESULT],
      ["conText", CONTEXT],
      ["timeStamp", "2013-05-18T05:32:34.804Z"],
      ["STOred", "2013-05-18T05:32:34.804Z"],
      ["auTHORity", AGENT],
      ["Version", "1.0.3"],
      ["attachmentS", [ATTACHMENT]],
    ];
    for (const [key, value] of cases)
      expectProblem({ ...STATEMENT, [key]: value }, `statement.${key}`, "unknown-property");
  });

  it("rejects unknown properties at every level", () => {
    expectProblem(variant(STATEMENT, { "actor.foo": 1 }), "statement.actor.foo", "unknown-property");
    expectProblem(variant(STATEMENT, { "verb.foo": 1 }), "statement.verb.foo", "unknown-property");
    expectProblem(variant(STATEMENT, { "object.foo": 1 }), "statement.object.foo", "unknown-property");
    expectProblem(
      variant(STATEMENT, { "object.definition.foo": 1 }),
      "statement.object.definition.foo",
      "unknown-property",
    );
    expectProblem({ ...STATEMENT, result: { foo: 1 } }, "statement.result.foo", "unknown-property");
    expectProblem(
      { ...STATEMENT, result: { score: { foo: 1 } } },
      "statement.result.score.foo",
      "unknown-property",
    );
    expectProblem({ ...STATEMENT, context: { foo: 1 } }, "statement.context.foo", "unknown-property");
    expectProblem(
      { ...STATEMENT, attachments: [{ ...ATTACHMENT, foo: 1 }] },
      "statement.attachments[0].foo",
      "unknown-property",
    );
    expectProblem(
      variant(STATEMENT, { actor: { account: { homePage: "http://x.example", name: "n", foo: 1 } } }),
      "statement.actor.account.foo",
      "unknown-property",
    );
    expectProblem({ ...STATEMENT, "a b": 1 }, 'statement["a b"]', "unknown-property");
  });

  it("rejects null values outside extensions (XAPI-00001)", () => {
    expectProblem(variant(STATEMENT, { "actor.name": null }), "statement.actor.name", "type");
    expectProblem(
      variant(STATEMENT, { "verb.display": { "en-US": null } }),
      'statement.verb.display["en-US"]',
      "language-map",
    );
    expectProblem(
      { ...STATEMENT, context: { registration: null } },
      "statement.context.registration",
      "type",
    );
    expectProblem(
      variant(STATEMENT, { "object.definition": { moreInfo: null } }),
      "statement.object.definition.moreInfo",
      "type",
    );
    expectProblem({ ...STATEMENT, id: null }, "statement.id", "type");
  });

  it("rejects non-objects as statements", () => {
    for (const value of [null, 1, "s", [], true]) expectProblem(value, "statement", "type");
  });
});

describe("data types (XAPI-00006, XAPI-00007)", () => {
  it("rejects strings where numbers or booleans are required", () => {
    expectProblem(
      { ...STATEMENT, result: { score: { max: "one hundred" } } },
      "statement.result.score.max",
      "type",
    );
    expectProblem({ ...STATEMENT, result: { score: { max: "100" } } }, "statement.result.score.max", "type");
    expectProblem({ ...STATEMENT, result: { success: "We regret…" } }, "statement.result.success", "type");
    expectProblem({ ...STATEMENT, result: { completion: "false" } }, "statement.result.completion", "type");
    expectProblem({ ...STATEMENT, result: { response: 1 } }, "statement.result.response", "type");
  });

  it("rejects ids that are not UUIDs (XAPI-00027, XAPI-00028)", () => {
    expectProblem({ ...STATEMENT, id: 12345 }, "statement.id", "type");
    expectProblem({ ...STATEMENT, id: { key: "should fail" } }, "statement.id", "type");
    expectProblem({ ...STATEMENT, id: "AA97B177-9383-4934-8543-0F91A7A028368" }, "statement.id", "uuid");
    expectProblem({ ...STATEMENT, id: "MA97B177-9383-4934-8543-0F91A7A02836" }, "statement.id", "uuid");
    expectProblem({ ...STATEMENT, id: "" }, "statement.id", "uuid");
    expectProblem({ ...STATEMENT, object: { ...STATEMENT_REF, id: 12345 } }, "statement.object.id", "type");
    expectProblem(
      inSubStatement({ object: { ...STATEMENT_REF, id: "MA97B177-9383-4934-8543-0F91A7A02836" } }),
      "statement.object.object.id",
      "uuid",
    );
    expectProblem(
      { ...STATEMENT, context: { registration: "should fail" } },
      "statement.context.registration",
      "uuid",
    );
    expectProblem(
      inSubStatement({ context: { registration: { key: 1 } } }),
      "statement.object.context.registration",
      "type",
    );
    expectProblem(
      { ...STATEMENT, context: { statement: { objectType: "StatementRef", id: "should fail" } } },
      "statement.context.statement.id",
      "uuid",
    );
  });

  it("rejects an account name that is not a string", () => {
    const account = { homePage: "http://www.example.com", name: { key: "should fail" } };
    expectProblem({ ...STATEMENT, actor: { account } }, "statement.actor.account.name", "type");
    expectProblem(
      { ...STATEMENT, actor: { objectType: "Group", account } },
      "statement.actor.account.name",
      "type",
    );
    expectProblem({ ...STATEMENT, authority: { account } }, "statement.authority.account.name", "type");
    expectProblem(
      inSubStatement({ context: { instructor: { account } } }),
      "statement.object.context.instructor.account.name",
      "type",
    );
  });

  it("rejects enumerated values in the wrong case (XAPI-00009)", () => {
    for (const [type, wrong] of [
      ["true-false", "true-faLse"],
      ["choice", "choiCe"],
      ["fill-in", "fill-iN"],
      ["long-fill-in", "long-fiLl-in"],
      ["matching", "matchIng"],
      ["performance", "perfOrmance"],
      ["sequencing", "seqUencing"],
      ["likert", "liKert"],
      ["numeric", "nUmeric"],
      ["other", "Other"],
    ] as const) {
      const statement = variant(STATEMENT, {
        "object.definition": { ...INTERACTIONS[type], interactionType: wrong },
      });
      expectProblem(statement, "statement.object.definition.interactionType", "interaction-type");
    }
    expectProblem(
      variant(STATEMENT, { "object.objectType": "activity" }),
      "statement.object.objectType",
      "object-type",
    );
  });
});

describe("timestamps (XAPI-00022, XAPI-00123)", () => {
  const invalid = [
    "should fail",
    "01/011/2015",
    "2008-09-15T15:53:00.601-00",
    "2008-09-15T15:53:00.601-0000",
    "2008-09-15T15:53:00.601-00:00",
  ];
  it("rejects invalid timestamps and negative-zero offsets, in statements and SubStatements, in both versions", () => {
    for (const timestamp of invalid) {
      expectProblem({ ...STATEMENT, timestamp }, "statement.timestamp", "timestamp.iso8601");
      expectProblem(inSubStatement({ timestamp }), "statement.object.timestamp", "timestamp.iso8601");
      expectProblem({ ...STATEMENT, stored: timestamp }, "statement.stored", "timestamp.iso8601");
    }
    expectProblem({ ...STATEMENT, timestamp: 1368855154804 }, "statement.timestamp", "type");
  });

  it("rejects SubStatement properties only the outer statement may have (XAPI-00067-70)", () => {
    const forbidden: [string, unknown][] = [
      ["id", "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"],
      ["stored", "2013-05-18T05:32:34.804Z"],
      ["version", "1.0.0"],
      ["authority", AGENT],
    ];
    for (const [key, value] of forbidden) {
      expectProblem(
        inSubStatement({ [key]: value }),
        `statement.object.${key}`,
        "substatement.forbidden-property",
      );
    }
  });
});

describe("version (XAPI-00101)", () => {
  it("1.0.3 accepts 1.0 and 1.0.x only", () => {
    expectValid({ ...STATEMENT, version: "1.0" }, ["1.0.3"]);
    expectValid({ ...STATEMENT, version: "1.0.9" }, ["1.0.3"]);
    for (const version of ["should fail", "0.9.9", "1.1.0", "2.0.0", "1.0."]) {
      expectProblem({ ...STATEMENT, version }, "statement.version", "version", ["1.0.3"]);
    }
  });

  it("2.0 accepts 2.0.x (and 1.0.x, for statements made under 1.0) but nothing else", () => {
    for (const version of ["2.0.0", "2.0", "1.0.3", "1.0"]) expectValid({ ...STATEMENT, version }, ["2.0.0"]);
    for (const version of ["should fail", "0.9.9", "1.1.0", "2.1.0", "3.0.0"]) {
      expectProblem({ ...STATEMENT, version }, "statement.version", "version", ["2.0.0"]);
    }
    expectProblem({ ...STATEMENT, version: 2 }, "statement.version", "type");
  });
});

describe("Agents and Groups", () => {
  it("rejects objectType values other than Agent and Group, wherever an Agent may be", () => {
    for (const objectType of ["agent", "group", 123, { key: "value" }]) {
      const agent = { ...AGENT, objectType };
      expectProblem({ ...STATEMENT, actor: agent }, "statement.actor.objectType", "object-type");
      expectProblem({ ...STATEMENT, authority: agent }, "statement.authority.objectType", "object-type");
      expectProblem(
        { ...STATEMENT, context: { instructor: agent } },
        "statement.context.instructor.objectType",
        "object-type",
      );
      expectProblem(inSubStatement({ actor: agent }), "statement.object.actor.objectType", "object-type");
    }
  });

  it("rejects an agent name that is not a string", () => {
    expectProblem({ ...STATEMENT, actor: { ...AGENT, name: 123 } }, "statement.actor.name", "type");
  });

  it("requires exactly one IFI on an Agent (XAPI-00032)", () => {
    const extra = [
      { account: { homePage: "http://www.example.com", name: "xAPI account name" } },
      { mbox_sha1sum: "cd9b00a5611f94eaa7b1661edab976068e364975" },
      { openid: "http://openid.example.org/12345" },
    ];
    for (const ifi of extra) {
      expectProblem({ ...STATEMENT, actor: { ...AGENT, ...ifi } }, "statement.actor", "ifi.exactly-one");
      expectProblem(
        { ...STATEMENT, authority: { ...AGENT, ...ifi } },
        "statement.authority",
        "ifi.exactly-one",
      );
      expectProblem(
        inSubStatement({ context: { instructor: { ...AGENT, ...ifi } } }),
        "statement.object.context.instructor",
        "ifi.exactly-one",
      );
    }
    expectProblem(
      { ...STATEMENT, actor: { objectType: "Agent", name: "nobody" } },
      "statement.actor",
      "ifi.exactly-one",
    );
  });

  it("requires mbox to be a mailto: IRI of an e-mail address (XAPI-00038)", () => {
    for (const mbox of [
      "http://should.fail.com",
      "mailto:should.fail.com",
      "xapi@adlnet.gov",
      "mailto:",
      "mailto:a@b?subject=x",
      12,
    ]) {
      expectProblem({ ...STATEMENT, actor: { mbox } }, "statement.actor.mbox", "mbox.mailto");
      expectProblem(
        { ...STATEMENT, actor: { objectType: "Group", mbox } },
        "statement.actor.mbox",
        "mbox.mailto",
      );
      expectProblem(
        { ...STATEMENT, object: { objectType: "Agent", mbox } },
        "statement.object.mbox",
        "mbox.mailto",
      );
    }
  });

  it("requires mbox_sha1sum to be 40 hex digits and openid a URI (XAPI-00039, XAPI-00040)", () => {
    expectProblem(
      { ...STATEMENT, actor: { mbox_sha1sum: { key: "value" } } },
      "statement.actor.mbox_sha1sum",
      "mbox_sha1sum.hex",
    );
    expectProblem(
      { ...STATEMENT, actor: { mbox_sha1sum: "cd9b00a5611f94eaa7b1661edab976068e36497" } },
      "statement.actor.mbox_sha1sum",
      "mbox_sha1sum.hex",
    );
    expectProblem(
      { ...STATEMENT, actor: { openid: "ab=c://should.fail.com" } },
      "statement.actor.openid",
      "uri",
    );
    expectProblem({ ...STATEMENT, actor: { openid: { key: "value" } } }, "statement.actor.openid", "uri");
  });

  it("requires an account's homePage (an IRL) and name (XAPI-00042, XAPI-00043)", () => {
    expectProblem(
      { ...STATEMENT, actor: { account: { name: "n" } } },
      "statement.actor.account.homePage",
      "required",
    );
    expectProblem(
      { ...STATEMENT, actor: { account: { homePage: "http://x.example" } } },
      "statement.actor.account.name",
      "required",
    );
    expectProblem(
      { ...STATEMENT, actor: { account: { homePage: "ab=c://should.fail.com", name: "n" } } },
      "statement.actor.account.homePage",
      "irl",
    );
    expectProblem(
      { ...STATEMENT, context: { team: { objectType: "Group", account: { name: "n" } } } },
      "statement.context.team.account.homePage",
      "required",
    );
    expectProblem(
      { ...STATEMENT, actor: { account: "http://x.example" } },
      "statement.actor.account",
      "type",
    );
  });

  it("requires member on an anonymous Group, as an array of Agents (XAPI-00035, XAPI-00036)", () => {
    const anonymous = { objectType: "Group", name: "no members" };
    expectProblem({ ...STATEMENT, actor: anonymous }, "statement.actor.member", "group.member.required");
    expectProblem(
      { ...STATEMENT, actor: { ...anonymous, member: [] } },
      "statement.actor.member",
      "group.member.required",
    );
    expectProblem(
      { ...STATEMENT, context: { team: anonymous } },
      "statement.context.team.member",
      "group.member.required",
    );
    expectProblem(
      { ...STATEMENT, context: { instructor: anonymous } },
      "statement.context.instructor.member",
      "group.member.required",
    );
    expectProblem({ ...STATEMENT, object: anonymous }, "statement.object.member", "group.member.required");
    expectProblem(
      inSubStatement({ actor: anonymous }),
      "statement.object.actor.member",
      "group.member.required",
    );
    expectProblem(
      { ...STATEMENT, actor: { ...GROUPS.identified_mbox, member: AGENT } },
      "statement.actor.member",
      "type",
    );
    expectProblem(
      { ...STATEMENT, actor: { objectType: "Group", member: [AGENT, GROUPS.identified_mbox] } },
      "statement.actor.member[1]",
      "group.member.agent",
    );
    expectProblem(
      { ...STATEMENT, actor: { objectType: "Group", member: [{ name: "x" }] } },
      "statement.actor.member[0]",
      "ifi.exactly-one",
    );
  });

  it("refuses member on an Agent and more than one IFI on a Group", () => {
    expectProblem(
      { ...STATEMENT, actor: { ...AGENT, member: [AGENT] } },
      "statement.actor.member",
      "unknown-property",
    );
    expectProblem(
      { ...STATEMENT, actor: { ...GROUPS.identified_mbox, openid: "http://openid.example.org/1" } },
      "statement.actor",
      "ifi.exactly-one",
    );
  });

  it("requires objectType on an Agent or Group used as an object (XAPI-00065)", () => {
    expectProblem(
      { ...STATEMENT, object: { mbox: "mailto:xapi@adlnet.gov" } },
      "statement.object.objectType",
      "required",
    );
    expectProblem({ ...STATEMENT, object: { member: [AGENT] } }, "statement.object.objectType", "required");
    expectProblem(
      inSubStatement({ object: { mbox: "mailto:xapi@adlnet.gov" } }),
      "statement.object.object.objectType",
      "required",
    );
  });

  it("requires team to be a Group (XAPI-00088)", () => {
    expectProblem({ ...STATEMENT, context: { team: AGENT } }, "statement.context.team", "group");
    expectProblem({ ...STATEMENT, context: { team: "should fail" } }, "statement.context.team", "type");
    expectProblem(
      inSubStatement({ context: { team: { key: "should fail" } } }),
      "statement.object.context.team",
      "group",
    );
    expectProblem(
      { ...STATEMENT, context: { instructor: { key: "should fail" } } },
      "statement.context.instructor",
      "ifi.exactly-one",
    );
    expectProblem(
      { ...STATEMENT, context: { instructor: "should fail" } },
      "statement.context.instructor",
      "type",
    );
  });

  it("accepts as authority an Agent or an anonymous Group of exactly two Agents only (XAPI-00024, XAPI-00098)", () => {
    expectValid({ ...STATEMENT, authority: AGENT });
    expectValid({ ...STATEMENT, authority: GROUPS.anonymous_two_member });
    for (const ifi of [{ mbox: "mailto:bob@example.com" }, { openid: "http://openid.example.org/1" }]) {
      expectProblem(
        { ...STATEMENT, authority: { ...GROUPS.anonymous_two_member, ...ifi } },
        "statement.authority",
        "authority.group",
      );
    }
    const members = GROUPS.anonymous_two_member.member;
    expectProblem(
      { ...STATEMENT, authority: { objectType: "Group", member: [members[1]] } },
      "statement.authority",
      "authority.group",
    );
    expectProblem(
      {
        ...STATEMENT,
        authority: { objectType: "Group", member: [...members, { mbox: "mailto:james@example.com" }] },
      },
      "statement.authority",
      "authority.group",
    );
    expectProblem(
      { ...STATEMENT, authority: GROUPS.identified_openid },
      "statement.authority",
      "authority.group",
    );
  });
});

describe("Verbs and language maps", () => {
  it("requires a verb id that is an IRI (XAPI-00044)", () => {
    expectProblem({ ...STATEMENT, verb: { display: VERB.display } }, "statement.verb.id", "required");
    expectProblem({ ...STATEMENT, verb: { id: "ab=c://should.fail.com" } }, "statement.verb.id", "iri");
    expectProblem(inSubStatement({ verb: "ab=c://should.fail.com" }), "statement.object.verb", "type");
  });

  it("requires display to be a non-empty language map with RFC 5646 keys (XAPI-00045, XAPI-00013, XAPI-00121)", () => {
    expectProblem({ ...STATEMENT, verb: { ...VERB, display: 12345 } }, "statement.verb.display", "type");
    expectProblem(
      { ...STATEMENT, verb: { ...VERB, display: "a12345 attended" } },
      "statement.verb.display",
      "type",
    );
    expectProblem({ ...STATEMENT, verb: { ...VERB, display: {} } }, "statement.verb.display", "language-map");
    for (const tag of [
      "a12345",
      "something",
      "en-something-AU",
      "de-419-DE",
      "zh-z-aaa-z-bbb-c-ccc",
      "en_US",
      "",
      "en-",
    ]) {
      const at = /^[A-Za-z_$][\w$]*$/.test(tag) ? `.${tag}` : `[${JSON.stringify(tag)}]`;
      expectProblem(
        { ...STATEMENT, verb: { ...VERB, display: { [tag]: "x" } } },
        `statement.verb.display${at}`,
        "language-map",
      );
    }
    expectProblem(
      inSubStatement({ verb: { ...VERB, display: { something: "x" } } }),
      "statement.object.verb.display.something",
      "language-map",
    );
  });

  it("checks the language maps of Activities, interaction components and attachments", () => {
    expectProblem(
      variant(STATEMENT, { "object.definition.name": { something: "x" } }),
      "statement.object.definition.name.something",
      "language-map",
    );
    expectProblem(
      variant(STATEMENT, { "object.definition.description": {} }),
      "statement.object.definition.description",
      "language-map",
    );
    expectProblem(
      variant(STATEMENT, { "object.definition.name": "should error" }),
      "statement.object.definition.name",
      "type",
    );
    expectProblem(
      variant(STATEMENT, {
        "object.definition": { ...INTERACTIONS.likert, scale: [{ id: "a", description: { "x-": "x" } }] },
      }),
      'statement.object.definition.scale[0].description["x-"]',
      "language-map",
    );
    expectProblem(
      { ...STATEMENT, attachments: [{ ...ATTACHMENT, display: { something: "x" } }] },
      "statement.attachments[0].display.something",
      "language-map",
    );
    expectProblem(
      { ...STATEMENT, attachments: [{ ...ATTACHMENT, description: {} }] },
      "statement.attachments[0].description",
      "language-map",
    );
  });
});

describe("objects", () => {
  it("requires an Activity id that is an IRI (XAPI-00047)", () => {
    expectProblem({ ...STATEMENT, object: { objectType: "Activity" } }, "statement.object.id", "required");
    expectProblem(
      { ...STATEMENT, object: { objectType: "Activity", id: "ab=c://should.fail.com" } },
      "statement.object.id",
      "iri",
    );
    expectProblem({ ...STATEMENT, object: { id: "should fail" } }, "statement.object.id", "iri");
    expectProblem(
      inSubStatement({ object: { objectType: "Activity" } }),
      "statement.object.object.id",
      "required",
    );
  });

  it("rejects objectType values no object has", () => {
    expectProblem(
      { ...STATEMENT, object: { ...STATEMENT_REF, objectType: "statementref" } },
      "statement.object.objectType",
      "object-type",
    );
    expectProblem(
      { ...STATEMENT, object: { ...SUBSTATEMENT, objectType: "substatement" } },
      "statement.object.objectType",
      "object-type",
    );
    expectProblem({ ...STATEMENT, object: "http://example.com" }, "statement.object", "type");
  });

  it("requires a StatementRef id (XAPI-00072, XAPI-00073)", () => {
    expectProblem(
      { ...STATEMENT, object: { objectType: "StatementRef" } },
      "statement.object.id",
      "required",
    );
    expectProblem(
      { ...STATEMENT, object: { ...STATEMENT_REF, id: "should fail" } },
      "statement.object.id",
      "uuid",
    );
    expectProblem(
      inSubStatement({ object: { objectType: "StatementRef" } }),
      "statement.object.object.id",
      "required",
    );
  });

  it("rejects a SubStatement inside a SubStatement (XAPI-00071)", () => {
    expectProblem(inSubStatement({ object: SUBSTATEMENT }), "statement.object.object", "substatement.nested");
  });

  it("checks the Activity Definition (XAPI-00048, XAPI-00056-61)", () => {
    expectProblem(
      variant(STATEMENT, { "object.definition": "should error" }),
      "statement.object.definition",
      "type",
    );
    expectProblem(variant(STATEMENT, { "object.definition": 12345 }), "statement.object.definition", "type");
    expectProblem(
      variant(STATEMENT, { "object.definition": { type: "should error" } }),
      "statement.object.definition.type",
      "iri",
    );
    expectProblem(
      variant(STATEMENT, { "object.definition": { moreInfo: "should error" } }),
      "statement.object.definition.moreInfo",
      "irl",
    );
    expectProblem(
      variant(STATEMENT, { "object.definition": { extensions: "should error" } }),
      "statement.object.definition.extensions",
      "type",
    );
    expectProblem(
      inSubStatement({
        "object.definition": { extensions: { id: "valid", description: { "en-US": "valid" } } },
      }),
      "statement.object.object.definition.extensions.id",
      "iri",
    );
  });

  it("requires interactionType with correctResponsesPattern or component lists (XAPI-00064)", () => {
    for (const [type, definition] of Object.entries(INTERACTIONS)) {
      const { interactionType: _, ...withoutType } = definition;
      const problems = validateStatement(variant(STATEMENT, { "object.definition": withoutType }), "2.0.0");
      expect(
        problems.map((p) => p.rule),
        type,
      ).toContain("interaction-type.required");
    }
  });

  it("rejects interactionType values that are not in the list (XAPI-00049)", () => {
    for (const interactionType of ["http://should.fail", 12345, { key: 1 }, "should error"]) {
      expectProblem(
        variant(STATEMENT, { "object.definition": { interactionType } }),
        "statement.object.definition.interactionType",
        "interaction-type",
      );
    }
  });

  it("allows component lists only with their interaction types, with distinct ids", () => {
    expectProblem(
      variant(STATEMENT, { "object.definition": { ...INTERACTIONS.likert, interactionType: "choice" } }),
      "statement.object.definition.scale",
      "interaction-component.type",
    );
    expectProblem(
      variant(STATEMENT, {
        "object.definition": { ...INTERACTIONS.choice, choices: [{ id: "a" }, { id: "a" }] },
      }),
      "statement.object.definition.choices[1].id",
      "interaction-component.id.unique",
    );
    expectProblem(
      variant(STATEMENT, {
        "object.definition": { ...INTERACTIONS.choice, choices: [{ description: { en: "x" } }] },
      }),
      "statement.object.definition.choices[0].id",
      "required",
    );
    expectProblem(
      variant(STATEMENT, {
        "object.definition": { ...INTERACTIONS.choice, correctResponsesPattern: "golf" },
      }),
      "statement.object.definition.correctResponsesPattern",
      "type",
    );
  });
});

describe("result (XAPI-00079-83, XAPI-00124)", () => {
  it("requires score to be an object", () => {
    expectProblem({ ...STATEMENT, result: { score: 12345 } }, "statement.result.score", "type");
    expectProblem(
      inSubStatement({ result: { score: "should fail" } }),
      "statement.object.result.score",
      "type",
    );
  });

  it("bounds scaled to [-1, 1] and raw to [min, max], with min < max", () => {
    expectProblem(
      { ...STATEMENT, result: { score: { scaled: 1.01 } } },
      "statement.result.score.scaled",
      "score.scaled.range",
    );
    expectProblem(
      inSubStatement({ result: { score: { scaled: -1.00001 } } }),
      "statement.object.result.score.scaled",
      "score.scaled.range",
    );
    expectProblem(
      { ...STATEMENT, result: { score: { raw: 0.6767676, max: 0.6567676 } } },
      "statement.result.score.raw",
      "score.raw.range",
    );
    expectProblem(
      { ...STATEMENT, result: { score: { raw: 0.6767676, min: 1.4067676 } } },
      "statement.result.score.raw",
      "score.raw.range",
    );
    expectProblem(
      { ...STATEMENT, result: { score: { min: 0.6767676, max: 0.6767355, raw: 0.6767643 } } },
      "statement.result.score.min",
      "score.min-max",
    );
    expectProblem(
      { ...STATEMENT, result: { score: { min: 5, max: 5 } } },
      "statement.result.score.min",
      "score.min-max",
    );
  });

  it("rejects durations outside ISO 8601 §4.4.3.2", () => {
    for (const duration of [
      "should fail",
      "PA1H0M0S",
      "P4W1D",
      "P",
      "PT",
      "P1DT",
      "P0003-06-04T12:30:05",
      "PT1.5H30M",
      "P1M1Y",
      "-P1D",
    ]) {
      expectProblem({ ...STATEMENT, result: { duration } }, "statement.result.duration", "duration.iso8601");
    }
    expectProblem({ ...STATEMENT, result: { duration: 12345 } }, "statement.result.duration", "type");
    expectProblem(
      inSubStatement({ result: { duration: { key: "invalid" } } }),
      "statement.object.result.duration",
      "type",
    );
  });
});

describe("context (XAPI-00084-94)", () => {
  it("allows revision and platform only when the object is an Activity", () => {
    const objects = [AGENT, GROUPS.identified_mbox, STATEMENT_REF, SUBSTATEMENT];
    for (const object of objects) {
      for (const key of ["revision", "platform"]) {
        expectProblem(
          { ...STATEMENT, object, context: { [key]: "x" } },
          `statement.context.${key}`,
          "context.activity-only",
        );
        if (object !== SUBSTATEMENT) {
          expectProblem(
            inSubStatement({ object, context: { [key]: "x" } }),
            `statement.object.context.${key}`,
            "context.activity-only",
          );
        }
      }
    }
  });

  it("checks the types of context properties", () => {
    for (const key of ["revision", "platform"]) {
      expectProblem({ ...STATEMENT, context: { [key]: 12345 } }, `statement.context.${key}`, "type");
      expectProblem(
        inSubStatement({ context: { [key]: { key: 1 } } }),
        `statement.object.context.${key}`,
        "type",
      );
    }
    expectProblem({ ...STATEMENT, context: { language: 12345 } }, "statement.context.language", "type");
    expectProblem(
      { ...STATEMENT, context: { language: "something" } },
      "statement.context.language",
      "language-tag",
    );
    expectProblem(
      inSubStatement({ context: { language: { a12345: "x" } } }),
      "statement.object.context.language",
      "type",
    );
    expectProblem(
      { ...STATEMENT, context: { contextActivities: "should fail" } },
      "statement.context.contextActivities",
      "type",
    );
    expectProblem(
      { ...STATEMENT, context: { statement: { objectType: "statementref", id: STATEMENT_REF.id } } },
      "statement.context.statement.objectType",
      "object-type",
    );
    expectProblem(
      { ...STATEMENT, context: { statement: { id: STATEMENT_REF.id } } },
      "statement.context.statement.objectType",
      "required",
    );
    expectProblem({ ...STATEMENT, context: "x" }, "statement.context", "type");
  });

  it("accepts contextActivities keys parent, grouping, category, other only, as an Activity or array of Activities", () => {
    for (const key of ["parent", "grouping", "category", "other"]) {
      expectValid({ ...STATEMENT, context: { contextActivities: { [key]: ACTIVITY } } });
      expectValid(inSubStatement({ context: { contextActivities: { [key]: [ACTIVITY] } } }));
    }
    expectProblem(
      { ...STATEMENT, context: { contextActivities: { invalid: ACTIVITY } } },
      "statement.context.contextActivities.invalid",
      "unknown-property",
    );
    expectProblem(
      { ...STATEMENT, context: { contextActivities: { other: [ACTIVITY, { key: "should fail" }] } } },
      "statement.context.contextActivities.other[1].id",
      "required",
    );
    expectProblem(
      inSubStatement({ context: { contextActivities: { other: [{ key: "should fail" }, ACTIVITY] } } }),
      "statement.object.context.contextActivities.other[0].key",
      "unknown-property",
    );
    expectProblem(
      { ...STATEMENT, context: { contextActivities: { parent: [AGENT] } } },
      "statement.context.contextActivities.parent[0].objectType",
      "object-type",
    );
  });
});

describe("xAPI 2.0 contextAgents and contextGroups", () => {
  const contextAgents = [
    {
      objectType: "contextAgent",
      agent: { objectType: "Agent", mbox: "mailto:player-1@example.com" },
      relevantTypes: ["https://example.com/xapi/american-footbal/activity-types/personnel/player"],
    },
  ];
  const contextGroups = [
    {
      objectType: "contextGroup",
      group: {
        objectType: "Group",
        mbox: "mailto:team-1@example.com",
        member: [{ mbox: "mailto:player-1@example.com" }],
      },
      relevantTypes: ["https://example.com/xapi/american-footbal/activity-types/team/a"],
    },
  ];

  it("accepts them under 2.0, in statements and SubStatements", () => {
    expectValid({ ...STATEMENT, context: { contextAgents, contextGroups } }, ["2.0.0"]);
    expectValid(inSubStatement({ context: { contextAgents, contextGroups } }), ["2.0.0"]);
  });

  it("rejects them as unknown properties under 1.0.3", () => {
    expectProblem(
      { ...STATEMENT, context: { contextAgents } },
      "statement.context.contextAgents",
      "unknown-property",
      ["1.0.3"],
    );
    expectProblem(
      inSubStatement({ context: { contextGroups } }),
      "statement.object.context.contextGroups",
      "unknown-property",
      ["1.0.3"],
    );
  });

  it("requires their objectType, a valid agent or group, and non-empty IRI relevantTypes", () => {
    const v2: XapiVersion[] = ["2.0.0"];
    const agentAt = (changes: Json) => ({
      ...STATEMENT,
      context: { contextAgents: [{ ...contextAgents[0], ...changes }] },
    });
    const groupAt = (changes: Json) =>
      inSubStatement({ context: { contextGroups: [{ ...contextGroups[0], ...changes }] } });
    expectProblem(
      agentAt({ objectType: "Should fail" }),
      "statement.context.contextAgents[0].objectType",
      "object-type",
      v2,
    );
    expectProblem(
      agentAt({ objectType: undefined }),
      "statement.context.contextAgents[0].objectType",
      "required",
      v2,
    );
    expectProblem(
      agentAt({ agent: { key: "Should fail" } }),
      "statement.context.contextAgents[0].agent.key",
      "unknown-property",
      v2,
    );
    expectProblem(
      agentAt({ agent: GROUPS.identified_mbox }),
      "statement.context.contextAgents[0].agent",
      "agent",
      v2,
    );
    expectProblem(
      agentAt({ relevantTypes: [] }),
      "statement.context.contextAgents[0].relevantTypes",
      "relevant-types.empty",
      v2,
    );
    expectProblem(
      agentAt({ relevantTypes: ["abc"] }),
      "statement.context.contextAgents[0].relevantTypes[0]",
      "iri",
      v2,
    );
    expectProblem(
      groupAt({ objectType: "Should fail", member: [] }),
      "statement.object.context.contextGroups[0].objectType",
      "object-type",
      v2,
    );
    expectProblem(
      groupAt({ objectType: "Should fail", member: [] }),
      "statement.object.context.contextGroups[0].member",
      "unknown-property",
      v2,
    );
    expectProblem(
      groupAt({ group: { key: "Should fail" } }),
      "statement.object.context.contextGroups[0].group",
      "group",
      v2,
    );
    expectProblem(
      groupAt({ relevantTypes: [] }),
      "statement.object.context.contextGroups[0].relevantTypes",
      "relevant-types.empty",
      v2,
    );
    expectProblem(
      groupAt({ relevantTypes: ["abc"] }),
      "statement.object.context.contextGroups[0].relevantTypes[0]",
      "iri",
      v2,
    );
    expectProblem(
      { ...STATEMENT, context: { contextAgents: contextAgents[0] } },
      "statement.context.contextAgents",
      "type",
      v2,
    );
  });
});

describe("attachments (XAPI-00025, XAPI-00102-107)", () => {
  it("requires an array of Attachment objects", () => {
    expectValid({ ...STATEMENT, attachments: [ATTACHMENT] });
    expectProblem({ ...STATEMENT, attachments: ATTACHMENT }, "statement.attachments", "type");
    expectProblem({ ...STATEMENT, attachments: [12345] }, "statement.attachments[0]", "type");
    expectProblem({ ...STATEMENT, attachments: ["should fail"] }, "statement.attachments[0]", "type");
  });

  it("checks each Attachment property", () => {
    const at = (changes: Json) => ({ ...STATEMENT, attachments: [{ ...ATTACHMENT, ...changes }] });
    expectProblem(at({ usageType: "should fail" }), "statement.attachments[0].usageType", "iri");
    expectProblem(at({ contentType: 999 }), "statement.attachments[0].contentType", "type");
    expectProblem(at({ contentType: "text" }), "statement.attachments[0].contentType", "media-type");
    expectProblem(at({ length: "should fail" }), "statement.attachments[0].length", "integer");
    expectProblem(at({ length: 2.5 }), "statement.attachments[0].length", "integer");
    expectProblem(at({ sha2: 12345 }), "statement.attachments[0].sha2", "type");
    expectProblem(at({ sha2: "zz" }), "statement.attachments[0].sha2", "sha2.hex");
    expectProblem(at({ fileUrl: "should fail" }), "statement.attachments[0].fileUrl", "irl");
    expectProblem(at({ display: 12345 }), "statement.attachments[0].display", "type");
    expectProblem(at({ description: "should error" }), "statement.attachments[0].description", "type");
    for (const key of ["usageType", "display", "contentType", "length", "sha2"]) {
      expectProblem(at({ [key]: undefined }), `statement.attachments[0].${key}`, "required");
    }
    expectValid(at({ fileUrl: undefined, description: undefined }));
  });
});

describe("voiding, extensions depth, batches", () => {
  it("requires a voiding statement's object to be a StatementRef", () => {
    const voided = { id: "http://adlnet.gov/expapi/verbs/voided", display: { "en-US": "voided" } };
    expectValid({ ...STATEMENT, verb: voided, object: STATEMENT_REF });
    expectProblem({ ...STATEMENT, verb: voided }, "statement.object", "voiding.statement-ref");
  });

  it("bounds the nesting of extension values, iteratively (10,000 levels do not overflow the stack)", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 10_000; i++) deep = { a: [deep] };
    const extensions = { "http://example.com/deep": deep };
    expectProblem(
      { ...STATEMENT, result: { extensions } },
      'statement.result.extensions["http://example.com/deep"]',
      "depth",
    );
    let ok: unknown = 1;
    for (let i = 0; i < MAX_EXTENSION_DEPTH; i++) ok = [ok];
    expectValid({ ...STATEMENT, context: { extensions: { "http://example.com/ok": ok } } });
  });

  it("validates a batch with statements[i] paths and rejects repeated ids", () => {
    const id = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0";
    expect(validateStatements([STATEMENT, { ...STATEMENT, id }], "2.0.0")).toEqual([]);
    const problems = validateStatements(
      [{ ...STATEMENT, id }, STATEMENT, { ...STATEMENT, id: id.toUpperCase() }],
      "1.0.3",
    );
    expect(problems).toEqual([
      expect.objectContaining({ path: "statements[2].id", rule: "statements.duplicate-id" }),
    ]);
    expect(validateStatements([STATEMENT, { ...STATEMENT, actor: undefined }], "2.0.0")).toEqual([
      expect.objectContaining({ path: "statements[1].actor", rule: "required" }),
    ]);
    expect(validateStatements({ ...STATEMENT, verb: undefined }, "2.0.0")).toEqual([
      expect.objectContaining({ path: "statement.verb", rule: "required" }),
    ]);
  });

  it("validates the agent parameter: an Agent or an identified Group", () => {
    expect(validateAgent(AGENT, "2.0.0")).toEqual([]);
    expect(validateAgent({ mbox: "mailto:a@b.example" }, "1.0.3")).toEqual([]);
    expect(validateAgent(GROUPS.identified_account, "2.0.0")).toEqual([]);
    expect(validateAgent(GROUPS.anonymous_two_member, "2.0.0")).toEqual([
      expect.objectContaining({ path: "agent", rule: "agent.identified" }),
    ]);
    expect(validateAgent({ mbox: "bob" }, "2.0.0", "params.agent")).toEqual([
      expect.objectContaining({ path: "params.agent.mbox", rule: "mbox.mailto" }),
    ]);
    expect(validateAgent("mailto:a@b.c", "2.0.0")).toEqual([
      expect.objectContaining({ path: "agent", rule: "type" }),
    ]);
  });
});

describe("predicates", () => {
  it("isIri accepts absolute IRIs only", () => {
    for (const iri of [
      "http://example.com/a?b=c#d",
      "course-v1:FUN-MOOC+00002+session01",
      "urn:uuid:1",
      "http://例え.jp/パス",
      "mailto:a@b.c",
    ]) {
      expect(isIri(iri), iri).toBe(true);
    }
    for (const iri of [
      "ab=c://should.fail.com",
      "should fail",
      "abc",
      "",
      ":x",
      "1http://x",
      "http:",
      "http://a b",
      "http://x/%zz",
      "http://x#a#b",
      "http://x/<y>",
      7,
    ]) {
      expect(isIri(iri), String(iri)).toBe(false);
    }
  });

  it("isIrl requires an authority", () => {
    expect(isIrl("http://fun-mooc.fr")).toBe(true);
    expect(isIrl("urn:isbn:123")).toBe(false);
    expect(isIrl("http:///x")).toBe(false);
  });

  it("isMailtoIri, isUuid, isLanguageTag, isMediaType", () => {
    expect(isMailtoIri("mailto:xapi@adlnet.gov")).toBe(true);
    expect(isMailtoIri("MAILTO:Xapi@ADLNET.gov")).toBe(true);
    expect(isMailtoIri("mailto:a@-b.c")).toBe(false);
    expect(isUuid("00000000-0000-0000-0000-000000000000")).toBe(true);
    expect(isUuid("fd41c918b88b4b20a0a5a4c32391aaa0")).toBe(false);
    for (const tag of [
      "en",
      "en-US",
      "zh-yue-HK",
      "x-private",
      "en-x-a",
      "i-klingon",
      "en-GB-oed",
      "de-CH-1901",
      "sl-rozaj-biske",
      "en-a-bbb-x-a-ccc",
    ]) {
      expect(isLanguageTag(tag), tag).toBe(true);
    }
    for (const tag of ["sl-rozaj-rozaj", "x", "en-a", "a", "e1", "en--US"])
      expect(isLanguageTag(tag), tag).toBe(false);
    for (const type of [
      "text/plain",
      "text/plain; charset=ascii",
      'multipart/mixed; boundary="a b"',
      "application/octet-stream",
    ]) {
      expect(isMediaType(type), type).toBe(true);
    }
    for (const type of ["text", "text/", "/plain", "text/plain;", "text/plain; charset", "text plain"])
      expect(isMediaType(type), type).toBe(false);
  });

  it("parseTimestamp reads instants in any offset, basic or extended", () => {
    const expected = Date.UTC(2013, 4, 18, 5, 32, 34, 804);
    expect(parseTimestamp("2013-05-18T05:32:34.804Z")).toBe(expected);
    expect(parseTimestamp("2013-05-18T07:32:34.804+02:00")).toBe(expected);
    expect(parseTimestamp("2013-05-18T00:32:34.804-0500")).toBe(expected);
    expect(parseTimestamp("20130518T053234.804Z")).toBe(expected);
    expect(parseTimestamp("2013-05-18T05:32:34.804219")).toBe(expected);
    expect(parseTimestamp("2013-05-18 05:32:34.8049+00")).toBe(expected);
    expect(parseTimestamp("2021-11-29T23:09:00.867219+00:00")).toBe(Date.UTC(2021, 10, 29, 23, 9, 0, 867));
    expect(parseTimestamp("2013-05-18T05:32Z")).toBe(Date.UTC(2013, 4, 18, 5, 32));
    expect(parseTimestamp("0001-01-01T00:00:00Z")).toBe(new Date("0001-01-01T00:00:00Z").getTime());
    for (const bad of [
      "2013-02-29T00:00:00Z",
      "2013-13-01T00:00:00Z",
      "2013-05-18",
      "2013-05-18T24:00:00Z",
      "2013-05-18T05:32:34.Z",
      "2013-05-18T05:32:34+2",
      "2013-05-1805:32:34Z",
    ]) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
    expect(parseTimestamp("2012-02-29T00:00:00Z")).toBe(Date.UTC(2012, 1, 29));
  });

  it("isIsoDuration", () => {
    expect(isIsoDuration("P1Y2M3DT4H5M6.7S")).toBe(true);
    expect(isIsoDuration("PT0,5S")).toBe(true);
    expect(isIsoDuration("P1.5D")).toBe(true);
    expect(isIsoDuration("P1.5DT1H")).toBe(false);
  });
});
