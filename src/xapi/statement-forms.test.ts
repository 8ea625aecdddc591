import { describe, expect, it } from "vitest";
import { sameStatement } from "./compare.js";
import { filterLanguageMap, formatStatement, parseAcceptLanguage } from "./format.js";
import { agentIfi, sameAgent } from "./ifi.js";
import { normalizeStatement } from "./normalize.js";
import type { Activity, Statement, StoredStatement } from "./types.js";
import { validateStatement } from "./validate.js";

const ACTOR = { objectType: "Agent" as const, name: "Ann", mbox: "mailto:Ann@Example.COM" };
const VERB = {
  id: "http://adlnet.gov/expapi/verbs/attended",
  display: { "en-US": "attended", "fr-FR": "a assisté", de: "besucht" },
};
const ACTIVITY: Activity = {
  objectType: "Activity",
  id: "http://example.com/meeting/1",
  definition: {
    name: { "en-US": "Meeting", "en-GB": "Meeting (GB)", fr: "Réunion" },
    description: { "en-US": "A meeting", fr: "Une réunion" },
    type: "http://adlnet.gov/expapi/activities/meeting",
    interactionType: "choice",
    choices: [{ id: "a", description: { "en-US": "A", fr: "A (fr)" } }],
  },
};

function stored(s: Statement): StoredStatement {
  return {
    id: "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    timestamp: "2013-05-18T05:32:34.804Z",
    stored: "2013-05-18T05:32:35.000Z",
    authority: { objectType: "Agent", account: { homePage: "http://lrs.example.com", name: "client" } },
    version: "2.0.0",
    ...s,
  };
}

describe("agentIfi and sameAgent", () => {
  it("gives one canonical key per IFI kind, that different IFIs never share", () => {
    expect(agentIfi({ mbox: "MAILTO:Ann@Example.COM" })).toBe("mbox:mailto:Ann@example.com");
    expect(agentIfi({ mbox_sha1sum: "CD9B00A5611F94EAA7B1661EDAB976068E364975" })).toBe(
      "mbox_sha1sum:cd9b00a5611f94eaa7b1661edab976068e364975",
    );
    expect(agentIfi({ openid: "http://openid.example.org/1" })).toBe("openid:http://openid.example.org/1");
    expect(agentIfi({ account: { homePage: "http://a.example", name: "b c" } })).toBe(
      "account:http://a.example b c",
    );
    expect(agentIfi({ account: { homePage: "http://a.example", name: "b c" } })).not.toBe(
      agentIfi({ account: { homePage: "http://a.example b", name: "c" } }) ?? "",
    );
    expect(agentIfi({ objectType: "Group", member: [ACTOR] })).toBeUndefined();
  });

  it("compares Agents by kind and IFI; anonymous Groups are never the same", () => {
    expect(sameAgent({ mbox: "mailto:ann@example.com" }, { ...ACTOR, name: "Other" })).toBe(false);
    expect(sameAgent({ mbox: "mailto:Ann@example.com" }, ACTOR)).toBe(true);
    expect(
      sameAgent({ mbox: "mailto:Ann@example.com" }, { objectType: "Group", mbox: "mailto:Ann@example.com" }),
    ).toBe(false);
    const anonymous = { objectType: "Group" as const, member: [ACTOR] };
    expect(sameAgent(anonymous, anonymous)).toBe(false);
  });
});

describe("normalizeStatement", () => {
  it("turns single context Activities into arrays, in statements and SubStatements, without mutating the input", () => {
    const context = {
      contextActivities: { parent: { id: "http://example.com/p" }, other: [{ id: "http://example.com/o" }] },
    };
    const input = {
      actor: ACTOR,
      verb: VERB,
      object: {
        objectType: "SubStatement",
        actor: ACTOR,
        verb: VERB,
        object: { id: "http://example.com/x" },
        context,
      },
      context,
    } as unknown as Statement;
    const before = JSON.stringify(input);
    const out = normalizeStatement(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.context?.contextActivities?.parent).toEqual([{ id: "http://example.com/p" }]);
    expect(out.context?.contextActivities?.other).toEqual([{ id: "http://example.com/o" }]);
    const sub = out.object as { context: Statement["context"]; object: Activity };
    expect(sub.context?.contextActivities?.parent).toEqual([{ id: "http://example.com/p" }]);
    expect(sub.object).toEqual({ id: "http://example.com/x", objectType: "Activity" });
  });

  it("adds objectType Activity to an object without one and lower-cases UUIDs", () => {
    const out = normalizeStatement({
      id: "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
      actor: ACTOR,
      verb: VERB,
      object: { id: "http://example.com/x" },
      context: {
        registration: "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
        statement: { objectType: "StatementRef", id: "AB531277-B57B-4C15-8D91-D292C5B2B8F7" },
      },
    });
    expect(out.object).toEqual({ id: "http://example.com/x", objectType: "Activity" });
    expect(out.id).toBe("fd41c918-b88b-4b20-a0a5-a4c32391aaa0");
    expect(out.context?.registration).toBe("ec531277-b57b-4c15-8d91-d292c5b2b8f7");
    expect(out.context?.statement?.id).toBe("ab531277-b57b-4c15-8d91-d292c5b2b8f7");
    expect(
      normalizeStatement({
        actor: ACTOR,
        verb: VERB,
        object: { objectType: "StatementRef", id: "AB531277-B57B-4C15-8D91-D292C5B2B8F7" },
      }).object,
    ).toEqual({
      objectType: "StatementRef",
      id: "ab531277-b57b-4c15-8d91-d292c5b2b8f7",
    });
    expect(validateStatement(out, "1.0.3")).toEqual([]);
  });
});

