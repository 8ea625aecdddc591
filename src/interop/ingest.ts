/**
 * `learnpool ingest`: converts an input and stores the statements into a store of an LRS — this one,
 * through a database (`localTarget`), or any xAPI endpoint over HTTP (`remoteTarget`) — in batches,
 * each stored atomically, with a checkpoint file so that an interrupted run resumes where the stored
 * batches end. Converters give statements deterministic ids, so a batch sent twice (stored, then the
 * run killed before the checkpoint was written) is accepted by the LRS as the same statements.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import type { Writable } from "node:stream";
import type { Lrs, Principal } from "../lrs/index.js";
import { LrsError } from "../lrs/index.js";
import type { XapiVersion } from "../xapi/index.js";
import type { Format, Outcome, Position, XapiStatement } from "./converter.js";
import {
  type Counts,
  countOutcome,
  emptyCounts,
  errorLine,
  inputSize,
  LineWriter,
  outcomes,
  Progress,
} from "./pipeline.js";
import type { ByteMeter } from "./reader.js";

/** The LRS refused a batch for its content (400, 409, 413): some of its statements are at fault. */
export class BatchRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "BatchRefused";
  }
}

/** Where statements are stored. `store` is atomic: the whole batch is stored, or nothing is. */
export interface StatementTarget {
  /** For messages: the database and store, or the endpoint. */
  readonly description: string;
  /** Throws BatchRefused when the LRS refuses the batch's content; any other error ends the run. */
  store(statements: XapiStatement[]): Promise<void>;
}

/**
 * A store of this LRS in a database, written as POST /statements writes it (same validation, one
 * transaction per batch). The store must exist: ingesting is not the place to create providers.
 */
export async function localTarget(
  lrs: Lrs,
  storeId: string,
  version: XapiVersion = "2.0.0",
): Promise<StatementTarget> {
  if (!(await lrs.tenancy.getStore(storeId))) {
    throw new Error(
      `no store '${storeId}' in this database (create it with: learnpool stores add ${storeId})`,
    );
  }
  const principal: Principal = {
    key: "learnpool-ingest",
    storeId,
    scopes: new Set(["statements/write", "define"]),
    authority: {
      objectType: "Agent",
      account: { homePage: "urn:learnpool:cli", name: "learnpool-ingest" },
    },
  };
  return {
    description: `store '${storeId}' of ${lrs.db.location}`,
    async store(statements) {
      try {
        await lrs.storeStatements({ principal, version, body: statements });
      } catch (err) {
        if (err instanceof LrsError && (err.status === 400 || err.status === 409 || err.status === 413)) {
          const problems = err.problems
            .slice(0, 3)
            .map((p) => `${p.path}: ${p.message}`)
            .join("; ");
          throw new BatchRefused(err.status, problems ? `${err.message} (${problems})` : err.message);
        }
        throw err;
      }
    },
  };
}

export interface RemoteOptions {
  /** The xAPI endpoint, such as `https://lrs.example.org/xapi` (statements are POSTed to `/statements`). */
  endpoint: string;
  key: string;
  secret: string;
  /** The X-Experience-API-Version header (default 2.0.0). */
  version?: XapiVersion;
  /** Attempts for a batch that meets a 5xx, a 429 or a network error (default 6). */
  attempts?: number;
  /** The first retry's delay; each next one doubles (default 500 ms). */
  backoffMs?: number;
  /** Told of each retry, for the user. */
  onRetry?: (attempt: number, delayMs: number, reason: string) => void;
}

/** Any xAPI LRS over HTTP: POST /statements with basic auth, retried with backoff when it is the server's fault. */
export function remoteTarget(options: RemoteOptions): StatementTarget {
  const url = `${options.endpoint.replace(/\/+$/, "")}/statements`;
  const attempts = options.attempts ?? 6;
  const backoff = options.backoffMs ?? 500;
  const headers = {
    authorization: `Basic ${Buffer.from(`${options.key}:${options.secret}`).toString("base64")}`,
    "x-experience-api-version": options.version ?? "2.0.0",
    "content-type": "application/json",
  };
  return {
    description: options.endpoint,
    async store(statements) {
      const body = JSON.stringify(statements);
      for (let attempt = 1; ; attempt++) {
        let reason: string;
        try {
          const response = await fetch(url, { method: "POST", headers, body });
          const text = await response.text();
          if (response.ok) return;
          reason = `HTTP ${response.status}: ${lrsMessage(text)}`;
          if (response.status === 400 || response.status === 409 || response.status === 413) {
            throw new BatchRefused(response.status, `the LRS answered ${reason}`);
          }
          if (response.status !== 429 && response.status < 500) {
            // Credentials, scopes or the endpoint are wrong: no later batch would do better.
            throw new Error(`${url} answered ${reason}`);
          }
        } catch (err) {
          if (err instanceof BatchRefused || !(err instanceof TypeError)) throw err;
          // fetch rejects with a TypeError when the network fails (refused, reset, DNS).
          const cause = (err as { cause?: { message?: string } }).cause?.message;
          reason = `network error: ${cause ?? err.message}`;
        }
        if (attempt >= attempts) throw new Error(`${url}: gave up after ${attempts} attempts (${reason})`);
        const delay = backoff * 2 ** (attempt - 1);
        options.onRetry?.(attempt, delay, reason);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
  };
}

/** The readable part of an LRS's error body: Learnpool's `{message}`, or the text itself, shortened. */
function lrsMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: the text as it is
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text || "(empty body)";
}

/** What the checkpoint file holds: how many source records of this input are durably handled. */
export interface Checkpoint {
  format: string;
  input: string;
  /** Source records, from the first, whose statements are stored or which were skipped or rejected. */
  records: number;
  statements: number;
  updated: string;
}

export function readCheckpoint(path: string): Checkpoint | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Checkpoint;
  if (typeof parsed.records !== "number") throw new Error(`${path} is not an ingest checkpoint`);
  return parsed;
}

