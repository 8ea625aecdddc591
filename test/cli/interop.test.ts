import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Lrs } from "../../src/lrs/index.js";
import { openDatabase } from "../../src/store/index.js";
import { cliBuilt, runCli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-cli-interop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = new URL("../interop/fixtures/", import.meta.url).pathname;

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!cliBuilt)("learnpool convert, ingest, formats, profile validate", () => {
  it("lists the formats", async () => {
    const result = await runCli(["formats"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^xapi\t/m);
  });

  it("converts to a file, writes the errors file, prints the counts, and exits 1 when a record was rejected", async () => {
    const out = join(dir, "out.jsonl");
    const errors = join(dir, "errors.jsonl");
    const result = await runCli([
      "convert",
      "--from",
      "xapi",
      "--in",
      join(fixtures, "pipeline/statements.jsonl"),
      "--out",
      out,
      "--errors",
      errors,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "learnpool convert: read 5 records: 3 converted into 4 statements, 0 skipped, 2 rejected",
    );
    expect(lines(out)).toHaveLength(4);
    expect(lines(errors).map((e) => (e.position as { line: number }).line)).toEqual([3, 4]);
  });

  it("writes statements to stdout, shows rejections on stderr without an errors file, and exits 0 when none", async () => {
    const input = join(dir, "ok.jsonl");
    writeFileSync(
      input,
      JSON.stringify({
        actor: { mbox: "mailto:a@example.org" },
        verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
        object: { id: "http://example.org/c" },
      }),
    );
    const ok = await runCli(["convert", "--from", "xapi", "--in", input]);
    expect(ok.code).toBe(0);
    expect(lines(join(dir, "ok.jsonl"))).toHaveLength(1);
    expect(ok.stdout.trim().split("\n")).toHaveLength(1);
    const bad = await runCli([
      "convert",
      "--from",
      "xapi",
      "--in",
      join(fixtures, "pipeline/statements.jsonl"),
    ]);
    expect(bad.stderr).toMatch(/rejected \{"file":".*","line":3\}: malformed JSON/);
    const unknown = await runCli(["convert", "--from", "nope", "--in", input]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown format 'nope'; known formats: .*xapi/);
  });

  it("ingests into a store of a SQLite database, resuming from a checkpoint", async () => {
    const db = join(dir, "lrs.db");
    const setup = await openDatabase(db);
    const lrs = new Lrs(setup, { authorityHomePage: "http://lrs.test" });
    await lrs.tenancy.createStore("uni-a", "University A", "test");
    await lrs.close();
    await setup.close();
    const checkpoint = join(dir, "ingest.checkpoint");
    const args = [
      "ingest",
      "--from",
      "xapi",
      "--in",
      join(fixtures, "pipeline/statements.jsonl"),
      "--db",
      db,
      "--store",
      "uni-a",
      "--batch",
      "2",
      "--checkpoint",
      checkpoint,
    ];
    const first = await runCli(args);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/stored 4 statements in \d+ batches into store 'uni-a'/);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toMatchObject({ records: 5, statements: 4 });
    const again = await runCli(args);
    expect(again.stderr).toContain("resumed after 5 records already stored");
    expect(again.stderr).toContain("stored 0 statements");
    const missing = await runCli([
      "ingest",
      "--from",
      "xapi",
      "--in",
      args[4]!,
      "--db",
      db,
      "--store",
      "nope",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no store 'nope'");
    const neither = await runCli(["ingest", "--from", "xapi", "--in", args[4]!]);
    expect(neither.stderr).toContain("give either --db with --store, or --endpoint with --credential");
  });

  it("validates statements against a profile, one report per statement, exit 1 when one fails", async () => {
    const input = join(dir, "video.jsonl");
    const played = (time?: number) => ({
      id: "9dc99b37-e920-4a68-a066-917faca28949",
      timestamp: "2021-11-29T23:09:00Z",
      actor: { mbox: "mailto:a@example.org" },
      verb: { id: "https://w3id.org/xapi/video/verbs/played" },
      object: {
        id: "https://example.org/v",
        definition: { type: "https://w3id.org/xapi/video/activity-type/video" },
      },
      result: {
        extensions: time === undefined ? {} : { "https://w3id.org/xapi/video/extensions/time": time },
      },
    });
    writeFileSync(input, `${JSON.stringify(played(3))}\n${JSON.stringify(played())}\n`);
    const result = await runCli([
      "profile",
      "validate",
      "--profile",
      join(fixtures, "profiles/video.jsonld"),
      "--in",
      input,
    ]);
    expect(result.code).toBe(1);
    const reports = result.stdout.trim().split("\n");
    const [good, bad] = reports.map((r) => JSON.parse(r));
    expect(good).toMatchObject({ valid: true, position: { line: 1 } });
    expect(bad).toMatchObject({
      valid: false,
      matched: [
        {
          template: "https://w3id.org/xapi/video/templates#played",
          failures: [{ location: "$.result.extensions['https://w3id.org/xapi/video/extensions/time']" }],
        },
      ],
    });
    expect(result.stderr).toContain("2 statements, 1 valid, 1 invalid");
  });
});
