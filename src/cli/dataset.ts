/**
 * `learnpool dataset build <spec.yaml>` and `learnpool dataset verify <dir>`: command-line wiring of the
 * pool's build (first slice: the policy decision, consent selection, `learner_periods` with labels and
 * splits, shards, documents, lineage) and of a version's verification. A denied build exits 1 with
 * the decision's reason; verify exits 1 naming the first mismatch.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { Command } from "commander";
import { AuditLog } from "../audit/index.js";
import { ConsentRegistry } from "../consent/index.js";
import { AgreementRegistry, PolicyEnforcement } from "../contract/index.js";
import type { BuildSpec } from "../pool/index.js";
import { openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

// The pool module brings DuckDB's native binding: it loads when a dataset command runs, not at start.
const pool = () => import("../pool/index.js");

export function datasetCommands(): Command[] {
  const dataset = new Command("dataset").description("pooled datasets: build a version, verify one");

  dataset
    .command("build")
    .description("build a dataset version under its agreement, from the providers' stores (audited decision)")
    .argument("<spec>", "the build spec (YAML)")
    .option("--purpose <purpose>", "the build's purpose (default: the one the agreement's permission names)")
    .option("--actor <who>", "who builds, for the audit trail (default cli:<user>)")
    .addOption(dbOption())
    .action(async (file: string, o: { purpose?: string; actor?: string; db: string }) => {
      const { BuildDenied, buildDataset, parseBuildSpec, SpecError } = await pool();
      let spec: BuildSpec;
      try {
        spec = parseBuildSpec(readFileSync(file, "utf8"), { source: file, baseDir: dirname(file) });
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const db = await openDatabase(o.db);
      try {
        const audit = new AuditLog(db);
        const agreements = new AgreementRegistry(db, audit);
        const consent = new ConsentRegistry(db, audit, agreements);
        const enforcement = new PolicyEnforcement(db, audit, agreements, agreements.participants);
        const result = await buildDataset({ db, agreements, consent, enforcement }, spec, {
          actor: o.actor ?? cliActor(),
          ...(o.purpose ? { purpose: o.purpose } : {}),
        });
        printJson(result);
      } catch (err) {
        if (!(err instanceof BuildDenied)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
      } finally {
        await db.close();
      }
    });

  dataset
    .command("verify")
    .description("recompute a version's file hashes and lineage (Merkle roots over the Parquet rows)")
    .argument("<dir>", "the version's folder (holding lineage.json)")
    .action(async (dir: string) => {
      const v = await (await pool()).verifyVersion(dir);
      printJson(
        v.ok ? { ok: true, records: v.records } : { ok: false, records: v.records, mismatch: v.mismatch },
      );
      if (!v.ok) {
        process.stderr.write(`verify failed: ${v.message}\n`);
        process.exitCode = 1;
      }
    });

  return [dataset];
}
