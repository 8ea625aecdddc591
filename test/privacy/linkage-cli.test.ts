import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { linkageCommands } from "../../src/cli/linkage.js";
import {
  encodeCommand,
  LinkageCommandError,
  matchCommand,
  readClkFile,
  schemaCommand,
} from "../../src/privacy/index.js";
import { learnersCsv, syntheticLinkage } from "../../src/privacy/linkage-synthetic.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-linkage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const population = syntheticLinkage({ size: 300, seed: 3 });
writeFileSync(at("a.csv"), learnersCsv(population.a));
writeFileSync(at("b.csv"), learnersCsv(population.b));
writeFileSync(at("truth.csv"), `a_id,b_id\n${population.truth.map((p) => p.join(",")).join("\n")}\n`);
writeFileSync(at("secret"), "a long enough shared linkage secret\n");
schemaCommand({ out: at("schema.json") });

describe("learnpool linkage encode", () => {
  it("writes a header and one {id, clk} per learner, and no identifying field", async () => {
    const summary = await encodeCommand({
      schema: at("schema.json"),
      secretFile: at("secret"),
      in: at("a.csv"),
      out: at("a.jsonl"),
    });
    expect(summary.records).toBe(300);
    expect(summary.meanPopcount).toBeGreaterThan(300);
    const lines = readFileSync(at("a.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(301);
    const header = JSON.parse(lines[0]!);
    expect(header).toEqual({ format: "learnpool-clk/1", l: 1024, schema: summary.schema });
    expect(Object.keys(JSON.parse(lines[1]!))).toEqual(["id", "clk"]);
    // Every record holds its id and a CLK of l bits, nothing else: no name, date or postcode field.
    // (Searching the values as substrings is meaningless here: random base64, and ids of digits, hold
    // short strings and postcodes by chance.)
    const records = lines.slice(1).map((line) => JSON.parse(line) as { id: string; clk: string });
    for (const record of records) {
      expect(Object.keys(record)).toEqual(["id", "clk"]);
      expect(Buffer.from(record.clk, "base64")).toHaveLength(1024 / 8);
    }
    expect(records.map((r) => r.id)).toEqual(population.a.map((learner) => learner.id));
  });

  it("stops at a value that does not fit, naming the row and feature, and leaves no output", async () => {
    const rows = learnersCsv(population.a.slice(0, 3)).replace(population.a[1]!.birth_date, "31/02/2001");
    writeFileSync(at("bad.csv"), rows);
    const run = encodeCommand({
      schema: at("schema.json"),
      secretFile: at("secret"),
      in: at("bad.csv"),
      out: at("bad.jsonl"),
    });
    await expect(run).rejects.toThrow('row 2, feature "birth_date": not a recognized date');
    await expect(run).rejects.not.toThrow("31/02/2001");
    expect(() => readFileSync(at("bad.jsonl"))).toThrow();
    const skipping = await encodeCommand({
      schema: at("schema.json"),
      secretFile: at("secret"),
      in: at("bad.csv"),
      out: at("bad.jsonl"),
      skipInvalid: true,
    });
    expect(skipping).toMatchObject({ records: 2, skipped: 1, skippedRows: [2] });
  });

  it("names a missing column, a short secret and a schema error", async () => {
    writeFileSync(at("nocol.csv"), "id,given_names\n1,Ada\n");
    await expect(
      encodeCommand({
        schema: at("schema.json"),
        secretFile: at("secret"),
        in: at("nocol.csv"),
        out: at("x.jsonl"),
      }),
    ).rejects.toThrow('no column "family_name", "birth_date", "postcode", "gender"');
    writeFileSync(at("short"), "1234\n");
    await expect(
      encodeCommand({
        schema: at("schema.json"),
        secretFile: at("short"),
        in: at("a.csv"),
        out: at("x.jsonl"),
      }),
    ).rejects.toThrow("at least 16 bytes");
    const schema = JSON.parse(readFileSync(at("schema.json"), "utf8"));
    schema.features[2].hashing.strategy = { bitsPerFeature: 0 };
    writeFileSync(at("bad-schema.json"), JSON.stringify(schema));
    await expect(
      encodeCommand({
        schema: at("bad-schema.json"),
        secretFile: at("secret"),
        in: at("a.csv"),
        out: at("x.jsonl"),
      }),
    ).rejects.toThrow(LinkageCommandError);
    await expect(
      encodeCommand({
        schema: at("bad-schema.json"),
        secretFile: at("secret"),
        in: at("a.csv"),
        out: at("x.jsonl"),
      }),
    ).rejects.toThrow('feature "birth_date": hashing.strategy.bitsPerFeature: must be an integer ≥ 1');
  });
});

describe("learnpool linkage match", () => {
  it("links two providers' CLKs, writes the matches and the report, and prints the histogram", async () => {
    await encodeCommand({
      schema: at("schema.json"),
      secretFile: at("secret"),
      in: at("a.csv"),
      out: at("a.jsonl"),
    });
    await encodeCommand({
      schema: at("schema.json"),
      secretFile: at("secret"),
      in: at("b.csv"),
      out: at("b.jsonl"),
    });
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const [command] = linkageCommands();
      await command!.parseAsync(
        ["match", "--a", at("a.jsonl"), "--b", at("b.jsonl"), "--truth", at("truth.csv")].concat([
          "--out",
          at("matches.csv"),
          "--report",
          at("report.json"),
        ]),
        { from: "user" },
      );
    } finally {
      spy.mockRestore();
    }
    const output = printed.join("");
    expect(output).toMatch(/matches: \d+/);
    expect(output).toMatch(/quality: precision (0\.9|1\.0)\d+, recall (0\.9|1\.0)\d+/);
    expect(output).toContain("← threshold");
    const report = JSON.parse(readFileSync(at("report.json"), "utf8"));
    expect(report.quality.precision).toBeGreaterThanOrEqual(0.95);
    expect(report.quality.recall).toBeGreaterThanOrEqual(0.95);
    expect(report.threshold).toBe(0.8);
    const matches = readFileSync(at("matches.csv"), "utf8").trim().split("\n");
    expect(matches[0]).toBe("a_id,b_id,score");
    expect(matches).toHaveLength(report.matches + 1);
    expect(matches[1]).toMatch(/^a\d{6},b-[0-9a-z]+,(0|1)\.\d{4}$/);
  });

  it("refuses CLK files made under different schemas", async () => {
    schemaCommand({ out: at("schema2.json") }); // a fresh salt: another schema
    await encodeCommand({
      schema: at("schema2.json"),
      secretFile: at("secret"),
      in: at("b.csv"),
      out: at("b2.jsonl"),
    });
    await expect(
      matchCommand({ a: at("a.jsonl"), b: at("b2.jsonl"), out: at("m.csv"), report: at("r.json") }),
    ).rejects.toThrow("different linkage schemas");
  });

  it('reads clkhash\'s {"clks": [...]} output, ids being positions', async () => {
    const ours = await readClkFile(at("a.jsonl"));
    const clks = Array.from({ length: 3 }, (_, i) =>
      Buffer.from(ours.set.bytes.subarray(i * 128, (i + 1) * 128)).toString("base64"),
    );
    writeFileSync(at("clkhash.json"), JSON.stringify({ clks }));
    const theirs = await readClkFile(at("clkhash.json"));
    expect(theirs.set.ids).toEqual(["0", "1", "2"]);
    expect(theirs.set.l).toBe(1024);
    expect(Array.from(theirs.set.counts)).toEqual(Array.from(ours.set.counts.subarray(0, 3)));
  });
});
