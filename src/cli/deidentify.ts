/**
 * `learnpool deidentify`: the command-line wiring of trace de-identification. It reads the profile,
 * the roster and the keys, runs `deidentifyFile` and says how it went; a run whose leak check finds an
 * identifier of the input in the output fails, and its output is removed so that it cannot be sent.
 * Pseudonyms come from a domain of the key store (keyed), from the OPRF service (OPRF), or, as a
 * stop-gap, from the provider's local key alone; the pseudonymizer is built as `pseudonymize` builds it.
 */
import { readFileSync, rmSync } from "node:fs";
import { Command } from "commander";
import type { DeidentifyPseudonymization, Pseudonymizer } from "../privacy/index.js";
import { dbOption } from "./common.js";
import { domainPseudonymizer, masterKeyOption } from "./privacy.js";

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface DeidentifyCliOptions {
  profile: string;
  in: string;
  out: string;
  report: string;
  roster?: string;
  keyFile?: string;
  domain?: string;
  db: string;
  masterKeyFile?: string;
  keyId?: string;
  endpoint?: string;
  credential?: string;
  batch: string;
  progress: boolean;
}

/** Which pseudonymization the options ask for; a set that mixes or half-gives a mode is refused. */
function modeOf(o: DeidentifyCliOptions): DeidentifyPseudonymization["mode"] {
  if (o.domain?.includes(":"))
    throw new Error(
      `--domain takes the id of a pseudonymization domain (as in \`learnpool domains list\`), not an IRI: the profile's domain IRI is checked against the domain's`,
    );
  if (o.endpoint !== undefined) {
    if (o.domain === undefined) throw new Error("OPRF mode (--endpoint) needs --domain <id>");
    if (o.credential === undefined)
      throw new Error("OPRF mode (--endpoint) needs --credential KEY:SECRET (a member store's)");
    if (o.keyId !== undefined)
      throw new Error(
        "--key-id is for keyed mode: the OPRF service evaluates under the domain's current key",
      );
    // The ids and re-keyed values need a symmetric key used at the rate of statements; no provider
    // holds the domain's key, and one derived through the service would be the same at every member,
    // who could then re-derive this provider's ids and test guesses of its re-keyed values.
    if (o.keyFile === undefined)
      throw new Error(
        "OPRF mode needs --key-file: the provider's own key, for the statement ids and re-keyed extension values (no provider holds the domain's key)",
      );
    return "OPRF";
  }
  if (o.credential !== undefined) throw new Error("--credential is for OPRF mode: give --endpoint too");
  if (o.domain !== undefined) return "keyed";
  if (o.keyId !== undefined) throw new Error("--key-id needs --domain <id> (keyed mode)");
  if (o.keyFile === undefined)
    throw new Error(
      "give --domain <id> (keyed, with the key store; or OPRF, with --endpoint) or --key-file <file> (local key only)",
    );
  return "local key";
}

function describe(p: DeidentifyPseudonymization): string {
  return p.domainId === undefined ? p.mode : `${p.mode}, domain ${p.domainId} key ${p.keyId}`;
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
    .option(
      "--domain <id>",
      "the pseudonymization domain (keyed: of the key store; OPRF: at the service); its IRI must be the profile's domain",
    )
    .option(
      "--key-file <file>",
      "the provider's local key (32 bytes in base64) for re-derived ids and re-keyed values: required in OPRF mode; alone (no --domain), it also keys the pseudonyms",
    )
    .addOption(dbOption())
    .addOption(masterKeyOption())
    .option("--key-id <id>", "keyed mode: a retired key of the domain, to re-derive old pseudonyms")
    .option("--endpoint <url>", "OPRF mode: the Learnpool server, e.g. http://host:8080")
    .option("--credential <KEY:SECRET>", "OPRF mode: a credential of a member store")
    .option("--batch <n>", "statements per batch (one pseudonymizer call each)", "1000")
    .option("--no-progress", "no progress line, even on a terminal")
    .action(async (o: DeidentifyCliOptions) => {
      const { loadProfile } = await import("../privacy/profile.js");
      const { parseRoster } = await import("../privacy/scrub.js");
      const { localHmacPseudonymizer, localKeyOfDomainKey, readKeyFile } = await import(
        "../privacy/deidentify-keyed.js"
      );
      const { deidentifyFile } = await import("../privacy/deidentify-file.js");
      const mode = modeOf(o);
      const profile = loadProfile(o.profile);
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
      let localKey = o.keyFile === undefined ? undefined : readKeyFile(o.keyFile);
      let pseudonymizer: Pseudonymizer;
      let pseudonymization: DeidentifyPseudonymization = { mode };
      if (mode === "local key") pseudonymizer = localHmacPseudonymizer(localKey as Buffer, profile.domain);
      else {
        const made = await domainPseudonymizer({ ...o, domain: o.domain as string });
        pseudonymizer = made.pseudonymizer;
        pseudonymization = { mode, domainId: o.domain as string, keyId: made.pseudonymizer.keyId };
        if (made.mode === "keyed") localKey ??= localKeyOfDomainKey(made.key.key);
        if (pseudonymizer.domain !== profile.domain)
          throw new Error(
            `domain '${o.domain}' has the IRI ${pseudonymizer.domain}, but profile ${profile.id} is for ${profile.domain}: the profile's domain must be the domain's IRI`,
          );
      }
      const tty = o.progress && process.stderr.isTTY === true;
      const started = performance.now();
      const report = await deidentifyFile({
        profile,
        pseudonymizer,
        pseudonymization,
        localKey: localKey as Buffer,
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
        `learnpool deidentify: profile ${profile.id} ${profile.version} (${describe(pseudonymization)}): read ${counts.read} statements, wrote ${counts.written}, rejected ${counts.rejected} (see ${o.report})`,
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
