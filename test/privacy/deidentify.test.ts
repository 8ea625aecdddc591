/** De-identification rules on generated statements holding identifiers in every field that can carry them. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Deidentifier, deidentify, offsetSeconds } from "../../src/privacy/deidentify.js";
import { LeakCheck } from "../../src/privacy/deidentify-leaks.js";
import {
  type DeidentificationProfile,
  loadProfile,
  ProfileError,
  parseProfile,
} from "../../src/privacy/profile.js";
import { NameIndex, parseRoster, Scrubber } from "../../src/privacy/scrub.js";
import { validateStatement } from "../../src/xapi/validate.js";
import { generatedStatements, IDS, PEOPLE, testPseudonymizer } from "./deidentify-helpers.js";

/** Output statements are read deep in these tests: JSON without a static shape. */
// biome-ignore lint/suspicious/noExplicitAny: see above
type J = any;

const FIXTURES = new URL("fixtures/deidentify/", import.meta.url).pathname;
const profile = loadProfile(`${FIXTURES}research.yaml`);
const roster = parseRoster(readFileSync(`${FIXTURES}roster.csv`, "utf8"));
const localKey = Buffer.alloc(32, 9);
const options = { pseudonymizer: testPseudonymizer(profile.domain), localKey, roster };

function withProfile(changes: Record<string, unknown>): DeidentificationProfile {
  const doc = { id: "p", version: "1", domain: profile.domain, ...changes };
  return parseProfile(doc);
}

function leakCheckOf(input: unknown[], output: unknown[]) {
  const check = new LeakCheck(new Scrubber(new NameIndex(roster)));
  for (const s of input) check.collect(s);
  output.forEach((s, i) => {
    check.search(s, i + 1);
  });
  return check.result();
}

