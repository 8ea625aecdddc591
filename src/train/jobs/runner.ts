/**
 * Runs one job's training on a worker thread (node:worker_threads) with a heap limit
 * (`resourceLimits.maxOldGenerationSizeMb` from the spec's `limits.memory_mb`) and a wall-clock limit
 * (the thread is terminated when `limits.seconds` pass). Progress comes back by messages.
 *
 * The compiled build runs `worker.js`; from the TypeScript sources (tests) a module-hooks file that
 * loads `.ts` must be given (`loader`, or env LEARNPOOL_WORKER_LOADER), or the run fails saying so.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ProgressReport, TrainingInput, TrainingResult } from "./training.js";

export interface WorkerOptions {
  /** URL of module hooks (`module.register`) that let the worker load TypeScript sources. */
  loader?: string;
}

export type WorkerOutcome = { ok: true; result: TrainingResult } | { ok: false; reason: string };

function workerScript(options: WorkerOptions): { script: URL; eval?: string } {
  const compiled = new URL("./worker.js", import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { script: compiled };
  const source = new URL("./worker.ts", import.meta.url);
  const loader = options.loader ?? process.env.LEARNPOOL_WORKER_LOADER;
  if (!loader)
    throw new Error(
      "the training worker runs from the compiled build (npm run build) or with a TypeScript loader",
    );
  // An eval'd bootstrap registers the hooks on the worker's own thread before importing the entry.
  const code = `require("node:module").register(${JSON.stringify(loader)});
import(${JSON.stringify(source.href)}).catch((err) => { throw err; });`;
  return { script: source, eval: code };
}

export function runInWorker(
  input: TrainingInput,
  progress: ProgressReport,
  options: WorkerOptions = {},
): Promise<WorkerOutcome> {
  const { memoryMb, seconds } = input.spec.limits;
  let launch: ReturnType<typeof workerScript>;
  try {
    launch = workerScript(options);
  } catch (err) {
    return Promise.resolve({ ok: false, reason: (err as Error).message });
  }
  const worker = new Worker(launch.eval ?? launch.script, {
    ...(launch.eval !== undefined && { eval: true }),
    workerData: input,
    resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    stdout: false,
    stderr: false,
  });
  return new Promise<WorkerOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: WorkerOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => settle({ ok: false, reason: `time limit: the job ran past its ${seconds} s (limits.seconds)` }),
      seconds * 1000,
    );
    worker.on(
      "message",
      (m: { type: string; stage?: string; fraction?: number; result?: TrainingResult; message?: string }) => {
        if (m.type === "progress" && !settled) progress(m.stage ?? "", m.fraction ?? 0);
        else if (m.type === "done") settle({ ok: true, result: m.result as TrainingResult });
        else if (m.type === "failed") settle({ ok: false, reason: m.message ?? "the training failed" });
      },
    );
    worker.on("error", (err: Error & { code?: string }) => {
      settle({
        ok: false,
        reason:
          err.code === "ERR_WORKER_OUT_OF_MEMORY"
            ? `memory limit: the job needed more than its ${memoryMb} MB heap (limits.memory_mb)`
            : `the training worker failed: ${err.name}: ${err.message}`,
      });
    });
    worker.on("exit", (code) =>
      settle({ ok: false, reason: `the training worker stopped (exit code ${code})` }),
    );
  });
}