describe("sameStatement", () => {
  const base: Statement = {
    actor: ACTOR,
    verb: VERB,
    object: ACTIVITY,
    result: { duration: "PT1H", score: { raw: 1 } },
    context: {
      registration: "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
      contextActivities: { parent: [{ id: "http://example.com/p" }] },
      language: "en-US",
    },
    timestamp: "2013-05-18T05:32:34.804Z",
  };

  it("ignores what the LRS sets, Activity Definitions, Verb displays, key order and normalized forms", () => {
    const other: Statement = {
      timestamp: "2013-05-18T07:32:34.804+02:00",
      context: {
        language: "EN-us",
        contextActivities: { parent: { id: "http://example.com/p" } as unknown as Activity[] },
        registration: "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
      },
      result: { score: { raw: 1 }, duration: "PT1H" },
      object: { id: ACTIVITY.id },
      verb: { id: VERB.id },
      actor: { name: "Ann", mbox: "mailto:Ann@example.com" },
      id: "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
      stored: "2020-01-01T00:00:00Z",
      authority: ACTOR,
      version: "1.0.0",
      attachments: [],
    };
    expect(sameStatement(base, other)).toBe(true);
    expect(sameStatement(base, normalizeStatement(base))).toBe(true);
    expect(sameStatement(base, { ...base, timestamp: undefined })).toBe(true);
  });

  it("ignores the order of a Group's members", () => {
    const a = { objectType: "Agent" as const, mbox: "mailto:a@example.com" };
    const b = { objectType: "Agent" as const, mbox: "mailto:b@example.com" };
    expect(
      sameStatement(
        { ...base, actor: { objectType: "Group", member: [a, b] } },
        { ...base, actor: { objectType: "Group", member: [b, a] } },
      ),
    ).toBe(true);
  });

  it("sees every other difference, Result Duration serialization included", () => {
    expect(sameStatement(base, { ...base, timestamp: "2013-05-18T05:32:34.805Z" })).toBe(false);
    expect(sameStatement(base, { ...base, result: { duration: "PT60M", score: { raw: 1 } } })).toBe(false);
    expect(sameStatement(base, { ...base, actor: { ...ACTOR, mbox: "mailto:ann@Example.COM" } })).toBe(false);
    expect(sameStatement(base, { ...base, actor: { ...ACTOR, name: "Anne" } })).toBe(false);
    expect(sameStatement(base, { ...base, verb: { id: "http://adlnet.gov/expapi/verbs/voided" } })).toBe(
      false,
    );
    expect(
      sameStatement(base, { ...base, object: { ...ACTIVITY, id: "http://example.com/meeting/2" } }),
    ).toBe(false);
    expect(
      sameStatement(base, { ...base, context: { ...base.context, extensions: { "http://e.example/x": 1 } } }),
    ).toBe(false);
    expect(
      sameStatement(base, {
        ...base,
        context: { ...base.context, contextActivities: { grouping: [{ id: "http://example.com/p" }] } },
      }),
    ).toBe(false);
  });
});

