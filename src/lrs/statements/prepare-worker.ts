/** The worker thread that prepares statement batches (see prepare.ts and preparer.ts). */
import { parentPort } from "node:worker_threads";
import type { XapiVersion } from "../../xapi/index.js";
import { prepareJson } from "./prepare.js";

interface Job {
  id: number;
  bytes: Uint8Array;
  version: XapiVersion;
  statementId?: string;
}

parentPort?.on("message", (job: Job) => {
  let result: ReturnType<typeof prepareJson>;
  try {
    result = prepareJson(job.bytes, job.version, job.statementId);
  } catch (err) {
    result = {
      ok: false,
      message: `the statements could not be prepared: ${(err as Error).message}`,
      problems: [],
    };
  }
  parentPort?.postMessage({ id: job.id, result });
});
