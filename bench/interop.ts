/**
 * Interop figures, each beside a floor measured in the same run:
 * - Open edX conversion throughput (events/s: parse, convert, serialize) over a generated log made of
 *   the reference fixture events, beside JSON.parse + JSON.stringify of the same lines;
 * - the peak RSS of the real pipeline (`convert`: reader, gzip, converter, validation, output) over a
 *   generated gzip JSON-lines file of a chosen size (a 1 GB run must stay under 300 MB).
 * `benchInterop()` is what the main bench calls; run alone: `node --expose-gc dist/bench/interop.js
 * [--events N] [--megabytes N]`.
 */
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createGzip } from "node:zlib";
import { type Converter, convert, formats, type SourceRecord } from "../src/interop/index.js";

export interface InteropBenchOptions {
  /** Events converted for the throughput figure (default 200,000). */
  events?: number;
  /** Uncompressed size of the JSON-lines file the RSS figure converts (default 256 MB; 1024 for the 1 GB check). */
  megabytes?: number;
  /** Where the generated files go (default a temporary folder, removed afterwards). */
  work?: string;
  log?: (line: string) => void;
}

export interface InteropBenchResult {
  /** Why the figures are missing, when they are. */
  unavailable?: string;
  events?: number;
  convertPerSecond?: number;
  floorPerSecond?: number;
  statements?: number;
  file?: { megabytes: number; gzipMegabytes: number; records: number; seconds: number; peakRssMb: number };
}

/** The Open edX configuration the reference fixtures were produced with (../shared/README.md). */
const EDX_CONFIG = {
  platformUrl: "http://localhost:18000",
  transformerVersion: "event-routing-backends@1.1.1",
  defaultCourseName: "Demonstration Course",
  anonymousId: "32e08e30-f8ae-4ce2-94a8-c2bfe38a70cb",
};

/** One JSON line per event: the fixture events when ../shared is there, else a small built-in set. */
function sampleEvents(root: string): string[] {
  const folder = join(root, "../shared/fixtures/edx/input");
  if (existsSync(folder)) {
    return readdirSync(folder)
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.stringify(JSON.parse(readFileSync(join(folder, f), "utf8"))));
  }
  const events: string[] = [];
  for (const [name, extra] of [
    ["play_video", { id: "block-v1:edX+DemoX+Demo_Course+type@video+block@v1", currentTime: 12.5 }],
    ["pause_video", { id: "block-v1:edX+DemoX+Demo_Course+type@video+block@v1", currentTime: 40 }],
    ["edx.course.enrollment.activated", { course_id: "course-v1:edX+DemoX+Demo_Course", mode: "audit" }],
  ] as const) {
    events.push(
      JSON.stringify({
        name,
        event_type: name,
        event_source: name.startsWith("edx") ? "server" : "browser",
        time: "2024-01-01T10:00:00.000000+00:00",
        username: "learner",
        context: { course_id: "course-v1:edX+DemoX+Demo_Course", user_id: 3, org_id: "edX", path: "/event" },
        event: extra,
      }),
    );
  }
  return events;
}

async function* inMemory(lines: string[], count: number): AsyncGenerator<SourceRecord> {
  for (let i = 0; i < count; i++)
    yield { value: JSON.parse(lines[i % lines.length]!), position: { line: i + 1 } };
}

/**
 * Events/s through the converter (parse, convert, serialize), beside parse + serialize alone. Both are
 * warmed up first (the converter's code is compiled by the JIT as it runs; JSON's is native), then
 * measured in alternating rounds, so that a burst of load on a shared machine weighs on both alike.
 */
