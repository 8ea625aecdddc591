/**
 * One build as the CLI and the API run it: the registry offers the version's number, the build writes
 * it, the registry records it. The refusals a caller reports as such (not as failures of the system)
 * are told apart by `buildRefusal`.
 */
import type { BuildSpec } from "../prepare/index.js";
import { type BuildOptions, type BuildResult, type BuildServices, buildDataset } from "./build.js";
import { CohortBudgetRefused } from "./cohort-release.js";
import { RiskRefused } from "./risk.js";
import { BuildDenied, LeakFound } from "./select.js";

/** What a run needs of the versions registry (`DatasetVersions`). */
export interface VersionRecorder<V> {
  nextVersion(name: string): Promise<string>;
  record(
    result: BuildResult,
    input: {
      agreementId: string;
      name: string;
      version: string;
      builtAt: Date;
      builtBy: string;
      purpose?: string;
      specDigest?: string;
    },
  ): Promise<V>;
}

export interface RunOptions extends Omit<BuildOptions, "version" | "at"> {
  at?: Date;
  /** SHA-256 of the spec's text. */
  specDigest?: string;
  /** Where the numbered version goes (default: the spec's output). */
  output?: (version: string) => string;
}

export async function buildAndRecord<V>(
  services: BuildServices,
  versions: VersionRecorder<V>,
  spec: BuildSpec,
  options: RunOptions,
): Promise<{ result: BuildResult; recorded: V }> {
  const at = options.at ?? new Date();
  // The registry offers the number, so that two builds of one dataset never share one.
  const version = await versions.nextVersion(spec.name);
  const { specDigest, output, ...build } = options;
  const result = await buildDataset(services, output ? { ...spec, output: output(version) } : spec, {
    ...build,
    at,
    version,
  });
  const recorded = await versions.record(result, {
    agreementId: spec.agreement,
    name: spec.name,
    version,
    builtAt: at,
    builtBy: options.actor,
    ...(options.purpose !== undefined && { purpose: options.purpose }),
    ...(specDigest !== undefined && { specDigest }),
  });
  return { result, recorded };
}

/**
 * The build's refusals, each with a message safe to show (figures, reasons, kinds and places, never a
 * pseudonym or an identifier), and the HTTP status that fits; undefined for any other error.
 */
export function buildRefusal(err: unknown): { status: number; message: string } | undefined {
  if (err instanceof BuildDenied) return { status: 403, message: err.message };
  if (err instanceof LeakFound || err instanceof RiskRefused || err instanceof CohortBudgetRefused)
    return { status: 422, message: err.message };
  return undefined;
}

/** The result as shown to whoever built it: the members' pseudonyms stay in the registry. */
export function shownResult(result: BuildResult): Omit<BuildResult, "members" | "consentReceipts"> & {
  members: number;
  consentReceipts: number;
} {
  return { ...result, members: result.members.length, consentReceipts: result.consentReceipts.length };
}
