import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/** The `learnpool` command as installed: `bin/learnpool.js` runs the compiled `dist/`. */
export const cliPath = new URL("../../bin/learnpool.js", import.meta.url).pathname;
/** Whether `npm run build` has produced the CLI the tests spawn. */
export const cliBuilt = existsSync(new URL("../../dist/src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `learnpool <args>` to completion (killed after `timeoutMs`). */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh directory-less temp path for a SQLite file under /tmp. */
export function tempDbPath(): string {
  return `/tmp/learnpool-cli-${randomBytes(6).toString("hex")}/learnpool.db`;
}

/**
 * Runs `learnpool <args>` in process over the given commands (no build needed): stdout, stderr and
 * the exit code the command set, with the process's own exit code restored.
 */
export async function runCommands(
  commands: readonly import("commander").Command[],
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { Command } = await import("commander");
  const { vi } = await import("vitest");
  const program = new Command().exitOverride();
  for (const c of commands) program.addCommand(c);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(["node", "learnpool", ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}
