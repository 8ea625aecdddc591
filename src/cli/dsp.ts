/**
 * `learnpool negotiation` and `learnpool transfer`: command-line wiring of the Dataspace Protocol
 * (contract/dsp). Lists and shows what this side holds, with each process's message history; a
 * negotiation left VERIFIED (a signature given later) can be finalized. Tokens are never printed.
 */
import { Command, Option } from "commander";
import {
  type ContractEnvironment,
  contractEnvironment,
  contractSettingsFromEnvironment,
  type DataAddress,
  type DspService,
  type HistoryEntry,
} from "../contract/index.js";
import { Lrs } from "../lrs/index.js";
import { DEFAULT_DB, openDatabase } from "../store/index.js";

function dbOption(): Option {
  return new Option("--db <location>", "database: a SQLite file, :memory:, or a postgres:// URL")
    .env("LEARNPOOL_DB")
    .default(DEFAULT_DB);
}

/** The contract environment of this process (see contract/environment.ts), the same the server builds. */
async function withEnvironment<T>(
  location: string,
  fn: (contract: ContractEnvironment) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(location);
  const lrs = new Lrs(db, { authorityHomePage: process.env.LEARNPOOL_PUBLIC_URL ?? "http://localhost:8080" });
  const contract = contractEnvironment(lrs, contractSettingsFromEnvironment());
  try {
    return await fn(contract);
  } finally {
    await contract.dsp.idle();
    await lrs.close();
    await db.close();
  }
}

async function withService<T>(location: string, fn: (service: DspService) => Promise<T>): Promise<T> {
  return withEnvironment(location, (contract) => fn(contract.dsp));
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function historyLines(entries: HistoryEntry[]): string[] {
  return entries.map(
    (h) => `  ${h.at}  ${h.direction.padEnd(8)}  ${h.type}  ${h.stateBefore ?? "-"} → ${h.stateAfter}`,
  );
}

/** A DataAddress with its token replaced: the CLI shows where, never the credential. */
function withoutToken(address: DataAddress | undefined): DataAddress | undefined {
  if (!address) return undefined;
  return {
    ...address,
    ...(address.endpointProperties
      ? {
          endpointProperties: address.endpointProperties.map((p) =>
            p.name === "authorization" ? { ...p, value: "[hidden]" } : p,
          ),
        }
      : {}),
  };
}

export function dspCommands(): Command[] {
  const negotiation = new Command("negotiation").description(
    "Dataspace Protocol contract negotiations held here (as provider or consumer)",
  );
  negotiation
    .command("list")
    .description("list negotiations: pid, role, state, participant, counterparty, agreement")
    .addOption(dbOption())
    .option("--participant <store>", "only those of this participant")
    .option("--json", "JSON instead of a table")
    .action(async (o: { db: string; participant?: string; json?: boolean }) => {
      await withService(o.db, async (service) => {
        const list = await service.listNegotiations(o.participant ? { participant: o.participant } : {});
        if (o.json) return print(list);
        for (const n of list) {
          process.stdout.write(
            `${n.localPid}\t${n.role}\t${n.state}\t${n.participant}\t${n.counterparty}\t${n.agreementId ?? "-"}\n`,
          );
        }
      });
    });
  negotiation
    .command("show <pid>")
    .description("one negotiation (by the pid this side chose) and the messages it went through")
    .addOption(dbOption())
    .option("--json", "JSON")
    .action(async (pid: string, o: { db: string; json?: boolean }) => {
      await withService(o.db, async (service) => {
        const n = await service.negotiation(pid);
        if (!n) throw new Error(`no negotiation ${pid}`);
        const history = await service.negotiationHistory(pid);
        if (o.json) return print({ ...n, history });
        const lines = [
          `negotiation   ${n.localPid} (${n.role} side)`,
          `state         ${n.state}`,
          `providerPid   ${n.providerPid ?? "-"}`,
          `consumerPid   ${n.consumerPid ?? "-"}`,
          `participant   ${n.participant}`,
          `counterparty  ${n.counterparty} at ${n.counterpartyAddress ?? "-"}`,
          `offer         ${n.offerId ?? "-"}${n.datasetId ? ` (dataset ${n.datasetId})` : ""}`,
          `agreement     ${n.agreementId ?? "-"}`,
          `created       ${n.createdAt}, updated ${n.updatedAt}`,
          "messages:",
          ...historyLines(history),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      });
    });
  negotiation
    .command("finalize <pid>")
    .description(
      "provider side: send FINALIZED for a VERIFIED negotiation once its agreement is signed by every party",
    )
    .addOption(dbOption())
    .action(async (pid: string, o: { db: string }) => {
      await withService(o.db, async (service) => {
        const state = await service.finalize(pid);
        process.stdout.write(`${pid}: ${state}\n`);
        if (state !== "FINALIZED") process.exitCode = 1;
      });
    });

  const transfer = new Command("transfer").description(
    "Dataspace Protocol transfer processes held here (as provider or consumer)",
  );
  transfer
    .command("list")
    .description("list transfers: pid, role, state, participant, counterparty, agreement")
    .addOption(dbOption())
    .option("--participant <store>", "only those of this participant")
    .option("--json", "JSON instead of a table")
    .action(async (o: { db: string; participant?: string; json?: boolean }) => {
      await withService(o.db, async (service) => {
        const list = (await service.listTransfers(o.participant ? { participant: o.participant } : {})).map(
          ({ tokenHash: _hidden, dataAddress, ...t }) => ({ ...t, dataAddress: withoutToken(dataAddress) }),
        );
        if (o.json) return print(list);
        for (const t of list) {
          process.stdout.write(
            `${t.localPid}\t${t.role}\t${t.state}\t${t.participant}\t${t.counterparty}\t${t.agreementId}\n`,
          );
        }
      });
    });
  transfer
    .command("show <pid>")
    .description("one transfer (by the pid this side chose) and the messages it went through")
    .addOption(dbOption())
    .option("--json", "JSON")
    .action(async (pid: string, o: { db: string; json?: boolean }) => {
      await withService(o.db, async (service) => {
        const found = await service.transfer(pid);
        if (!found) throw new Error(`no transfer ${pid}`);
        const { tokenHash: _hidden, dataAddress, ...t } = found;
        const history = await service.transferHistory(pid);
        if (o.json) return print({ ...t, dataAddress: withoutToken(dataAddress), history });
        const lines = [
          `transfer      ${t.localPid} (${t.role} side)`,
          `state         ${t.state}`,
          `providerPid   ${t.providerPid ?? "-"}`,
          `consumerPid   ${t.consumerPid ?? "-"}`,
          `participant   ${t.participant}`,
          `counterparty  ${t.counterparty} at ${t.counterpartyAddress ?? "-"}`,
          `agreement     ${t.agreementId}`,
          `format        ${t.format}`,
          `data at       ${dataAddress?.endpoint ?? "-"}`,
          `created       ${t.createdAt}, updated ${t.updatedAt}`,
          "messages:",
          ...historyLines(history),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      });
    });
  return [negotiation, transfer];
}
