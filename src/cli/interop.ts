/**
 * `learnpool convert`, `learnpool ingest`, `learnpool formats` and `learnpool profile validate`: the
 * command-line wiring of the interop module. The module loads when one of these commands runs, so
 * that the other commands do not pay for the converters' dependencies.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { Counts, IngestCounts, Outcome } from "../interop/index.js";
import type { XapiVersion } from "../xapi/index.js";

const interop = () => import("../interop/index.js");

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function readConfig(path: string | undefined): unknown {
  if (path === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`--config ${path}: ${(err as Error).message}`);
  }
}

function xapiVersion(value: string): XapiVersion {
  if (value === "2.0.0" || value === "1.0.3") return value;
  throw new Error(`xAPI version must be 2.0.0 or 1.0.3, not '${value}'`);
}

/** Without an errors file, the first rejections are shown on stderr, so that none passes unseen. */
function rejectionPrinter(): {
  print: (outcome: Exclude<Outcome, { kind: "converted" }>) => void;
  finish: () => void;
} {
  const shown = 10;
  let count = 0;
  return {
    print(outcome) {
      count++;
      if (count <= shown) say(`rejected ${JSON.stringify(outcome.position)}: ${outcome.reason}`);
    },
    finish() {
      if (count > shown)
        say(`… and ${count - shown} more rejected records (write them all with --errors FILE)`);
    },
  };
}

function countsLine(counts: Counts): string {
  return (
    `read ${counts.read} records: ${counts.converted} converted into ${counts.statements} statements, ` +
    `${counts.skipped} skipped, ${counts.rejected} rejected`
  );
}

function sourceOptions(command: Command): Command {
  return command
    .requiredOption("--from <format>", "the source format (see: learnpool formats)")
    .requiredOption("--in <path>", "the input file, or - for stdin (gzip is detected)")
    .option("--config <file>", "the format's configuration, a JSON file")
    .option("--errors <file>", "write each rejected and skipped record there as a JSON line")
    .option("--no-validate", "do not check emitted statements with the xAPI validator");
}

interface SourceOptions {
  from: string;
  in: string;
  config?: string;
  errors?: string;
  validate: boolean;
}

function convertCommand(): Command {
  return sourceOptions(new Command("convert").description("convert a provider's learning traces to xAPI"))
    .option("--out <path>", "where statements go as JSON lines, or - for stdout", "-")
    .addOption(
      new Option("--xapi-version <version>", "the xAPI version statements are validated under").default(
        "2.0.0",
      ),
    )
    .action(async (o: SourceOptions & { out: string; xapiVersion: string }) => {
      const { convert, formatNamed } = await interop();
      const rejections = rejectionPrinter();
      const counts = await convert({
        format: formatNamed(o.from),
        input: o.in,
        config: readConfig(o.config),
        out: o.out,
        ...(o.errors !== undefined && { errors: o.errors }),
        validate: o.validate,
        version: xapiVersion(o.xapiVersion),
        onRejected: rejections.print,
      });
      rejections.finish();
      say(`learnpool convert: ${countsLine(counts)}`);
      process.exitCode = counts.rejected > 0 ? 1 : 0;
    });
}

interface IngestOptions extends SourceOptions {
  db?: string;
  store?: string;
  endpoint?: string;
  credential?: string;
  version: string;
  batch: string;
  checkpoint?: string;
}