describe("deidentify: generated statements with identifiers everywhere", () => {
  it("leaves none of the input's identifiers in the output, which is valid xAPI 2.0", async () => {
    const input = generatedStatements();
    const { statements, rejected, counts } = await deidentify(input, profile, options);
    expect(rejected).toEqual([]);
    expect(statements).toHaveLength(input.length);
    for (const s of statements) expect(validateStatement(s, "2.0.0")).toEqual([]);
    const leaks = leakCheckOf(input, statements);
    expect(leaks.found).toBe(0);
    expect(leaks.leaks).toEqual([]);
    for (const kind of [
      "mbox",
      "mbox_sha1sum",
      "openid",
      "account",
      "name",
      "email",
      "phone",
      "ine",
      "ip",
      "roster-name",
    ])
      expect(leaks.searchedByKind[kind as keyof typeof leaks.searchedByKind], kind).toBeGreaterThan(0);
    expect(counts.scrubbed.email).toBeGreaterThan(0);
    expect(counts.scrubbed.name).toBeGreaterThan(0);
    expect(counts.namesRemoved).toBeGreaterThan(10);
  });

  it("the check can fail: on the un-deidentified input it finds every kind of identifier", () => {
    const input = generatedStatements();
    const leaks = leakCheckOf(input, structuredClone(input));
    expect(leaks.found).toBe(leaks.searched);
    for (const kind of ["mbox", "name", "email", "phone", "ine", "account", "roster-name"])
      expect(leaks.foundByKind[kind as keyof typeof leaks.foundByKind], kind).toBeGreaterThan(0);
    // Places are reported, never values.
    expect(JSON.stringify(leaks.leaks)).not.toContain("Lovelace");
  });

  it("finds identifiers written another way: case, accents, separators, phone formats", () => {
    const input = [{ actor: { mbox: "mailto:Ada.Lovelace@Example.com", name: "Élodie Lefèvre" } }];
    const check = new LeakCheck(new Scrubber());
    for (const s of input) check.collect(s);
    check.collect("tél. 06 12 34 56 78");
    check.search({ a: "ada.lovelace@example.com" }, 1);
    check.search({ b: "ELODIE LEFEVRE" }, 2);
    check.search({ c: "+33612345678" }, 3);
    expect(check.result().foundByKind).toMatchObject({ mbox: 1, name: 1, phone: 1 });
    expect(new Set(check.result().leaks.map((l) => l.path))).toEqual(new Set(["$.a", "$.b", "$.c"]));
  });

  it("takes no identifier from a verb or an activity type (vocabulary), even one whose IRI looks like a user's URL", () => {
    const verb = {
      id: "https://xapi.edlm/profiles/edlm-lms/concepts/verbs/enrolled",
      display: { en: "Enrolled" },
    };
    const object = {
      id: "https://moodle.example/mod/assign/view.php?id=4",
      definition: { type: "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission" },
    };
    const check = new LeakCheck(new Scrubber());
    check.collect({ actor: { mbox: "mailto:ada@example.org" }, verb, object });
    check.search({ verb, object }, 1);
    expect(check.result().found).toBe(0);
    // The same IRI elsewhere than as a verb is still searched for.
    const other = new LeakCheck(new Scrubber());
    other.collect({ object: { id: "https://example.org/profiles/jdupont42" } });
    other.search({ object: { id: "https://example.org/profiles/jdupont42" } }, 1);
    expect(other.result().foundByKind).toMatchObject({ url: 1 });
    // An agent under a `verb` key (in an extension) is collected as any agent is.
    const agent = new LeakCheck(new Scrubber());
    agent.collect({
      context: { extensions: { "https://example.org/x": { verb: { mbox: "mailto:bob@example.org" } } } },
    });
    agent.search({ a: "bob@example.org" }, 1);
    expect(agent.result().foundByKind).toMatchObject({ mbox: 1 });
  });

  it("replaces every agent by a pseudonymous account of the domain, the same learner by the same pseudonym", async () => {
    const { statements } = await deidentify(generatedStatements(), profile, options);
    const [first, , voiding, mentoring, group] = statements as J[];
    const ada = first!.actor;
    expect(ada).toEqual({
      objectType: "Agent",
      account: { homePage: profile.domain, name: expect.any(String) },
    });
    expect(voiding!.actor).toEqual(ada);
    expect(mentoring!.object).toEqual(ada);
    // Upper-case MAILTO and address: the same person as the lower-case one.
    expect(mentoring!.actor).toEqual(first!.context.contextGroups[0].group.member[1]);
    expect(group!.actor.member[0]).toEqual(ada);
    expect(group!.actor.name).toBeUndefined();
    const team = first!.context.team;
    expect(team.account.homePage).toBe(profile.domain);
    expect(team.member).toHaveLength(4);
    for (const m of team.member) expect(Object.keys(m).sort()).toEqual(["account", "objectType"]);
    expect(first!.authority.account.homePage).toBe(profile.domain);
    expect(statements[1]!.object).toMatchObject({
      objectType: "SubStatement",
      actor: { account: { homePage: profile.domain } },
    });
  });

  it("keeps extensions only by allow-list, drops IP, user agent and geolocation wherever they are", async () => {
    const { statements, counts } = await deidentify(generatedStatements(), profile, options);
    const first = statements[0] as J;
    expect(Object.keys(first.result.extensions).sort()).toEqual([
      "https://example.org/xapi/extensions/attempt",
      "https://example.org/xapi/extensions/comment",
    ]);
    expect(Object.keys(first.context.extensions).sort()).toEqual([
      "https://example.org/xapi/extensions/device",
      "https://example.org/xapi/extensions/session",
    ]);
    expect(first.context.extensions["https://example.org/xapi/extensions/device"]).toEqual({
      screen: "1920x1080",
      owner: "[name] <[email]>",
    });
    expect(first.context.extensions["https://example.org/xapi/extensions/session"]).toMatch(
      /^[0-9a-f-]{36}$/,
    );
    expect(first.context.platform).toBeUndefined();
    expect(counts.extensions.dropped["https://matomo.example.org/extensions/cip"]).toBe(1);
    expect(counts.extensions.dropped["https://example.org/xapi/extensions/private-note"]).toBe(2);
    expect(counts.extensions.rekeyed["https://example.org/xapi/extensions/session"]).toBe(1);
    expect(counts.extensions.sensitiveDropped).toBe(4); // ip, userAgent, geolocation, platform
    expect(() =>
      withProfile({ extensions: { context: ["https://matomo.example.org/extensions/cip"] } }),
    ).toThrow(/extensions\.context\[0\]: names an IP address, user agent or geolocation/);
  });

  it("scrubs free text: responses, activity names, descriptions and choices, attachments; drops signatures", async () => {
    const { statements, counts } = await deidentify(generatedStatements(), profile, options);
    const first = statements[0] as J;
    expect(first.result.response).toBe(
      "[name] écrit à [name] ([email], tél. [phone], INE [ine]) – call [phone] or mail [email]",
    );
    expect(first.object.definition.name["fr-FR"]).toBe("Réponse de [name]");
    expect(first.object.definition.choices[0].description["en-US"]).toBe("[name], [email]");
    expect(first.object.definition.moreInfo).toBeUndefined();
    expect(first.attachments).toHaveLength(1);
    expect(first.attachments[0].display["fr-FR"]).toBe("Essai de [name] ([email])");
    expect(first.attachments[0].fileUrl).toBeUndefined();
    expect(counts.attachments).toEqual({ dropped: 1, kept: 1 });
    expect(counts.scrubbedFields["result.response"]).toBe(3);
  });

  it("re-derives statement ids, StatementRef targets and registrations consistently, matching nothing of the source", async () => {
    const input = generatedStatements();
    const a = new Deidentifier(profile, options);
    const one = await a.run(input.slice(0, 1));
    const rest = await a.run(input.slice(1));
    const first = one.statements[0] as J;
    expect(first.id).not.toBe(IDS.first);
    expect(first.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.context.registration).not.toBe(IDS.registration);
    const [planned, voiding] = rest.statements as J[];
    expect(planned!.context.statement.id).toBe(first.id);
    expect(voiding!.object.id).toBe(first.id); // upper-case source id, same target
    // Another run with the same keys gives the same ids; another local key gives others.
    const again = await deidentify(input, profile, options);
    expect((again.statements[0] as J).id).toBe(first.id);
    const other = await deidentify(input, profile, { ...options, localKey: Buffer.alloc(32, 10) });
    expect((other.statements[0] as J).id).not.toBe(first.id);
    const text = JSON.stringify([one.statements, rest.statements]);
    for (const id of Object.values(IDS)) expect(text.toLowerCase()).not.toContain(id);
  });

  it("shifts timestamps by a keyed offset per learner that keeps each learner's intervals", async () => {
    const t = (h: number, m: number) =>
      `2024-03-04T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:07.250Z`;
    const statement = (email: string, timestamp: string) => ({
      actor: { mbox: `mailto:${email}` },
      verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
      object: { id: "https://example.org/a" },
      timestamp,
    });
    const input = [
      statement("a@example.org", t(10, 0)),
      statement("b@example.org", t(10, 0)),
      statement("a@example.org", t(10, 5)),
      statement("b@example.org", t(13, 30)),
      statement("A@Example.org", "2024-03-06T11:00:07.250+01:00"),
    ];
    const { statements } = await deidentify(input, profile, options);
    const ms = statements.map((s) => Date.parse(s.timestamp as string));
    const src = input.map((s) => Date.parse(s.timestamp));
    expect(ms[2]! - ms[0]!).toBe(src[2]! - src[0]!);
    expect(ms[4]! - ms[0]!).toBe(src[4]! - src[0]!);
    expect(ms[3]! - ms[1]!).toBe(src[3]! - src[1]!);
    expect(ms[0]).not.toBe(ms[1]); // two learners, two offsets
    for (let i = 0; i < 5; i++) expect(Math.abs(ms[i]! - src[i]!)).toBeLessThanOrEqual(10 * 86_400_000);
    expect(statements[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.250Z$/);
    expect(offsetSeconds(Buffer.alloc(32, 0), 1)).toBe(-86_400);
  });

  it("coarsens timestamps to the hour, day or ISO week (Monday), in UTC", async () => {
    const input = [
      {
        actor: { mbox: "mailto:a@example.org" },
        verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
        object: { id: "https://example.org/a" },
        timestamp: "2024-03-07T23:45:12.5+02:00",
        stored: "2024-03-10T23:59:59Z",
      },
    ];
    const at = async (coarsen: string) =>
      (await deidentify(input, withProfile({ timestamps: { coarsen } }), options)).statements[0] as J;
    expect((await at("hour")).timestamp).toBe("2024-03-07T21:00:00Z");
    expect((await at("day")).timestamp).toBe("2024-03-07T00:00:00Z");
    expect((await at("week")).timestamp).toBe("2024-03-04T00:00:00Z");
    expect((await at("week")).stored).toBe("2024-03-04T00:00:00Z");
  });

  it("drops agent positions the profile drops, and rejects statements it cannot read, naming the property", async () => {
    const dropping = withProfile({
      agents: {
        instructor: "drop",
        team: "drop",
        authority: "drop",
        contextAgents: "drop",
        contextGroups: "drop",
      },
    });
    const { statements, counts } = await deidentify(generatedStatements().slice(0, 1), dropping, options);
    const context = (statements[0] as J).context;
    expect(
      context.instructor ?? context.team ?? context.contextAgents ?? context.contextGroups,
    ).toBeUndefined();
    expect(counts.agentsDropped).toMatchObject({ "context.instructor": 1, authority: 1 });
    const bad = await deidentify(
      [
        {
          actor: { mbox: "not-an-address" },
          verb: { id: "http://x.org/v" },
          object: { id: "http://x.org/a" },
        },
        7,
      ],
      profile,
      options,
    );
    expect(bad.rejected).toEqual([
      { index: 0, reason: "actor: email identifier: not an e-mail address" },
      { index: 1, reason: "a statement must be a JSON object" },
    ]);
    const strict = withProfile({ agents: { mboxSha1sum: "reject" } });
    const sha = await deidentify(generatedStatements().slice(0, 1), strict, options);
    expect(sha.rejected[0]!.reason).toMatch(/context\.team\.member\[2\]\.mbox_sha1sum/);
  });

  it("calls the pseudonymizer once per purpose per batch, and not again for learners already seen", async () => {
    const calls: string[] = [];
    const inner = testPseudonymizer(profile.domain);
    const counting = {
      domain: profile.domain,
      derive: (ids: Parameters<typeof inner.derive>[0], purpose: string) => {
        calls.push(`${purpose}:${ids.length}`);
        return inner.derive(ids, purpose);
      },
    };
    const d = new Deidentifier(profile, { ...options, pseudonymizer: counting });
    await d.run(generatedStatements());
    await d.run(generatedStatements());
    expect(calls).toEqual([
      expect.stringMatching(/^pseudonym:\d+$/),
      expect.stringMatching(/^time-offset:\d+$/),
    ]);
    expect(PEOPLE.length).toBe(5);
  });
});

describe("de-identification profiles", () => {
  it("reads the YAML and JSON examples", () => {
    expect(profile).toMatchObject({ id: "research-generic", version: "2.1.0", attachments: "keep" });
    expect(profile.timestamps.shift).toEqual({ maxDays: 10 });
    expect(profile.agents.mboxSha1sum).toBe("rekey");
    const json = loadProfile(`${FIXTURES}minimal.json`);
    expect(json.extensions.result.size).toBe(0);
    expect(json.timestamps.coarsen).toBe("day");
  });

  it("names the key of every problem", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ id: "" }, /: id: required/],
      [{ domain: "not an iri" }, /: domain: required/],
      [{ timestamps: { coarsen: "month" } }, /timestamps\.coarsen: must be one of hour, day, week/],
      [{ timestamps: { shift: "keyed", maxDays: -1 } }, /timestamps\.maxDays/],
      [
        { freeText: { fields: ["result.response", "verb.display"] } },
        /freeText\.fields\[1\]: must be one of/,
      ],
      [{ extensions: { result: "https://x.org/e" } }, /extensions\.result: must be a list/],
      [{ extensions: { rekey: ["https://x.org/e"] } }, /extensions\.rekey: .* not in an allow-list/],
      [{ agents: { instructor: "keep" } }, /agents\.instructor: must be one of pseudonymize, drop/],
      [{ attachment: "drop" }, /attachment: unknown key/],
    ];
    for (const [changes, message] of cases) {
      expect(() => withProfile(changes)).toThrow(ProfileError);
      expect(() => withProfile(changes)).toThrow(message);
    }
  });
});
