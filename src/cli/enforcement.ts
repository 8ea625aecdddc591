/**
 * `learnpool decide` and `learnpool duty`: command-line wiring of contract enforcement. `decide` asks
 * the decision for one step of an agreement (exit 0 for Permit, 1 otherwise) and prints it as JSON;
 * `duty list|fulfil|sweep` show tracked duties, submit evidence as a participant, and turn overdue
 * duties into violations. Every decision and duty change is audited by the service.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { AuditLog } from "../audit/index.js";
import {
  AgreementRegistry,
  EnforcementError,
  PolicyEnforcement,
  readRequestDocument,
  STEPS,
  type Step,
} from "../contract/index.js";
import { openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

async function withEnforcement<T>(location: string, fn: (e: PolicyEnforcement) => Promise<T>): Promise<T> {
  const db = await openDatabase(location);
  try {
    const audit = new AuditLog(db);
    const registry = new AgreementRegistry(db, audit);
    return await fn(new PolicyEnforcement(db, audit, registry, registry.participants));
  } finally {
    await db.close();
  }
}

function readJson(file: string): unknown {
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    // A deletion JWS may be given as the bare compact text.
    return text.trim();
  }
}

export function enforcementCommands(): Command[] {
  const decide = new Command("decide")
    .description("ask the policy decision for one step of an agreement (audited; counts the use on Permit)")
    .requiredOption("--agreement <id>", "the agreement's id (urn:uuid:…)")
    .addOption(
      new Option("--step <step>", "the step of the data's path").choices([...STEPS]).makeOptionMandatory(),
    )
    .requiredOption(
      "--request <file>",
      "the request: JSON {action, target, assignee, context}, or an odrl:Request",
    )
    .option("--actor <who>", "who asks, for the audit trail (default cli:<user>)")
    .option("--at <date-time>", "when the use happens (default now)")
    .addOption(dbOption())
    .action(
      async (o: {
        agreement: string;
        step: Step;
        request: string;
        actor?: string;
        at?: string;
        db: string;
      }) => {
        const { request } = readRequestDocument(readFileSync(o.request, "utf8"));
        await withEnforcement(o.db, async (e) => {
          const d = await e.decide({
            step: o.step,
            agreementId: o.agreement,
            actor: o.actor ?? cliActor(),
            request,
            ...(o.at ? { at: o.at } : {}),
          });
          printJson({
            decision: d.decision,
            reason: d.reason,
            rule: d.decidingRule ?? null,
            constraint: d.decidingConstraint ?? null,
            remedies: d.remedies,
            duties: d.openedDuties,
          });
          process.stderr.write(`${d.decision}: ${d.reason}\n`);
          if (d.decision !== "Permit") process.exitCode = 1;
        });
      },
    );

  const duty = new Command("duty").description("duties opened by permitted decisions, tracked to completion");
  duty
    .command("list")
    .description("list tracked duties (JSON)")
    .option("--agreement <id>", "only this agreement's")
    .addOption(new Option("--state <state>", "only in this state").choices(["open", "fulfilled", "violated"]))
    .addOption(dbOption())
    .action(async (o: { agreement?: string; state?: "open" | "fulfilled" | "violated"; db: string }) => {
      await withEnforcement(o.db, async (e) =>
        printJson(
          await e.duties({
            ...(o.agreement ? { agreements: [o.agreement] } : {}),
            ...(o.state ? { state: o.state } : {}),
          }),
        ),
      );
    });
  duty
    .command("fulfil")
    .description("submit evidence that a duty was met, as a participant (its assignee, or the operator)")
    .argument("<duty>", "the duty's id")
    .requiredOption("--as <participant>", "the participant (store id) submitting the evidence")
    .requiredOption(
      "--evidence <file>",
      "deletion: the signed JWS (or {jws}); anonymization: a risk report {k, averageRisk}; inform: {informed, at}; nextPolicy: {release, policy}",
    )
    .addOption(dbOption())
    .action(async (id: string, o: { as: string; evidence: string; db: string }) => {
      const evidence = readJson(o.evidence);
      await withEnforcement(o.db, async (e) => {
        try {
          printJson(await e.fulfil(id, { by: o.as, actor: cliActor(), evidence }));
        } catch (err) {
          if (!(err instanceof EnforcementError)) throw err;
          process.stderr.write(`learnpool: refused (${err.status}): ${err.message}\n`);
          process.exitCode = 1;
        }
      });
    });
  duty
    .command("sweep")
    .description("open duties past due become violated, and their consequences are opened")
    .option("--at <date-time>", "the instant to sweep at (default now)")
    .addOption(dbOption())
    .action(async (o: { at?: string; db: string }) => {
      await withEnforcement(o.db, async (e) => {
        const swept = await e.sweep(o.at ?? new Date(), cliActor());
        printJson(swept);
        process.stderr.write(
          `${swept.violated.length} violated, ${swept.opened.length} consequences opened\n`,
        );
      });
    });
  return [decide, duty];
}