function ingestCommand(): Command {
  return sourceOptions(
    new Command("ingest").description(
      "convert and store into a store of the LRS (a database) or any xAPI endpoint, in resumable batches",
    ),
  )
    .addOption(new Option("--db <location>", "the LRS's database: a SQLite file or a postgres:// URL"))
    .option("--store <id>", "the store (provider) to write into, with --db")
    .option("--endpoint <url>", "a remote xAPI endpoint, such as https://lrs.example.org/xapi")
    .option("--credential <KEY:SECRET>", "the endpoint's basic-auth credential")
    .option("--version <version>", "the xAPI version sent and validated under", "2.0.0")
    .option("--batch <n>", "statements per batch (a record's statements stay together)", "500")
    .option("--checkpoint <file>", "records how far the input is stored; a rerun resumes from there")
    .action(async (o: IngestOptions) => {
      const { ingest, formatNamed, localTarget, remoteTarget } = await interop();
      const version = xapiVersion(o.version);
      const batch = Number(o.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new Error("--batch must be a positive integer");
      if ((o.endpoint === undefined) === (o.db === undefined)) {
        throw new Error("give either --db with --store, or --endpoint with --credential");
      }
      let close = async () => {};
      let target: Awaited<ReturnType<typeof localTarget>>;
      if (o.endpoint !== undefined) {
        const colon = o.credential?.indexOf(":") ?? -1;
        if (!o.credential || colon < 1) throw new Error("--endpoint needs --credential KEY:SECRET");
        target = remoteTarget({
          endpoint: o.endpoint,
          key: o.credential.slice(0, colon),
          secret: o.credential.slice(colon + 1),
          version,
          onRetry: (attempt, delay, reason) => say(`retry ${attempt} in ${delay} ms: ${reason}`),
        });
      } else {
        if (o.store === undefined) throw new Error("--db needs --store <id>");
        const { openDatabase } = await import("../store/index.js");
        const { Lrs } = await import("../lrs/index.js");
        const db = await openDatabase(o.db!);
        const lrs = new Lrs(db, { authorityHomePage: "urn:learnpool:cli" });
        close = async () => {
          await lrs.close();
          await db.close();
        };
        try {
          target = await localTarget(lrs, o.store, version);
        } catch (err) {
          await close();
          throw err;
        }
      }
      const rejections = rejectionPrinter();
      let counts: IngestCounts;
      try {
        counts = await ingest({
          format: formatNamed(o.from),
          input: o.in,
          config: readConfig(o.config),
          target,
          batch,
          ...(o.checkpoint !== undefined && { checkpoint: o.checkpoint }),
          ...(o.errors !== undefined && { errors: o.errors }),
          validate: o.validate,
          version,
          onRejected: rejections.print,
        });
      } finally {
        await close();
      }
      rejections.finish();
      if (counts.resumed > 0) say(`learnpool ingest: resumed after ${counts.resumed} records already stored`);
      say(
        `learnpool ingest: ${countsLine(counts)}; stored ${counts.stored} statements in ${counts.batches} batches into ${target.description}`,
      );
      process.exitCode = counts.rejected > 0 ? 1 : 0;
    });
}

function formatsCommand(): Command {
  return new Command("formats")
    .description("list the source formats convert and ingest read")
    .action(async () => {
      const { formats } = await interop();
      for (const format of formats.values()) process.stdout.write(`${format.name}\t${format.description}\n`);
    });
}

function vocabularyCommand(): Command {
  return new Command("vocabulary")
    .description("print, as markdown tables, the verbs, activity types and extensions the converters emit")
    .action(async () => {
      const { vocabularyMarkdown } = await interop();
      process.stdout.write(vocabularyMarkdown());
    });
}

function profileCommand(): Command {
  const profile = new Command("profile").description("xAPI Profiles");
  profile
    .command("validate")
    .description(
      "check statements against an xAPI Profile's statement templates (one JSON report per statement)",
    )
    .requiredOption("--profile <file>", "the profile document (JSON-LD)")
    .requiredOption("--in <path>", "statements: JSON lines, an array, or - for stdin (gzip is detected)")
    .option("--template <id>", "check every statement against this template only")
    .option("--recommendations", "also report recommended properties that are absent")
    .action(async (o: { profile: string; in: string; template?: string; recommendations?: boolean }) => {
      const { profiles } = await interop();
      const loaded = profiles.loadProfile(o.profile);
      let statements = 0;
      let invalid = 0;
      let unmatched = 0;
      for await (const report of profiles.checkStatements(
        loaded,
        o.in,
        o.template === undefined ? {} : { template: o.template },
      )) {
        statements++;
        if (!report.valid) invalid++;
        if (report.matched.length === 0) unmatched++;
        const shown = o.recommendations
          ? report
          : { ...report, matched: report.matched.map(({ recommendations: _, ...rest }) => rest) };
        process.stdout.write(`${JSON.stringify(shown)}\n`);
      }
      say(
        `learnpool profile validate: ${statements} statements, ${statements - invalid} valid, ${invalid} invalid, ` +
          `${unmatched} matching no template of ${loaded.id}`,
      );
      process.exitCode = invalid > 0 ? 1 : 0;
    });
  return profile;
}

/** The interop commands, for `program()` to add. */
export function interopCommands(): Command[] {
  return [convertCommand(), ingestCommand(), formatsCommand(), vocabularyCommand(), profileCommand()];
}
