import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import {
  importAlignmentsCommand,
  importCommand,
  parsePair,
  registerSkillsCommands,
  reviewCommand,
  suggestCommand,
  translateCommand,
} from "../../src/cli/skills.js";
import {
  COMPETENCIES_EXTENSION,
  emptyAlignmentSet,
  readAlignmentSet,
  readFramework,
} from "../../src/interop/skills/index.js";
import { ACME, ESCO_SCHEME, FIXTURES, PROJECTS, SPREADSHEETS, TEAM, TLA } from "./skills-fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-skills-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

function capture() {
  const lines: string[] = [];
  return { lines, print: (line: string) => lines.push(line) };
}

describe("learnpool skills: import → suggest → review → translate", () => {
  it("imports ESCO's CSV folder and prints concepts and languages", async () => {
    const out = capture();
    const summary = await importCommand([join(FIXTURES, "esco")], { out: path("esco.json") }, out.print);
    expect(summary).toMatchObject({ framework: ESCO_SCHEME, concepts: 9, languages: { en: 9, fr: 9 } });
    expect(out.lines[0]).toBe(`framework ${ESCO_SCHEME} ("ESCO skills"): 9 concepts → ${path("esco.json")}`);
    expect(out.lines[1]).toBe("languages (concepts with a preferred label): en 9, fr 9");
    expect(readFramework(path("esco.json")).concepts.get(TEAM)!.prefLabel.fr).toBe("gérer une équipe");
  });

  it("imports a provider's JSON-LD framework, with its mapping relations into an alignment set", async () => {
    const out = capture();
    const summary = await importCommand(
      [join(FIXTURES, "provider-framework.jsonld")],
      { out: path("acme.json"), alignmentsOut: path("acme-esco.json") },
      out.print,
    );
    expect(summary).toMatchObject({
      framework: ACME,
      concepts: 7,
      languages: { en: 2, fr: 7 },
      alignments: 1,
    });
    expect(out.lines).toContain(`1 mapping relation(s) found → ${path("acme-esco.json")}`);
    expect(readAlignmentSet(path("acme-esco.json")).alignments).toEqual([
      expect.objectContaining({
        source: `${ACME}NUM-02`,
        target: SPREADSHEETS,
        status: "accepted",
        origin: "imported",
      }),
    ]);
  });

  it("picks the largest scheme of a multi-scheme file, names the others, and obeys --scheme", async () => {
    const out = capture();
    const summary = await importCommand(
      [join(FIXTURES, "esco-skills.ttl")],
      { out: path("ttl.json") },
      out.print,
    );
    expect(summary.framework).toBe(ESCO_SCHEME);
    expect(summary.otherSchemes).toEqual(["http://data.europa.eu/esco/concept-scheme/member-skills (1)"]);
    const member = await importCommand(
      [join(FIXTURES, "esco-skills.ttl")],
      { out: path("member.json"), scheme: "http://data.europa.eu/esco/concept-scheme/member-skills" },
      () => {},
    );
    expect(member.concepts).toBe(1);
  });

  it("asks for the scheme when a file's concepts name none, and uses the one given", async () => {
    writeFileSync(
      path("loose.jsonld"),
      JSON.stringify({
        "@context": { "@vocab": "http://www.w3.org/2004/02/skos/core#" },
        "@graph": [{ "@id": "https://ex.org/c1", prefLabel: { "@value": "souder", "@language": "fr" } }],
      }),
    );
    await expect(
      importCommand([path("loose.jsonld")], { out: path("loose.json") }, () => {}),
    ).rejects.toThrow(
      "no framework read: 1 concept(s) and no scheme: give the scheme they belong to (--scheme <iri>)",
    );
    const summary = await importCommand(
      [path("loose.jsonld")],
      { out: path("loose.json"), scheme: "https://ex.org/s" },
      () => {},
    );
    expect(summary).toMatchObject({ framework: "https://ex.org/s", concepts: 1, languages: { fr: 1 } });
  });

  it("suggests into the existing set, keeping the imported decision", () => {
    const out = capture();
    const { suggestions, set } = suggestCommand(
      { source: path("acme.json"), target: path("esco.json"), out: path("acme-esco.json"), minScore: "0.6" },
      out.print,
    );
    expect(suggestions.find((s) => s.source === `${ACME}MGT-01`)).toMatchObject({
      target: TEAM,
      relation: "exactMatch",
    });
    // NUM-02 already has an accepted exactMatch: no suggestion for it.
    expect(suggestions.some((s) => s.source === `${ACME}NUM-02`)).toBe(false);
    expect(set.alignments.find((a) => a.source === `${ACME}NUM-02`)).toMatchObject({ status: "accepted" });
    expect(set).toMatchObject({
      source: ACME,
      target: ESCO_SCHEME,
      parameters: { minScore: 0.6, exactScore: 0.9 },
    });
    expect(out.lines[0]).toMatch(
      /^\d+ suggestion\(s\) \(\d+ exactMatch, \d+ closeMatch\) for \d+ of 7 source concepts, against 9 target concepts, in \d+ ms/,
    );
  });

  it("review lists pending suggestions, then records decisions", () => {
    const list = capture();
    reviewCommand(
      path("acme-esco.json"),
      { source: path("acme.json"), target: path("esco.json") },
      list.print,
    );
    expect(list.lines.some((l) => l.includes('"Gérer une équipe" → "gérer une équipe"'))).toBe(true);
    const out = capture();
    const reviewed = reviewCommand(
      path("acme-esco.json"),
      { accept: [`${ACME}MGT-01=${TEAM}`], reject: [`${ACME}MGT-02=${PROJECTS}`], reviewer: "marie@acme" },
      out.print,
      () => new Date("2026-02-01T09:00:00Z"),
    );
    expect([reviewed.accepted, reviewed.rejected]).toEqual([1, 1]);
    const set = readAlignmentSet(path("acme-esco.json"));
    expect(set.alignments.find((a) => a.source === `${ACME}MGT-01` && a.target === TEAM)).toMatchObject({
      status: "accepted",
      reviewedBy: "marie@acme",
      reviewedAt: "2026-02-01T09:00:00.000Z",
    });
    expect(() => reviewCommand(path("acme-esco.json"), { accept: ["nonsense"] }, () => {})).toThrow(
      /SOURCE=TARGET/,
    );
  });

  it("a second suggest run neither resurrects the rejection nor loses the acceptance", () => {
    const { set } = suggestCommand(
      { source: path("acme.json"), target: path("esco.json"), out: path("acme-esco.json") },
      () => {},
    );
    const pair = (s: string, t: string) => set.alignments.filter((a) => a.source === s && a.target === t);
    expect(pair(`${ACME}MGT-02`, PROJECTS)).toEqual([expect.objectContaining({ status: "rejected" })]);
    expect(pair(`${ACME}MGT-01`, TEAM)).toEqual([expect.objectContaining({ status: "accepted" })]);
  });

  it("translates a JSON lines file of statements and reports what stayed untranslated", () => {
    const statements = [
      {
        actor: { account: { homePage: "https://lms.acme-formation.fr", name: "l-1" } },
        verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
        object: { id: "https://lms.acme-formation.fr/course/m101" },
        context: {
          contextActivities: { other: [{ id: `${ACME}MGT-01`, definition: { type: TLA } }] },
          extensions: { [COMPETENCIES_EXTENSION]: [`${ACME}NUM-02`, `${ACME}IND-07`] },
        },
      },
      {
        actor: { account: { homePage: "https://lms.acme-formation.fr", name: "l-2" } },
        verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
        object: { id: "https://lms.acme-formation.fr/video/1" },
      },
    ];
    writeFileSync(path("in.jsonl"), `${statements.map((s) => JSON.stringify(s)).join("\n")}\n`);
    const out = capture();
    const warnings = capture();
    const result = translateCommand(
      {
        alignments: path("acme-esco.json"),
        target: ESCO_SCHEME,
        in: path("in.jsonl"),
        out: path("out.jsonl"),
        targetFramework: path("esco.json"),
      },
      out.print,
      warnings.print,
    );
    expect(result).toMatchObject({ statements: 2, translated: 2 });
    expect(out.lines[0]).toBe(
      `2 statement(s), 1 with competencies: 2 competency reference(s) translated, 1 kept untranslated → ${path("out.jsonl")}`,
    );
    expect(warnings.lines).toEqual([
      `untranslated: ${ACME}IND-07 (1×): no usable alignment into ${ESCO_SCHEME}`,
    ]);
    const [first, second] = readFileSync(path("out.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(first.context.contextActivities.other[0]).toMatchObject({
      id: TEAM,
      definition: { name: { en: "manage a team" } },
    });
    expect(first.context.extensions[COMPETENCIES_EXTENSION]).toEqual([SPREADSHEETS, `${ACME}IND-07`]);
    expect(second).toEqual(statements[1]);
    expect(() =>
      translateCommand(
        {
          alignments: path("acme-esco.json"),
          target: ACME,
          in: path("in.jsonl"),
          out: path("x.jsonl"),
          targetFramework: path("esco.json"),
        },
        () => {},
        () => {},
      ),
    ).toThrow(/--target-framework is .* not the --target/);
  });

  it("adds alignments from a CSV file, keeping decisions already made", async () => {
    const out = capture();
    const merged = await importAlignmentsCommand(
      join(FIXTURES, "acme-to-esco.csv"),
      { out: path("acme-esco.json"), sourceScheme: ACME, targetScheme: ESCO_SCHEME },
      out.print,
    );
    // MGT-01 → TEAM was accepted by review: the CSV's accepted row leaves it as decided.
    expect(merged.kept).toBeGreaterThanOrEqual(1);
    expect(merged.set.alignments.find((a) => a.source === `${ACME}IND-07`)).toMatchObject({
      relation: "broadMatch",
      status: "rejected",
    });
    expect(out.lines[0]).toMatch(/^3 alignment\(s\) read: /);
  });
});

