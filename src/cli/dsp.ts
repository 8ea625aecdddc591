/**
 * `learnpool negotiation`, `learnpool negotiate` and `learnpool transfer`: command-line wiring of the
 * Dataspace Protocol (contract/dsp), over the contract environment the server builds (see
 * contract/environment.ts for its variables). Lists and shows what this side holds, with each
 * process's message history; a negotiation left VERIFIED (a signature given later) can be finalized.
 * The consumer starts from here: `negotiate` asks a provider for an offer, `transfer request` asks for
 * the data of a FINALIZED agreement, `transfer pull` writes its pages as JSON lines. The provider's
 * answers arrive at this side's server (LEARNPOOL_DSP_BASE_URL), which must run on the same database.
 * Tokens are never printed.
 */
import { Command } from "commander";
import {
  type ContractEnvironment,
  contractEnvironment,
  contractSettingsFromEnvironment,
  type DataAddress,
  type DspService,
  type HistoryEntry,
  isSecretName,
} from "../contract/index.js";
import { Lrs } from "../lrs/index.js";
import { openDatabase } from "../store/index.js";
import { dbOption, printJson } from "./common.js";

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
            isSecretName(p.name) ? { ...p, value: "[hidden]" } : p,
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
        if (o.json) return printJson(list);
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
        if (o.json) return printJson({ ...n, history });
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
        if (o.json) return printJson(list);
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
        if (o.json) return printJson({ ...t, dataAddress: withoutToken(dataAddress), history });
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
  transfer
    .command("request")
    .description("consumer: ask the provider of a FINALIZED negotiation for its data (pull over HTTP)")
    .requiredOption("--negotiation <pid>", "the negotiation (the pid this side chose)")
    .option("--wait", "wait until the provider has started it (or refused)")
    .addOption(dbOption())
    .action(async (o: { negotiation: string; wait?: boolean; db: string }) => {
      await withService(o.db, async (service) => {
        let t = await service.requestTransfer({ negotiationPid: o.negotiation });
        if (o.wait) t = await settled(() => service.transfer(t.localPid), ["STARTED", "TERMINATED"], t);
        process.stdout.write(`${t.localPid}\t${t.state}\n`);
        if (t.state === "TERMINATED") process.exitCode = 1;
      });
    });
  transfer
    .command("pull <pid>")
    .description(
      "consumer: fetch pages of a STARTED transfer as JSON lines on stdout (the next cursor on stderr)",
    )
    .option("--cursor <cursor>", "resume after the page that gave this cursor")
    .option("--all", "every page until the last (or until the provider stops the transfer)")
    .addOption(dbOption())
    .action(async (pid: string, o: { cursor?: string; all?: boolean; db: string }) => {
      await withService(o.db, async (service) => {
        let cursor = o.cursor;
        do {
          const page = await service.pull(pid, cursor);
          for (const line of page.lines) process.stdout.write(`${line}\n`);
          cursor = page.next;
          if (cursor) process.stderr.write(`next cursor: ${cursor}\n`);
        } while (o.all && cursor);
      });
    });

  const negotiate = new Command("negotiate")
    .description("consumer: ask a provider's connector for one of its offers (by the catalog's offer id)")
    .requiredOption(
      "--provider <url>",
      "the provider's Dataspace Protocol address, e.g. https://pool.example/dsp",
    )
    .requiredOption("--offer <id>", "the offer's id, as the catalog gives it")
    .requiredOption("--as <store>", "the consumer: this side's participant (its store id)")
    .option(
      "--counterparty <store>",
      "the store the provider calls this side with (default: the peer of LEARNPOOL_DSP_PEERS for that address)",
    )
    .option("--wait", "wait until the negotiation is FINALIZED or TERMINATED")
    .addOption(dbOption())
    .action(
      async (o: {
        provider: string;
        offer: string;
        as: string;
        counterparty?: string;
        wait?: boolean;
        db: string;
      }) => {
        await withEnvironment(o.db, async (contract) => {
          const counterparty = o.counterparty ?? contract.peerStore(o.provider);
          if (!counterparty)
            throw new Error(
              "--counterparty is needed: no peer of LEARNPOOL_DSP_PEERS names a store for this provider",
            );
          let n = await contract.dsp.requestContract({
            participant: o.as,
            counterparty,
            providerAddress: o.provider,
            offer: { "@id": o.offer },
          });
          if (o.wait)
            n = await settled(() => contract.dsp.negotiation(n.localPid), ["FINALIZED", "TERMINATED"], n);
          process.stdout.write(`${n.localPid}\t${n.state}\t${n.agreementId ?? "-"}\n`);
          if (n.state === "TERMINATED") process.exitCode = 1;
        });
      },
    );
  return [negotiation, transfer, negotiate];
}

/** Polls a process (its answers arrive at this side's server) until it reaches one of `states`. */
async function settled<T extends { state: string }>(
  read: () => Promise<T | undefined>,
  states: string[],
  last: T,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let current = last;
  while (!states.includes(current.state)) {
    if (Date.now() > deadline) throw new Error(`still ${current.state} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
    current = (await read()) ?? current;
  }
  return current;
}
