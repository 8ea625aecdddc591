import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import {
  ConversionError,
  convert,
  type Format,
  outcomes,
  perRecord,
  Unmapped,
  xapiFormat,
} from "../../src/interop/index.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-pipeline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = new URL("./fixtures/pipeline/", import.meta.url).pathname;

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A test-only format: `{n}` becomes a statement about course n; `{skip}` is unmapped; `{bad}` is rejected. */
const courseFormat: Format = {
  name: "test-courses",
  description: "test records",
  converter: () =>
    perRecord((value) => {
      const record = value as { n?: number; skip?: boolean; bad?: boolean; invalid?: boolean };
      if (record.skip) throw new Unmapped("a kind of record the test format does not map");
      if (record.bad) throw new ConversionError("must have n", "n");
      return [
        {
          id: `00000000-0000-4000-8000-${String(record.n ?? 0).padStart(12, "0")}`,
          actor: { mbox: record.invalid ? "nobody" : "mailto:learner@example.org" },
          verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
          object: { id: `http://example.org/course/${record.n}` },
        },
      ];
    }),
};

describe("convert", () => {
  it("writes statements as JSON lines, rejected and skipped records to the errors file, and counts", async () => {
    const out = join(dir, "out.jsonl");
    const errors = join(dir, "errors.jsonl");
    const counts = await convert({
      format: xapiFormat,
      input: join(fixtures, "statements.jsonl"),
      out,
      errors,
      progress: false,
    });
    expect(counts).toEqual({ read: 5, converted: 3, statements: 4, skipped: 0, rejected: 2 });
    const statements = jsonLines(out);
    expect(statements).toHaveLength(4);
    expect(statements[0]!.id).toBe("6c0f8a4e-2b1d-4c3a-9e8f-000000000001");
    // A statement without an id gets a UUIDv5 of its content: the same on every run.
    expect(statements[1]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
    const again = join(dir, "again.jsonl");
    await convert({
      format: xapiFormat,
      input: join(fixtures, "statements.jsonl"),
      out: again,
      progress: false,
    });
    expect(jsonLines(again).map((s) => s.id)).toEqual(statements.map((s) => s.id));
    const problems = jsonLines(errors);
    expect(problems).toEqual([
      {
        position: { file: join(fixtures, "statements.jsonl"), line: 3 },
        outcome: "rejected",
        reason: expect.stringMatching(/^malformed JSON: /),
      },
      {
        position: { file: join(fixtures, "statements.jsonl"), line: 4 },
        outcome: "rejected",
        reason: expect.stringMatching(/invalid xAPI statement: statements\[0\]\.actor\.mbox/),
      },
    ]);
  });

  it("passes invalid statements through when validation is off", async () => {
    const out = join(dir, "unvalidated.jsonl");
    const counts = await convert({
      format: xapiFormat,
      input: join(fixtures, "statements.jsonl"),
      out,
      validate: false,
      progress: false,
    });
    expect(counts).toMatchObject({ converted: 4, statements: 5, rejected: 1 });
  });

  it("keeps one outcome per record in input order, malformed records and skips included", async () => {
    const input = join(dir, "courses.jsonl");
    writeFileSync(
      input,
      ['{"n":1}', "{oops", '{"skip":true}', '{"bad":true}', '{"n":2,"invalid":true}', '{"n":3}', "[1,"].join(
        "\n",
      ),
    );
    const seen = [];
    for await (const outcome of outcomes(courseFormat, input, undefined)) seen.push(outcome);
    expect(seen.map((o) => [o.position.line, o.kind])).toEqual([
      [1, "converted"],
      [2, "rejected"],
      [3, "skipped"],
      [4, "rejected"],
      [5, "rejected"],
      [6, "converted"],
      [7, "rejected"],
    ]);
    expect(seen[3]).toMatchObject({ reason: "n: must have n" });
    const errors = join(dir, "course-errors.jsonl");
    const counts = await convert({
      format: courseFormat,
      input,
      out: join(dir, "c.jsonl"),
      errors,
      progress: false,
    });
    expect(counts).toEqual({ read: 7, converted: 2, statements: 2, skipped: 1, rejected: 4 });
    expect(jsonLines(errors).map((e) => e.outcome)).toEqual([
      "rejected",
      "skipped",
      "rejected",
      "rejected",
      "rejected",
    ]);
  });

  it("waits for a slow output instead of buffering the whole conversion", async () => {
    const input = join(dir, "many.jsonl");
    writeFileSync(input, Array.from({ length: 3000 }, (_, i) => JSON.stringify({ n: i + 1 })).join("\n"));
    let received = 0;
    let peakBuffered = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.toString().split("\n").length - 1;
        setImmediate(callback);
      },
    });
    const sample = setInterval(() => {
      peakBuffered = Math.max(peakBuffered, slow.writableLength);
    }, 1);
    const counts = await convert({ format: courseFormat, input, out: slow, progress: false });
    clearInterval(sample);
    expect(counts.statements).toBe(3000);
    expect(received).toBe(3000);
    // Each write waits for 'drain' once the buffer is full: a record's line more at most.
    expect(peakBuffered).toBeLessThan(16 * 1024 + 1024);
  });

  it("validates under xAPI 1.0.3 when asked", async () => {
    const input = join(dir, "v103.jsonl");
    // contextAgents exist in 2.0 only.
    writeFileSync(
      input,
      JSON.stringify({
        actor: { mbox: "mailto:a@example.org" },
        verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
        object: { id: "http://example.org/x" },
        context: { contextAgents: [{ objectType: "contextAgent", agent: { mbox: "mailto:b@example.org" } }] },
      }),
    );
    const v2 = await convert({ format: xapiFormat, input, out: join(dir, "v2.jsonl"), progress: false });
    const v1 = await convert({
      format: xapiFormat,
      input,
      out: join(dir, "v1.jsonl"),
      version: "1.0.3",
      progress: false,
    });
    expect([v2.rejected, v1.rejected]).toEqual([0, 1]);
  });
});