describe("formats", () => {
  const sub = {
    objectType: "SubStatement" as const,
    actor: {
      objectType: "Group" as const,
      name: "Team",
      member: [ACTOR, { name: "Bob", openid: "http://openid.example.org/bob" }],
    },
    verb: VERB,
    object: ACTIVITY,
    context: { instructor: ACTOR, contextActivities: { category: [ACTIVITY] } },
  };
  const statement = stored({
    actor: ACTOR,
    verb: VERB,
    object: sub,
    context: {
      team: {
        objectType: "Group",
        name: "T",
        account: { homePage: "http://example.com", name: "team" },
        member: [ACTOR],
      },
      contextActivities: { parent: [ACTIVITY] },
      contextAgents: [{ objectType: "contextAgent", agent: ACTOR }],
    },
  });

  it("exact returns the statement as stored", () => {
    expect(formatStatement(statement, "exact", ["fr"])).toBe(statement);
  });

  it("ids keeps only identifiers, inside SubStatements, contexts and the authority", () => {
    const out = formatStatement(statement, "ids", []);
    expect(out.actor).toEqual({ objectType: "Agent", mbox: "mailto:Ann@Example.COM" });
    expect(out.verb).toEqual({ id: VERB.id });
    expect(out.authority).toEqual({
      objectType: "Agent",
      account: { homePage: "http://lrs.example.com", name: "client" },
    });
    expect(out.context?.team).toEqual({
      objectType: "Group",
      account: { homePage: "http://example.com", name: "team" },
    });
    expect(out.context?.contextActivities?.parent).toEqual([{ id: ACTIVITY.id }]);
    expect(out.context?.contextAgents?.[0]?.agent).toEqual({ objectType: "Agent", mbox: ACTOR.mbox });
    const s = out.object as typeof sub;
    expect(s.actor).toEqual({
      objectType: "Group",
      member: [
        { objectType: "Agent", mbox: ACTOR.mbox },
        { objectType: "Agent", openid: "http://openid.example.org/bob" },
      ],
    });
    expect(s.object).toEqual({ id: ACTIVITY.id });
    expect(s.context.instructor).toEqual({ objectType: "Agent", mbox: ACTOR.mbox });
    expect(s.context.contextActivities.category).toEqual([{ id: ACTIVITY.id }]);
    expect(out.id).toBe(statement.id);
    expect(validateStatement(out, "2.0.0")).toEqual([]);
  });

  it("canonical filters language maps to the best match and uses the canonical Activity definition", () => {
    const canonicalDefinition = { name: { "en-US": "Canonical meeting", fr: "Réunion canonique" } };
    const out = formatStatement(statement, "canonical", ["fr-CA", "en"], (id) =>
      id === ACTIVITY.id ? { id, definition: canonicalDefinition } : undefined,
    );
    expect(out.verb.display).toEqual({ "fr-FR": "a assisté" });
    expect(out.actor).toBe(statement.actor);
    const s = out.object as typeof sub;
    expect(s.object.definition).toEqual({ name: { fr: "Réunion canonique" } });
    expect(out.context?.contextActivities?.parent?.[0]?.definition).toEqual({
      name: { fr: "Réunion canonique" },
    });
    const noCanonical = formatStatement(statement, "canonical", ["en-GB"]);
    const definition = (noCanonical.object as typeof sub).object.definition;
    expect(definition?.name).toEqual({ "en-GB": "Meeting (GB)" });
    expect(definition?.description).toEqual({ "en-US": "A meeting" });
    expect(definition?.choices).toEqual([{ id: "a", description: { "en-US": "A" } }]);
    expect(statement.verb.display).toEqual(VERB.display);
  });

  it("parses Accept-Language by quality, then order", () => {
    expect(parseAcceptLanguage("da, en-gb;q=0.8, en;q=0.7")).toEqual(["da", "en-gb", "en"]);
    expect(parseAcceptLanguage("en;q=0.5, fr, *;q=0.1, de;q=0")).toEqual(["fr", "en", "*"]);
    expect(parseAcceptLanguage(undefined)).toEqual([]);
    expect(parseAcceptLanguage("not a tag!, en")).toEqual(["en"]);
  });

  it("filters a language map by lookup, falling back to the first entry", () => {
    const map = { "en-US": "color", "en-GB": "colour", fr: "couleur" };
    expect(filterLanguageMap(map, ["en-GB"])).toEqual({ "en-GB": "colour" });
    expect(filterLanguageMap(map, ["fr-CA"])).toEqual({ fr: "couleur" });
    expect(filterLanguageMap(map, ["en"])).toEqual({ "en-US": "color" });
    expect(filterLanguageMap(map, ["de", "*"])).toEqual({ "en-US": "color" });
    expect(filterLanguageMap(map, ["de"])).toEqual({ "en-US": "color" });
    expect(filterLanguageMap(map, [])).toBe(map);
  });
});
