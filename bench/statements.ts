import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { seededRandom } from "../src/privacy/index.js";

/** Where the real FUN-MOOC statements are, when ../shared is beside the project. */
export const FUN_MOOC = new URL("../../../shared/data/fun-mooc-xapi/statements.json.gz", import.meta.url);
const FUN_MOOC_FROM_SRC = new URL("../../shared/data/fun-mooc-xapi/statements.json.gz", import.meta.url);

/** The 22,000 real statements, or undefined without ../shared. */
export function loadFunMooc(): Record<string, unknown>[] | undefined {
  for (const url of [FUN_MOOC, FUN_MOOC_FROM_SRC]) {
    if (existsSync(url)) {
      return gunzipSync(readFileSync(url))
        .toString("utf8")
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    }
  }
  return undefined;
}

const VERBS = [
  ["http://adlnet.gov/expapi/verbs/launched", "launched"],
  ["http://adlnet.gov/expapi/verbs/experienced", "experienced"],
  ["https://w3id.org/xapi/video/verbs/played", "played"],
  ["https://w3id.org/xapi/video/verbs/paused", "paused"],
  ["https://w3id.org/xapi/video/verbs/seeked", "seeked"],
  ["http://adlnet.gov/expapi/verbs/answered", "answered"],
  ["http://adlnet.gov/expapi/verbs/completed", "completed"],
  ["http://adlnet.gov/expapi/verbs/passed", "passed"],
] as const;

/** A deterministic pseudo-random sequence, so benchmarks see the same data each run. */
export const rng = seededRandom;

/** A realistic MOOC statement (video, quiz, course navigation) of about 1 KB, like the FUN-MOOC ones. */
export function generatedStatement(random: () => number, learners: number): Record<string, unknown> {
  const learner = Math.floor(random() * learners);
  const [verb, display] = VERBS[Math.floor(random() * VERBS.length)] as (typeof VERBS)[number];
  const course = Math.floor(random() * 20);
  const unit = Math.floor(random() * 40);
  const day = Math.floor(random() * 60);
  const statement: Record<string, unknown> = {
    actor: {
      objectType: "Agent",
      account: { homePage: "https://mooc.example.org", name: `learner-${learner}` },
    },
    verb: { id: verb, display: { "en-US": display } },
    object: {
      objectType: "Activity",
      id: `https://mooc.example.org/courses/c${course}/units/u${unit}`,
      definition: {
        type: "https://w3id.org/xapi/video/activity-type/video",
        name: { "en-US": `Course ${course}, unit ${unit}` },
      },
    },
    context: {
      registration: `00000000-0000-4000-8000-${String(learner).padStart(12, "0")}`,
      contextActivities: {
        parent: [{ id: `https://mooc.example.org/courses/c${course}`, objectType: "Activity" }],
        category: [{ id: "https://w3id.org/xapi/video" }],
      },
      platform: "Learnpool bench",
      language: "fr-FR",
      extensions: { "https://w3id.org/xapi/video/extensions/session-id": randomUUID() },
    },
    timestamp: new Date(
      Date.UTC(2026, 0, 1) + day * 86_400_000 + Math.floor(random() * 86_400_000),
    ).toISOString(),
  };
  if (verb.endsWith("answered") || verb.endsWith("passed")) {
    const raw = Math.floor(random() * 21);
    statement.result = {
      score: { raw, min: 0, max: 20, scaled: raw / 20 },
      success: raw >= 10,
      duration: "PT3M12S",
    };
  } else {
    statement.result = {
      extensions: {
        "https://w3id.org/xapi/video/extensions/time": Math.round(random() * 6000) / 10,
        "https://w3id.org/xapi/video/extensions/progress": Math.round(random() * 1000) / 1000,
      },
    };
  }
  return statement;
}

/**
 * `count` statements with fresh ids: the FUN-MOOC statements cycled when present, generated ones
 * otherwise. Returns the source used too.
 */
export function benchStatements(
  count: number,
  seed = 7,
): { source: string; next: () => Record<string, unknown> } {
  const real = loadFunMooc();
  const random = rng(seed);
  let i = 0;
  if (real && real.length > 0) {
    return {
      source: `FUN-MOOC real statements (${real.length}, cycled with fresh ids)`,
      next: () => ({ ...(real[i++ % real.length] as Record<string, unknown>), id: randomUUID() }),
    };
  }
  return {
    source: "generated MOOC statements (../shared absent)",
    next: () => ({ ...generatedStatement(random, Math.max(100, Math.floor(count / 700))), id: randomUUID() }),
  };
}
