/**
 * `learnpool linkage …`: command-line wiring of fuzzy linkage. `schema` writes the learner linkage
 * schema with a fresh salt; `encode` turns a provider's CSV into CLKs (no identifying field is ever
 * written); `match` links two CLK files and writes the matches and the report. The privacy module
 * (privacy/linkage-files.ts does the work) loads only when one of these commands runs.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import type { Blocking, EncodeCommandOptions, MatchCommandOptions } from "../privacy/index.js";

const privacy = () => import("../privacy/index.js");

type Print = (line: string) => void;
const stdout: Print = (line) => process.stdout.write(`${line}\n`);
const stderr: Print = (line) => process.stderr.write(`${line}\n`);

function number(name: string, min: number, max: number, integer = false): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`,
      );
    }
    return n;
  };
}

async function run(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    const { LinkageCommandError } = await privacy();
    if (error instanceof LinkageCommandError || (error as NodeJS.ErrnoException).code === "ENOENT") {
      stderr(`error: ${(error as Error).message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

export function linkageCommands(): Command[] {
  const linkage = new Command("linkage").description(
    "fuzzy linkage of learners without a shared identifier: Bloom-filter encodings (CLK, clkhash schema v3)",
  );
  linkage
    .command("schema")
    .description("write the learner linkage schema (names, birth date, postcode, gender) with a fresh salt")
    .requiredOption("--out <schema.json>", "where to write it")
    .option(
      "--postcode-keep <n>",
      "postcode characters kept (masking the rest)",
      number("--postcode-keep", 1, 10, true),
    )
    .option("--l <bits>", "CLK length in bits (a power of two)", number("--l", 64, 65536, true))
    .action((o: { out: string; postcodeKeep?: number; l?: number }) =>
      run(async () => {
        const { schemaCommand } = await privacy();
        schemaCommand(o);
        stderr(`linkage schema written to ${o.out}: share it (it holds no secret) with the other providers`);
      }),
    );
  linkage
    .command("encode")
    .description("encode a CSV of learners into CLKs (the id column is kept; identifying fields are not)")
    .requiredOption("--schema <schema.json>", "the linkage schema (clkhash v3)")
    .requiredOption("--secret-file <file>", "the secret shared by the providers of the linkage")
    .requiredOption("--in <file.csv>", "the learners, one row each, with a header")
    .requiredOption("--out <clks.jsonl>", "where to write the CLKs")
    .option("--id-column <name>", "the column holding the record id", "id")
    .option("--skip-invalid", "skip rows that do not fit the schema instead of stopping")
    .action((o: EncodeCommandOptions) =>
      run(async () => {
        const { encodeCommand } = await privacy();
        const s = await encodeCommand(o);
        stderr(
          `${s.records} CLKs written to ${o.out} (mean ${s.meanPopcount.toFixed(1)} bits set)` +
            (s.skipped > 0 ? `; ${s.skipped} rows skipped: ${s.skippedRows.slice(0, 20).join(", ")}` : ""),
        );
      }),
    );
  linkage
    .command("match")
    .description("link two CLK files: Dice similarity, LSH blocking, greedy one-to-one matching")
    .requiredOption("--a <clks.jsonl>", "the first provider's CLKs")
    .requiredOption("--b <clks.jsonl>", "the second provider's CLKs")
    .option(
      "--threshold <dice>",
      "the lowest Dice coefficient of a match (default 0.8)",
      number("--threshold", 0.01, 1),
    )
    .option("--truth <pairs.csv>", "the true pairs (a_id,b_id), for precision and recall")
    .addOption(new Option("--blocking <method>", "candidate pairs").choices(["lsh", "none"]).default("lsh"))
    .option("--bands <n>", "LSH bands", number("--bands", 1, 10000, true))
    .option("--bits-per-band <n>", "bits sampled per LSH band", number("--bits-per-band", 1, 30, true))
    .requiredOption("--out <matches.csv>", "where to write the matches (a_id,b_id,score)")
    .requiredOption("--report <report.json>", "where to write the linkage report")
    .action(
      (
        o: Omit<MatchCommandOptions, "blocking"> & { blocking: string; bands?: number; bitsPerBand?: number },
      ) =>
        run(async () => {
          const { DEFAULT_BLOCKING, histogramText, matchCommand, summaryText } = await privacy();
          const lsh = DEFAULT_BLOCKING.method === "lsh" ? DEFAULT_BLOCKING : undefined;
          const blocking: Blocking =
            o.blocking === "none"
              ? { method: "none" }
              : {
                  method: "lsh",
                  bands: o.bands ?? lsh?.bands ?? 80,
                  bitsPerBand: o.bitsPerBand ?? lsh?.bitsPerBand ?? 15,
                  seed: lsh?.seed ?? 1,
                };
          const report = await matchCommand({ ...o, blocking });
          for (const line of summaryText(report)) stdout(line);
          for (const line of histogramText(report)) stdout(line);
        }),
    );
  return [linkage];
}
