import { afterEach, describe, expect, it, vi } from "vitest";
import { dspCommands } from "../../src/cli/dsp.js";
import { openDatabase } from "../../src/store/index.js";
import { tempDbPath } from "../helpers/cli.js";

async function run(name: string, args: string[]): Promise<string> {
  const command = dspCommands().find((c) => c.name() === name);
  if (!command) throw new Error(`no command ${name}`);
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await command.parseAsync(args, { from: "user" });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe("learnpool negotiation / transfer", () => {
  afterEach(() => {
    process.exitCode = 0;
  });

  it("lists and shows what is held, never a data plane token", async () => {
    const file = tempDbPath();
    const db = await openDatabase(file);
    const at = "2026-01-01T00:00:00.000Z";
    await db.run(
      "INSERT INTO dsp_negotiations (local_pid, role, participant, counterparty, provider_pid, consumer_pid, counterparty_address, state, offer_id, agreement_id, created_at, updated_at) VALUES (?, 'consumer', 'lab', 'prov', 'urn:uuid:p1', 'urn:uuid:c1', 'https://prov.example/dsp', 'FINALIZED', 'urn:offer:1', 'urn:uuid:a1', ?, ?)",
      ["urn:uuid:c1", at, at],
    );
    await db.run(
      "INSERT INTO dsp_messages (process, local_pid, direction, type, state_before, state_after, body, at) VALUES ('negotiation', 'urn:uuid:c1', 'sent', 'ContractRequestMessage', NULL, 'REQUESTED', '{}', ?)",
      [at],
    );
    await db.run(
      "INSERT INTO dsp_transfers (local_pid, role, participant, counterparty, provider_pid, consumer_pid, state, agreement_id, format, data_address, created_at, updated_at) VALUES ('urn:uuid:t1', 'consumer', 'lab', 'prov', 'urn:uuid:tp', 'urn:uuid:t1', 'STARTED', 'urn:uuid:a1', 'HttpData-PULL', ?, ?, ?)",
      [
        JSON.stringify({
          endpointType: "https://w3id.org/idsa/v4.1/HTTP",
          endpoint: "https://prov.example/dsp/transfers/urn:uuid:tp/data",
          endpointProperties: [{ name: "authorization", value: "SECRET-TOKEN" }],
        }),
        at,
        at,
      ],
    );
    await db.close();

    expect(await run("negotiation", ["list", "--db", file])).toBe(
      "urn:uuid:c1\tconsumer\tFINALIZED\tlab\tprov\turn:uuid:a1\n",
    );
    const shown = await run("negotiation", ["show", "urn:uuid:c1", "--db", file]);
    expect(shown).toContain("state         FINALIZED");
    expect(shown).toMatch(/sent\s+ContractRequestMessage\s+- → REQUESTED/);
    expect(await run("transfer", ["list", "--db", file])).toContain("urn:uuid:t1\tconsumer\tSTARTED");
    const transfer = await run("transfer", ["show", "urn:uuid:t1", "--db", file, "--json"]);
    expect(JSON.parse(transfer).dataAddress.endpoint).toBe(
      "https://prov.example/dsp/transfers/urn:uuid:tp/data",
    );
    expect(transfer).not.toContain("SECRET-TOKEN");
    await expect(run("transfer", ["show", "urn:uuid:none", "--db", file])).rejects.toThrow(/no transfer/);
  });
});