/** Written beside, flushed, then renamed over: a crash leaves the old checkpoint or the new one. */
function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export interface IngestOptions {
  format: Format;
  input: string;
  config?: unknown;
  target: StatementTarget;
  /** Most statements per batch (default 500); a record's statements are never split across batches. */
  batch?: number;
  /** The checkpoint file: read to resume, rewritten after every stored batch. */
  checkpoint?: string;
  /** Where each rejected and skipped record goes, as a JSON line (appended to when resuming). */
  errors?: string | Writable;
  validate?: boolean;
  version?: XapiVersion;
  progress?: boolean;
  onRejected?: (outcome: Exclude<Outcome, { kind: "converted" }>) => void;
}

export interface IngestCounts extends Counts {
  /** Statements the LRS accepted in this run. */
  stored: number;
  batches: number;
  /** Source records a checkpoint said were handled by an earlier run, not stored again. */
  resumed: number;
}

interface PendingRecord {
  position: Position;
  statements: XapiStatement[];
}

/** Converts and stores; returns the counts of this run (records before the checkpoint excluded). */
export async function ingest(options: IngestOptions): Promise<IngestCounts> {
  const batchSize = options.batch ?? 500;
  const saved = options.checkpoint ? readCheckpoint(options.checkpoint) : undefined;
  if (saved && (saved.format !== options.format.name || saved.input !== options.input)) {
    throw new Error(
      `the checkpoint ${options.checkpoint} is for --from ${saved.format} --in ${saved.input}; ` +
        "remove it to start over",
    );
  }
  const resumed = saved?.records ?? 0;
  const counts: IngestCounts = { ...emptyCounts(), stored: 0, batches: 0, resumed };
  let storedInAll = saved?.statements ?? 0;
  const errors =
    options.errors === undefined ? undefined : LineWriter.open(options.errors, { append: resumed > 0 });
  const meter: ByteMeter = { bytes: 0 };
  const progress = new Progress(
    meter,
    inputSize(options.format, options.input),
    options.progress ?? process.stderr.isTTY === true,
  );
  const report = async (outcome: Exclude<Outcome, { kind: "converted" }>) => {
    if (errors) await errors.write(errorLine(outcome));
    else if (outcome.kind === "rejected") options.onRejected?.(outcome);
  };

  /** Stores a batch; a refused one is split in halves until the refused records are found alone. */
  const store = async (records: PendingRecord[]): Promise<void> => {
    try {
      await options.target.store(records.flatMap((r) => r.statements));
      counts.batches++;
      const n = records.reduce((sum, r) => sum + r.statements.length, 0);
      counts.stored += n;
      storedInAll += n;
    } catch (err) {
      if (!(err instanceof BatchRefused)) throw err;
      if (records.length === 1) {
        const [record] = records as [PendingRecord];
        counts.converted--;
        counts.statements -= record.statements.length;
        counts.rejected++;
        await report({ kind: "rejected", position: record.position, reason: err.message });
        return;
      }
      const half = Math.ceil(records.length / 2);
      await store(records.slice(0, half));
      await store(records.slice(half));
    }
  };

  let seen = 0;
  let batch: PendingRecord[] = [];
  let batchStatements = 0;
  const flush = async (handled: number) => {
    if (batch.length > 0) await store(batch);
    batch = [];
    batchStatements = 0;
    if (options.checkpoint) {
      writeCheckpoint(options.checkpoint, {
        format: options.format.name,
        input: options.input,
        records: handled,
        statements: storedInAll,
        updated: new Date().toISOString(),
      });
    }
  };

  try {
    for await (const outcome of outcomes(options.format, options.input, options.config, {
      ...options,
      meter,
    })) {
      seen++;
      // Records an earlier run handled are converted again (a converter may carry state from one
      // record to the next) but neither stored nor reported again.
      if (seen <= resumed) continue;
      countOutcome(counts, outcome);
      progress.update(counts.read);
      if (outcome.kind !== "converted") {
        await report(outcome);
        continue;
      }
      if (outcome.statements.length === 0) continue;
      if (batch.length > 0 && batchStatements + outcome.statements.length > batchSize) await flush(seen - 1);
      batch.push({ position: outcome.position, statements: outcome.statements });
      batchStatements += outcome.statements.length;
    }
    await flush(seen);
  } finally {
    progress.stop(counts.read);
    await errors?.close();
  }
  return counts;
}
