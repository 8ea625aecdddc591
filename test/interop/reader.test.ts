import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { SourceRecord } from "../../src/interop/index.js";
import { isMalformed, readJsonRecords } from "../../src/interop/index.js";

const dir = mkdtempSync(join(tmpdir(), "learnpool-reader-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = new URL("./fixtures/pipeline/", import.meta.url).pathname;

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function all(input: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of readJsonRecords(input)) out.push(record);
  return out;
}

describe("readJsonRecords", () => {
  it("reads JSON lines with their line numbers, skipping blank lines", async () => {
    const path = file("a.jsonl", '{"a":1}\n\n{"a":2}\r\n{"a":3}');
    const records = await all(path);
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(records.map((r) => r.position)).toEqual([
      { file: path, line: 1 },
      { file: path, line: 3 },
      { file: path, line: 4 },
    ]);
  });

  it("yields a malformed line as a malformed record with its line and the parse error, and goes on", async () => {
    const records = await all(join(fixtures, "statements.jsonl"));
    expect(records).toHaveLength(5);
    const bad = records[2]!;
    expect(isMalformed(bad)).toBe(true);
    expect(bad.position.line).toBe(3);
    expect(isMalformed(bad) && bad.value.reason).toMatch(/^malformed JSON: /);
    expect(records[4]!.position.line).toBe(6);
    expect(records.filter(isMalformed)).toHaveLength(1);
  });

  it("streams the elements of a top-level array with their indexes", async () => {
    const path = file("arr.json", ` \n[ {"a":1},\n {"a":[2,{"b":"]"}]}, 3 ]\n`);
    const records = await all(path);
    expect(records.map((r) => r.value)).toEqual([{ a: 1 }, { a: [2, { b: "]" }] }, 3]);
    expect(records.map((r) => r.position.index)).toEqual([0, 1, 2]);
  });

  it("reports a syntax error inside an array as one malformed record after the elements read", async () => {
    const tiny = await all(file("bad-arr.json", '[{"a":1}, {"a":}]'));
    expect(tiny).toHaveLength(1);
    expect(isMalformed(tiny[0]!) && tiny[0].value.reason).toMatch(/could not be read/);
    // Far enough that the error lies in a later chunk than the first elements.
    const many = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ i, pad: "p".repeat(40) }));
    const records = await all(file("bad-late.json", `[${many.join(",")}, {"a":}]`));
    const last = records.at(-1)!;
    expect(isMalformed(last)).toBe(true);
    expect(records.length).toBeGreaterThan(10_000);
    expect(records.slice(0, -1).map((r) => (r.value as { i: number }).i)).toEqual(
      Array.from({ length: records.length - 1 }, (_, i) => i),
    );
    expect(last.position.index).toBe(records.length - 1);
  });

  it("reads one pretty-printed object, and concatenated ones, at the line each starts on", async () => {
    const one = await all(file("one.json", JSON.stringify({ a: { b: [1, 2] } }, null, 2)));
    expect(one).toEqual([{ value: { a: { b: [1, 2] } }, position: expect.objectContaining({ line: 1 }) }]);
    const records = await all(join(fixtures, "pretty.json"));
    expect(records.map((r) => r.position.line)).toEqual([1, 6]);
    expect((records[0]!.value as { object: { id: string } }).object.id).toBe("http://example.org/course/{1}");
  });

  it("detects gzip by its magic bytes whatever the file's name, in every layout", async () => {
    const lines = file("events.log", gzipSync('{"a":1}\n{"a":2}\n'));
    expect((await all(lines)).map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
    const array = file("x.data", gzipSync('[{"a":1},{"a":2}]'));
    expect((await all(array)).map((r) => r.position.index)).toEqual([0, 1]);
    const plain = file("plain.gz", '{"a":1}\n');
    expect((await all(plain)).map((r) => r.value)).toEqual([{ a: 1 }]);
  });

  it("reads an empty input as no records", async () => {
    expect(await all(file("empty.json", ""))).toEqual([]);
    expect(await all(file("blank.json", "\n  \n"))).toEqual([]);
  });

  it("reads a large array in constant memory", async () => {
    // 200,000 elements (~40 MB) as one array: memory must not grow with the file.
    const element = JSON.stringify({ actor: { mbox: "mailto:a@example.org" }, padding: "x".repeat(150) });
    const count = 200_000;
    const path = join(dir, "large.json");
    const chunk = Array.from({ length: 1000 }, () => element).join(",");
    const parts = ["["];
    for (let i = 0; i < count / 1000; i++) parts.push(i === 0 ? chunk : `,${chunk}`);
    parts.push("]");
    writeFileSync(path, parts.join(""));
    // The live heap, garbage collected first: what is retained, not what awaits collection.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const live = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = live();
    let n = 0;
    let peak = 0;
    for await (const record of readJsonRecords(path)) {
      n++;
      if (n % 20_000 === 0) peak = Math.max(peak, live() - before);
      expect(record.position.index).toBe(n - 1);
    }
    expect(n).toBe(count);
    // Holding the parsed array would take well over 60 MB.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
