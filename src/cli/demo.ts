/**
 * `learnpool demo` (and `learnpool start`, which is it with its defaults): makes the demonstration data
 * space in `--dir` through the real modules (`demo/run`), prints its figures, then serves it — the
 * console's address, one sign-in per role — unless `--no-serve`. Wiring only: the steps are the demo
 * module's; progress goes to stderr (bars on a terminal), the summary and sign-ins to stdout.
 */
import { join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { DEMO_LEARNERS } from "../demo/index.js";
import { redact } from "../store/index.js";

export interface DemoCliOptions {
  db: string;
  learners: string;
  seed: string;
  dir: string;
  serve: boolean;
  progress: boolean;
  port: string;
  host: string;
  publicUrl?: string;
}

/** Serves `db` and calls `onListening` with the base URL once it listens (main.ts's `serve`). */
export type ServeDemo = (
  db: string,
  onListening: (url: string, endpoint: string, lrs: unknown) => Promise<void>,
) => Promise<void>;

/** The options `demo` and `start` add to the serve options. */
export function withDemoOptions(command: Command): Command {
  // The database goes in the demonstration's folder unless --db names one: say so in the help.
  const db = command.options.find((o) => o.long === "--db");
  if (db) db.defaultValueDescription = "<dir>/learnpool.db";
  return command
    .addOption(
      new Option("--learners <n>", "learners in the generated data space").default(String(DEMO_LEARNERS)),
    )
    .addOption(new Option("--seed <n>", "seed of the generated data").default("2025"))
    .addOption(
      new Option(
        "--dir <dir>",
        "the demonstration's folder (data files, database, datasets, jobs, keys)",
      ).default("data"),
    )
    .option("--no-serve", "make the data space and print its figures, without serving it (tests, CI)")
    .option("--no-progress", "no progress bars, even on a terminal");
}

function integer(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new Error(`${what} must be a whole number, not '${value}'`);
  return n;
}

/** A reporter for a terminal: step lines, and one progress bar per step whose label follows its stage. */
async function terminalReporter(bars: boolean) {
  const { default: cliProgress } = await import("cli-progress");
  let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    step: (title: string) => {
      stop();
      process.stderr.write(`\n▸ ${title}\n`);
    },
    note: (text: string) => {
      stop();
      process.stderr.write(`${text}\n`);
    },
    ...(bars && {
      progress: (event: { stage: string; done: number; total?: number }) => {
        const total = event.total ?? Math.max(event.done, 1);
        if (!bar) {
          bar = new cliProgress.SingleBar(
            { format: "  {stage} |{bar}| {value}/{total}", hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, event.done, { stage: event.stage });
        } else bar.setTotal(total);
        bar.update(event.done, { stage: event.stage });
      },
    }),
    ingestBars: bars,
    stop,
  };
}

/**
 * Runs the demonstration as `command` was asked, then serves it with `serve`; `endpoints` gives the
 * lines about the API (as `start` always printed them) to print with the sign-ins.
 */
export async function runDemoCommand(
  o: DemoCliOptions,
  command: Command,
  serve: ServeDemo,
  endpoints: (url: string, endpoint: string, lrs: unknown, db: string) => Promise<string[]>,
): Promise<void> {
  const { runDemo, summaryLines, signIns, oneServerPeers, writePrivate } = await import("../demo/index.js");
  const dir = resolve(o.dir);
  // The database goes in the demonstration's folder unless --db (or LEARNPOOL_DB) names one.
  const db = command.getOptionValueSource("db") === "default" ? resolve(dir, "learnpool.db") : o.db;
  const reporter = await terminalReporter(o.progress && process.stderr.isTTY === true);
  const result = await runDemo({
    dir,
    db,
    learners: integer(o.learners, "--learners"),
    seed: integer(o.seed, "--seed"),
    reporter,
  });
  reporter.stop();
  process.stdout.write(`\n${summaryLines(result.summary).join("\n")}\n`);
  if (!o.serve) {
    const shown = result.db.includes("://") ? redact(result.db) : result.db;
    const given = (name: string, value: string) =>
      command.getOptionValueSource(name) === "default" ? "" : ` --${name} ${value}`;
    const again = `learnpool demo --dir ${o.dir}${given("learners", o.learners)}${given("seed", o.seed)}${given("db", shown)}`;
    process.stdout.write(
      `\nThe data space is in ${result.dir} (database ${shown}). Serve it with: ${again}\n`,
    );
    return;
  }
  // The server opens the demonstration's keys (sealed domain and registry keys, participants' signing
  // keys) and keeps its datasets and jobs in its folder.
  process.env.LEARNPOOL_MASTER_KEY_FILE = result.masterKeyFile;
  process.env.LEARNPOOL_SIGNING_KEYS = result.keysDir;
  process.env.LEARNPOOL_DATASETS_DIR = result.datasetsDir;
  process.env.LEARNPOOL_JOBS_DIR = result.jobsDir;
  const base = (o.publicUrl ?? `http://${o.host === "0.0.0.0" ? "localhost" : o.host}:${o.port}`).replace(
    /\/+$/,
    "",
  );
  process.env.LEARNPOOL_CONSENT_PORTAL_URL ??= `${base}/console/`;
  // Every connector is this server: the lab's negotiations from the console reach its provider side.
  if (!process.env.LEARNPOOL_DSP_PEERS) {
    const peers = join(dir, "dsp-peers.json");
    const local = [`http://127.0.0.1:${o.port}`, `http://localhost:${o.port}`];
    writePrivate(peers, `${JSON.stringify(oneServerPeers(result, [base, ...local]), null, 2)}\n`);
    process.env.LEARNPOOL_DSP_PEERS = peers;
  }
  process.env.LEARNPOOL_DSP_BASE_URL ??= `${base}/dsp`;
  await serve(result.db, async (url, endpoint, lrs) => {
    const console = `${url}/console/`;
    const lines = [
      "",
      "Learnpool is running: the demonstration data space is served.",
      ...(await endpoints(url, endpoint, lrs, result.db)),
      "",
      `Console: ${console}   (sign in with a participant's key and secret)`,
    ];
    for (const s of await signIns(result, console))
      lines.push(`  ${s.role.padEnd(9)} ${s.who}`, `            ${s.enter}`);
    lines.push(
      "  (portal links are signed by the learner's provider: valid one hour, one use; run again for new ones)",
      "",
      "Press Ctrl-C to stop.",
      "",
    );
    process.stdout.write(lines.join("\n"));
  });
}