async function throughput(converter: Converter, lines: string[], count: number) {
  const floorRound = (n: number) => {
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += JSON.stringify(JSON.parse(lines[i % lines.length]!)).length;
    return bytes;
  };
  const convertRound = async (n: number) => {
    let statements = 0;
    let bytes = 0;
    for await (const outcome of converter.run(inMemory(lines, n))) {
      if (outcome.kind !== "converted") continue;
      for (const statement of outcome.statements) {
        statements++;
        bytes += JSON.stringify(statement).length;
      }
    }
    return { statements, bytes };
  };
  const warmUp = Math.min(count, 20_000);
  floorRound(warmUp);
  await convertRound(warmUp);
  const rounds = 6;
  const perRound = Math.ceil(count / rounds);
  let floorMs = 0;
  let convertMs = 0;
  let floorBytes = 0;
  let statements = 0;
  let bytes = 0;
  for (let r = 0; r < rounds; r++) {
    let started = performance.now();
    floorBytes += floorRound(perRound);
    floorMs += performance.now() - started;
    started = performance.now();
    const converted = await convertRound(perRound);
    convertMs += performance.now() - started;
    statements += converted.statements;
    bytes += converted.bytes;
  }
  const measured = perRound * rounds;
  return {
    convertPerSecond: (measured * 1000) / convertMs,
    floorPerSecond: (measured * 1000) / floorMs,
    statements,
    bytes,
    floorBytes,
  };
}

/** Writes `megabytes` of JSON lines (the sample events repeated), gzipped; returns the record count. */
async function generateLog(path: string, lines: string[], megabytes: number): Promise<number> {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
  });
  gzip.pipe(out);
  const target = megabytes * 1024 * 1024;
  let written = 0;
  let records = 0;
  while (written < target) {
    const chunk: string[] = [];
    for (let i = 0; i < 1000; i++) chunk.push(lines[(records + i) % lines.length]!);
    const text = `${chunk.join("\n")}\n`;
    records += 1000;
    written += Buffer.byteLength(text);
    if (!gzip.write(text)) await new Promise((resolve) => gzip.once("drain", resolve));
  }
  gzip.end();
  await done;
  return records;
}

export async function benchInterop(options: InteropBenchOptions = {}): Promise<InteropBenchResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const edx = formats.get("edx");
  if (!edx) {
    log("interop: the edx format is not registered yet: no Open edX conversion figures");
    return { unavailable: "the edx format is not registered" };
  }
  const root = fileURLToPath(new URL(import.meta.url.includes("/dist/") ? "../../" : "../", import.meta.url));
  const lines = sampleEvents(root);
  const count = options.events ?? 200_000;
  const converter = await edx.converter(EDX_CONFIG);
  const speed = await throughput(converter, lines, count);
  log(
    `interop: Open edX conversion ${Math.round(speed.convertPerSecond).toLocaleString()} events/s ` +
      `(${speed.statements.toLocaleString()} statements from ${count.toLocaleString()} events of ${lines.length} kinds); ` +
      `floor JSON.parse + JSON.stringify of the same lines ${Math.round(speed.floorPerSecond).toLocaleString()} lines/s ` +
      `(conversion at ${((speed.convertPerSecond / speed.floorPerSecond) * 100).toFixed(0)}% of the floor)`,
  );

  const work = options.work ?? mkdtempSync(join(tmpdir(), "learnpool-bench-interop-"));
  const megabytes = options.megabytes ?? 256;
  try {
    const file = join(work, "tracking.log.gz");
    const records = await generateLog(file, lines, megabytes);
    global.gc?.();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const started = performance.now();
    const counts = await convert({
      format: edx,
      input: file,
      config: EDX_CONFIG,
      out: sink,
      progress: false,
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const result = {
      megabytes,
      gzipMegabytes: statSync(file).size / 1024 / 1024,
      records: counts.read,
      seconds,
      peakRssMb: peak / 1024 / 1024,
    };
    log(
      `interop: pipeline over ${megabytes} MB of gzipped JSON lines (${result.gzipMegabytes.toFixed(0)} MB on disk, ` +
        `${records.toLocaleString()} events): ${Math.round(counts.read / seconds).toLocaleString()} events/s, ` +
        `${counts.statements.toLocaleString()} statements, peak RSS ${result.peakRssMb.toFixed(0)} MB ` +
        `(limit for a 1 GB run: 300 MB)`,
    );
    return { events: count, ...speed, file: result };
  } finally {
    if (!options.work) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { events: { type: "string", default: "200000" }, megabytes: { type: "string", default: "256" } },
  });
  await benchInterop({ events: Number(values.events), megabytes: Number(values.megabytes) });
}