describe("parsePair", () => {
  it("splits at the '=' that names a pair of the set, even when IRIs hold '='", () => {
    const set = {
      ...emptyAlignmentSet(),
      alignments: [
        {
          source: "https://a.org/c?id=1",
          target: "https://b.org/s?uri=x",
          relation: "exactMatch" as const,
          status: "suggested" as const,
          origin: "label-similarity" as const,
        },
      ],
    };
    expect(parsePair("https://a.org/c?id=1=https://b.org/s?uri=x", set)).toEqual({
      source: "https://a.org/c?id=1",
      target: "https://b.org/s?uri=x",
    });
    expect(parsePair("https://a.org/x?k=v=urn:y", emptyAlignmentSet())).toEqual({
      source: "https://a.org/x?k=v",
      target: "urn:y",
    });
  });
});

describe("registerSkillsCommands", () => {
  it("wires the subcommands into a commander program", async () => {
    const program = new Command("learnpool").exitOverride();
    registerSkillsCommands(program);
    const skills = program.commands.find((c) => c.name() === "skills")!;
    expect(skills.commands.map((c) => c.name())).toEqual([
      "import",
      "import-alignments",
      "suggest",
      "review",
      "translate",
    ]);
    const write = process.stdout.write;
    const printed: string[] = [];
    process.stdout.write = ((chunk: string) =>
      printed.push(String(chunk)) > 0) as unknown as typeof process.stdout.write;
    try {
      await program.parseAsync(
        ["skills", "import", join(FIXTURES, "rome-like.ttl"), "--out", path("rome.json")],
        { from: "user" },
      );
    } finally {
      process.stdout.write = write;
    }
    expect(printed[0]).toMatch(
      /^framework https:\/\/rome\.example\.fr\/referentiel \("Compétences ROME \(extrait\)"\): 4 concepts/,
    );
    expect(readFramework(path("rome.json")).concepts.size).toBe(4);
  });
});
