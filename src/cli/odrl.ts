/**
 * `learnpool odrl`: command-line wiring of the ODRL policy engine (contract). `evaluate` reads a policy,
 * a request and optionally a state of the world, and prints the compliance report; the exit code is 0
 * for Permit, 1 for Deny or NotApplicable, 2 for a usage error.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { evaluateFiles } from "../contract/index.js";

export function odrlCommands(): Command[] {
  const odrl = new Command("odrl").description(
    "ODRL 2.2 policies: evaluate requests, print compliance reports",
  );
  odrl
    .command("evaluate")
    .description(
      "decide a request under a policy and print the compliance report (W3C ODRL CG formal semantics)",
    )
    .requiredOption("--policy <file>", "the policy (Turtle or JSON-LD)")
    .requiredOption("--request <file>", "the request (JSON, or an odrl:Request in Turtle or JSON-LD)")
    .option("--state <file>", "the state of the world (JSON, or Turtle)")
    .addOption(
      new Option("--format <format>", "the report's syntax").choices(["turtle", "jsonld"]).default("turtle"),
    )
    .action((o: { policy: string; request: string; state?: string; format: "turtle" | "jsonld" }) => {
      const { evaluation, report } = evaluateFiles({
        policy: readFileSync(o.policy, "utf8"),
        request: readFileSync(o.request, "utf8"),
        ...(o.state ? { state: readFileSync(o.state, "utf8") } : {}),
        format: o.format,
      });
      process.stdout.write(report);
      process.stderr.write(`${evaluation.decision}: ${evaluation.reason}\n`);
      if (evaluation.decision !== "Permit") process.exitCode = 1;
    });
  return [odrl];
}
