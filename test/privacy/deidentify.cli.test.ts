/**
 * `learnpool deidentify`, run in process (the lead wires it into main.ts): files in, JSON lines and a
 * report out, exit 0 when the leak check finds nothing, 2 (output removed) when it finds something.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Command } from "commander";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { deidentifyCommands } from "../../src/cli/deidentify.js";
import { generatedStatements } from "./deidentify-helpers.js";

const FIXTURES = new URL("fixtures/deidentify/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "learnpool-deidentify-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

const keyFile = join(dir, "provider.key");
writeFileSync(keyFile, `${Buffer.alloc(32, 5).toString("base64")}\n`);

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const program = new Command().exitOverride();
  for (const command of deidentifyCommands()) program.addCommand(command);
  await program.parseAsync(args, { from: "user" });
  return { code: Number(process.exitCode ?? 0), stderr };
}

describe("learnpool deidentify", () => {
  it("de-identifies a gzipped JSON array with a roster, writes the report, and exits 0", async () => {
    const input = join(dir, "in.json.gz");
    writeFileSync(input, gzipSync(JSON.stringify(generatedStatements())));
    const out = join(dir, "out.jsonl");
    const report = join(dir, "report.json");
    const result = await run([
      "deidentify",
      "--profile",
      join(FIXTURES, "research.yaml"),
      "--in",
      input,
      "--out",
      out,
      "--report",
      report,
      "--roster",
      join(FIXTURES, "roster.csv"),
      "--key-file",
      keyFile,
      "--batch",
      "2",
    ]);
    expect(result.stderr).toContain(
      "profile research-generic 2.1.0 (local key): read 5 statements, wrote 5, rejected 0",
    );
    expect(result.stderr).toMatch(/leak check: \d+ identifiers of the input searched in the output, 0 found/);
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(report, "utf8"));
    expect(written.profile).toEqual({ id: "research-generic", version: "2.1.0" });
    expect(written.leakCheck.found).toBe(0);
    expect(written.leakCheck.searched).toBeGreaterThan(30);
    expect(written.counts.extensions.dropped["https://matomo.example.org/extensions/cip"]).toBe(1);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(5);
    // Nothing clear in the report either.
    expect(readFileSync(report, "utf8")).not.toMatch(/lovelace|@example/i);
  });

  it("fails with exit code 2 and removes the output when the leak check finds identifiers", async () => {
    const leaky = join(dir, "leaky.yaml");
    writeFileSync(
      leaky,
      readFileSync(join(FIXTURES, "research.yaml"), "utf8").replace(
        "freeText:\n",
        "freeText:\n  fields: []\n",
      ),
    );
    const input = join(dir, "in.jsonl");
    writeFileSync(
      input,
      generatedStatements()
        .map((s) => `${JSON.stringify(s)}\n`)
        .join(""),
    );
    const out = join(dir, "leaky.jsonl");
    const report = join(dir, "leaky-report.json");
    const result = await run([
      "deidentify",
      "--profile",
      leaky,
      "--in",
      input,
      "--out",
      out,
      "--report",
      report,
      "--key-file",
      keyFile,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("FAILED: identifiers of the input remain in the output");
    expect(existsSync(out)).toBe(false);
    const written = JSON.parse(readFileSync(report, "utf8"));
    expect(written.leakCheck.found).toBeGreaterThan(0);
    expect(written.leakCheck.leaks[0]).toMatchObject({ record: 1, path: expect.stringContaining("$.") });
  });

  it("refuses a key file that is not 32 bytes of base64, an IRI as --domain, and half-given modes, without echoing keys", async () => {
    const bad = join(dir, "bad.key");
    writeFileSync(bad, "c2VjcmV0");
    const args = [
      "deidentify",
      "--profile",
      join(FIXTURES, "research.yaml"),
      "--in",
      "x",
      "--out",
      "y",
      "--report",
      "z",
    ];
    await expect(run([...args, "--key-file", bad])).rejects.toThrow(/must hold a 32-byte key in base64/);
    await expect(
      run([...args, "--key-file", keyFile, "--domain", "https://other.example/d"]),
    ).rejects.toThrow(/--domain takes the id of a pseudonymization domain/);
    await expect(run(args)).rejects.toThrow(/give --domain <id> .* or --key-file <file>/);
    await expect(
      run([...args, "--domain", "agreement-42", "--endpoint", "http://127.0.0.1:9", "--credential", "k:s"]),
    ).rejects.toThrow(/OPRF mode needs --key-file: the provider's own key/);
    await expect(
      run([...args, "--key-file", keyFile, "--endpoint", "http://127.0.0.1:9", "--credential", "k:s"]),
    ).rejects.toThrow(/OPRF mode \(--endpoint\) needs --domain <id>/);
    await expect(run([...args, "--key-file", keyFile, "--credential", "k:s"])).rejects.toThrow(
      /--credential is for OPRF mode/,
    );
  });
});
