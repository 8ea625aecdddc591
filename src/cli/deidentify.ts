/**
 * `learnpool deidentify`: the command-line wiring of trace de-identification. It reads the profile,
 * the roster and the key, runs `deidentifyFile` and says how it went; a run whose leak check finds an
 * identifier of the input in the output fails, and its output is removed so that it cannot be sent.
 */
import { readFileSync, rmSync } from "node:fs";
import { Command } from "commander";

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface DeidentifyCliOptions {
  profile: string;
  in: string;
  out: string;
  report: string;
  roster?: string;
  keyFile: string;
  domain?: string;
  batch: string;
  progress: boolean;
}

function deidentifyCommand(): Command {
  return new Command("deidentify")
    .description(
      "de-identify xAPI statements under a profile: pseudonymous accounts, allow-listed extensions, scrubbed free text, shifted or coarsened times, re-derived ids; writes a report with a leak check",
    )
    .requiredOption("--profile <file>", "the de-identification profile (YAML or JSON)")
    .requiredOption("--in <file>", "statements: JSON lines or a JSON array (gzip is detected)")
    .requiredOption(
      "--out <file>",
      "where de-identified statements go, as JSON lines (gzipped if it ends in .gz)",
    )
    .requiredOption("--report <file>", "where the run's report goes (JSON)")
    .option(
      "--roster <csv>",
      "the provider's learners and staff (given and family names) to scrub from free text",
    )
    .requiredOption("--key-file <file>", "the provider's local key: 32 bytes in base64 (keyed mode)")
    .option("--domain <iri>", "the pseudonymization domain (must be the profile's; default: the profile's)")
    .option("--batch <n>", "statements per batch (one pseudonymizer call each)", "1000")
    .option("--no-progress", "no progress line, even on a terminal")
    .action(async (o: DeidentifyCliOptions) => {
      const { loadProfile } = await import("../privacy/profile.js");
      const { parseRoster } = await import("../privacy/scrub.js");
      const { localHmacPseudonymizer, readKeyFile } = await import("../privacy/deidentify-keyed.js");
      const { deidentifyFile } = await import("../privacy/deidentify-file.js");
      const profile = loadProfile(o.profile);
      if (o.domain !== undefined && o.domain !== profile.domain)
        throw new Error(
          `--domain ${o.domain} is not the domain of profile ${profile.id} (${profile.domain})`,
        );
      const batch = Number(o.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new Error("--batch must be a positive integer");
      let roster: ReturnType<typeof parseRoster> | undefined;
      if (o.roster !== undefined) {
        let csv: string;
        try {
          csv = readFileSync(o.roster, "utf8");
        } catch (err) {
          throw new Error(
            `--roster ${o.roster}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
          );
        }
        roster = parseRoster(csv, o.roster);
      }
      const key = readKeyFile(o.keyFile);
      const tty = o.progress && process.stderr.isTTY === true;
      const started = performance.now();
      const report = await deidentifyFile({
        profile,
        pseudonymizer: localHmacPseudonymizer(key, profile.domain),
        localKey: key,
        ...(roster && { roster }),
        input: o.in,
        output: o.out,
        report: o.report,
        batch,
        ...(tty && {
          onProgress: (read: number) => {
            const rate = Math.round(read / ((performance.now() - started) / 1000));
            process.stderr.write(
              `\r${read.toLocaleString("en")} statements (${rate.toLocaleString("en")}/s)   `,
            );
          },
        }),
      });
      if (tty) process.stderr.write("\n");
      const { counts, leakCheck } = report;
      say(
        `learnpool deidentify: profile ${profile.id} ${profile.version}: read ${counts.read} statements, wrote ${counts.written}, rejected ${counts.rejected} (see ${o.report})`,
      );
      say(
        `leak check: ${leakCheck.searched} identifiers of the input searched in the output, ${leakCheck.found} found` +
          (leakCheck.notSearched > 0 ? `, ${leakCheck.notSearched} too short to search` : ""),
      );
      for (const r of report.rejected.slice(0, 10)) say(`rejected record ${r.record}: ${r.reason}`);
      if (leakCheck.found > 0) {
        rmSync(o.out, { force: true });
        say(
          `learnpool deidentify: FAILED: identifiers of the input remain in the output (places in ${o.report}); ${o.out} was removed`,
        );
        process.exitCode = 2;
      } else if (counts.rejected > 0) process.exitCode = 1;
    });
}

/** The de-identification commands, for `program()` to add. */
export function deidentifyCommands(): Command[] {
  return [deidentifyCommand()];
}
