/**
 * The demonstration's folder: what a finished demonstration leaves there, and the rule for a folder
 * that is already there. A demonstration writes `demo.json` first (state `building`) and last (state
 * `complete`, with its summary): a folder whose `demo.json` says `complete` for the same options is
 * reused; one left `building` (a run that was stopped) or made with other options is removed and made
 * afresh; a folder that is not a demonstration's is moved aside, never deleted.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DemoSummary } from "./summary.js";

export const MARKER = "demo.json";
/** The sign-in secrets, readable by the owner only: participants' credentials, example learners. */
export const SECRETS = "demo-secrets.json";

export interface DemoMarker {
  format: "learnpool-demo/1";
  state: "building" | "complete";
  learners: number;
  seed: number;
  db: string;
  startedAt: string;
  finishedAt?: string;
  summary?: DemoSummary;
}

export type FolderVerdict =
  | { action: "reuse"; marker: DemoMarker & { summary: DemoSummary } }
  | { action: "create" }
  | { action: "rebuild"; reason: string }
  | { action: "move-aside"; reason: string };

/** What to do with `dir` for a demonstration of these options (pure but for reading the folder). */
export function judgeFolder(
  dir: string,
  options: { learners: number; seed: number; db: string },
): FolderVerdict {
  if (!existsSync(dir) || readdirSync(dir).length === 0) return { action: "create" };
  const path = join(dir, MARKER);
  if (!existsSync(path))
    return { action: "move-aside", reason: `${dir} holds files that are not a demonstration's` };
  let marker: DemoMarker;
  try {
    marker = JSON.parse(readFileSync(path, "utf8")) as DemoMarker;
  } catch {
    return { action: "rebuild", reason: `${path} is not readable JSON` };
  }
  if (marker.format !== "learnpool-demo/1")
    return { action: "rebuild", reason: `${path} is not a demonstration marker this version knows` };
  if (marker.state !== "complete" || !marker.summary)
    return { action: "rebuild", reason: "the previous demonstration there was stopped before it finished" };
  const differs = (["learners", "seed", "db"] as const).filter((k) => marker[k] !== options[k]);
  if (differs.length > 0)
    return {
      action: "rebuild",
      reason: `it was made with other options (${differs.map((k) => `${k} ${marker[k]}`).join(", ")})`,
    };
  return { action: "reuse", marker: marker as DemoMarker & { summary: DemoSummary } };
}

/** Empties `dir` (a demonstration's own folder) or moves a foreign one aside; returns where it went. */
export function clearFolder(dir: string, verdict: FolderVerdict, now: Date): string | undefined {
  if (verdict.action === "rebuild") {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    return undefined;
  }
  if (verdict.action === "move-aside") {
    const aside = `${dir}.before-demo-${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
    renameSync(dir, aside);
    mkdirSync(dir, { recursive: true });
    return aside;
  }
  mkdirSync(dir, { recursive: true });
  return undefined;
}

export function writeMarker(dir: string, marker: DemoMarker): void {
  writeFileSync(join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

/** A file only its owner reads (keys, secrets). */
export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}
