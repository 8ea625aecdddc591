/**
 * xAPI Profiles: statements checked against a profile's statement templates (determining properties
 * and rules). `profile.ts` reads profile documents, `validate.ts` holds the rules (pure); the function
 * here streams a file of statements through them.
 */
import { readFileSync } from "node:fs";
import type { Position } from "../converter.js";
import { isMalformed, readJsonRecords } from "../reader.js";
import { type Profile, ProfileError, readProfile } from "./profile.js";
import { checkStatement, type StatementReport } from "./validate.js";

export * from "./profile.js";
export * from "./validate.js";

/** Reads a profile document from a JSON-LD file. */
export function loadProfile(path: string): Profile {
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ProfileError(`${path}: ${(err as Error).message}`);
  }
  return readProfile(document);
}

export type PositionedReport = StatementReport & { position: Position; malformed?: string };

/** Each statement of an input (JSON lines, array, gzip: the common reader) with its report, in order. */
export async function* checkStatements(
  profile: Profile,
  input: string,
  options: { template?: string } = {},
): AsyncGenerator<PositionedReport> {
  for await (const record of readJsonRecords(input)) {
    if (isMalformed(record)) {
      yield { position: record.position, matched: [], valid: false, malformed: record.value.reason };
      continue;
    }
    yield { position: record.position, ...checkStatement(record.value, profile, options) };
  }
}
