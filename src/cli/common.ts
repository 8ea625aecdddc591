/**
 * What every command shares: who acts (recorded in the audit trail), the `--db` option, and JSON output.
 */
import { userInfo } from "node:os";
import { Option } from "commander";
import { DEFAULT_DB } from "../store/index.js";

/** The audit trail's actor for a command: `cli:<user>`, or `cli` where the user cannot be read. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

/** `--db`: a SQLite file, `:memory:` or a postgres:// URL; env LEARNPOOL_DB; default data/learnpool.db. */
export function dbOption(): Option {
  return new Option("--db <location>", "database: a SQLite file, :memory:, or a postgres:// URL")
    .env("LEARNPOOL_DB")
    .default(DEFAULT_DB);
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
