import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { XapiVersion } from "../../xapi/index.js";
import { type Preparation, prepareJson } from "./prepare.js";

export interface PreparerOptions {
  /** Bodies at least this large go to the worker thread; smaller ones are prepared inline. */
  threshold?: number;
  /** false: always inline. */
  worker?: boolean;
}

/**
 * Prepares JSON statement bodies on a worker thread, so that parsing and validating a 1 MB batch does
 * not hold the event loop (or the database) while other requests wait: on two cores, the database
 * writes one batch while the worker prepares the next. Runs inline where no compiled worker exists
 * (the TypeScript sources under test) and for small bodies, where the hand-over costs more than it saves.
 */
export class StatementPreparer {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (p: Preparation) => void; reject: (e: unknown) => void }
  >();
  private nextId = 1;
  private readonly threshold: number;
  private readonly script: URL | undefined;

  constructor(options: PreparerOptions = {}) {
    this.threshold = options.threshold ?? 32 * 1024;
    const script = new URL("./prepare-worker.js", import.meta.url);
    this.script = options.worker !== false && existsSync(fileURLToPath(script)) ? script : undefined;
  }

  prepare(bytes: Uint8Array, version: XapiVersion, statementId?: string): Promise<Preparation> {
    if (!this.script || bytes.byteLength < this.threshold) {
      return Promise.resolve(prepareJson(bytes, version, statementId));
    }
    const worker = this.start(this.script);
    const id = this.nextId++;
    return new Promise<Preparation>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, bytes, version, statementId });
    });
  }

  private start(script: URL): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(script);
    worker.unref();
    worker.on("message", (message: { id: number; result: Preparation }) => {
      const job = this.pending.get(message.id);
      this.pending.delete(message.id);
      job?.resolve(message.result);
    });
    const fail = (err: unknown) => {
      // A dead worker fails what it held; the next batch starts a new one.
      if (this.worker === worker) this.worker = undefined;
      for (const job of this.pending.values()) job.reject(err);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the statement worker stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
