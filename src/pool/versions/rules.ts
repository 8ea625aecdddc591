/**
 * The pure rules of dataset versions: version numbers, a folder's inventory, deletion evidence and its
 * digest, and where a file of a version may be read from. No database here.
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { canonicalJson } from "../../contract/index.js";

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** Checks a version number: MAJOR.MINOR.PATCH, digits only. */
export function checkVersionNumber(version: unknown): string {
  if (typeof version !== "string" || !SEMVER.test(version))
    throw new RangeError(`a dataset version is MAJOR.MINOR.PATCH (such as 1.0.0), not '${String(version)}'`);
  return version;
}

/**
 * The number the next build of a dataset takes: 1.0.0 first, then the highest so far with its minor
 * part raised (a rebuild under the same spec changes data, not the layout: 1.0.0 → 1.1.0 → 1.2.0).
 */
export function nextVersionAfter(taken: readonly string[]): string {
  let best: [number, number, number] | undefined;
  for (const v of taken) {
    const m = SEMVER.exec(v);
    if (!m) continue;
    const t: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (
      !best ||
      t[0] > best[0] ||
      (t[0] === best[0] && (t[1] > best[1] || (t[1] === best[1] && t[2] > best[2])))
    )
      best = t;
  }
  return best ? `${best[0]}.${best[1] + 1}.0` : "1.0.0";
}

/** One file of a version's folder, as recorded and as deleted. */
export interface InventoryFile {
  /** Relative to the version's folder, with `/`. */
  path: string;
  sha256: string;
  bytes: number;
}

/** Every regular file under `dir` with its SHA-256, sorted by path (the version's inventory); links are skipped. */
export function inventory(dir: string): InventoryFile[] {
  const out: InventoryFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      // lstat: a symbolic link is not followed, so nothing outside the folder enters the inventory.
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) {
        const bytes = readFileSync(full);
        out.push({
          path: relative(dir, full).split(sep).join("/"),
          sha256: createHash("sha256").update(bytes).digest("hex"),
          bytes: bytes.length,
        });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * A path a caller names inside a version: relative, `/`-separated, no `..`, no empty or dot segment.
 * Anything else is refused before the inventory is even consulted.
 */
export function checkFilePath(path: unknown): string {
  if (typeof path !== "string" || path === "" || path.length > 1024)
    throw new RangeError(
      "a file of a version is named by its relative path, such as data/train-00000-of-00001.parquet",
    );
  const normal = posix.normalize(path);
  if (
    normal !== path ||
    path.startsWith("/") ||
    path.split("/").some((s) => s === "" || s === "." || s === "..")
  )
    throw new RangeError(`'${path}' is not a plain relative path inside the version`);
  return path;
}

/** What is kept of a version's deletion: enough to show later what was removed, when and by whom. */
export interface DeletionEvidence {
  version: string;
  name: string;
  number: string;
  agreement: string;
  /** The agreement's state that made the deletion due (expired, terminated, revoked) and its reason. */
  agreementState: string;
  reason: string;
  merkleRoot: string;
  /** Each file's path and SHA-256 just before deletion (as recorded when the folder was already gone). */
  files: InventoryFile[];
  /** Whether the folder was found; when not, `files` is the inventory taken at recording. */
  folderFound: boolean;
  deletedAt: string;
  deletedBy: string;
}

/** The digest that seals deletion evidence: SHA-256 (hex) of its RFC 8785 form. */
export function deletionDigest(evidence: DeletionEvidence): string {
  return createHash("sha256").update(canonicalJson(evidence), "utf8").digest("hex");
}

/** Checks evidence against its digest (what `show` and anyone holding the event can do). */
export function verifyDeletionEvidence(evidence: DeletionEvidence, digest: string): boolean {
  return deletionDigest(evidence) === digest;
}
