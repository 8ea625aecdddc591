/**
 * The training worker's entry: runs one job's training (`training.ts`) on this thread, under the
 * resource limits its parent gave, and reports progress, then the result or the failure, by messages.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TrainError } from "../errors.js";
import { runTraining, type TrainingInput } from "./training.js";

const port = parentPort;
if (!port) throw new Error("the training worker runs on a worker thread");
runTraining(workerData as TrainingInput, (stage, fraction) =>
  port.postMessage({ type: "progress", stage, fraction }),
)
  .then((result) => port.postMessage({ type: "done", result }))
  .catch((err: unknown) => {
    // A TrainError names what and where; anything else is reported by its kind and message only.
    const e = err instanceof Error ? err : new Error(String(err));
    port.postMessage({
      type: "failed",
      message: e instanceof TrainError ? e.message : `${e.name}: ${e.message}`,
    });
  });
