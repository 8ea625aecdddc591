/**
 * How each role enters the served demonstration: participants sign in to the console with their
 * credential's key and secret; a learner, and a minor's guardian, through a portal link their provider
 * signs (valid one hour, used once), made fresh each time the demonstration is served.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JWK } from "jose";
import { DEFAULT_AUDIENCE, type PortalLinkClaims, signPortalLink } from "../../consent/index.js";
import { CONSUMER } from "./plan.js";
import type { DemoResult } from "./run.js";

export interface SignIn {
  role: "operator" | "provider" | "consumer" | "learner" | "guardian";
  who: string;
  /** `key:secret` for participants; the portal address for learners and guardians. */
  enter: string;
}

const LINK_SECONDS = 3600;

function privateKey(result: DemoResult, participant: string): JWK & { kid: string } {
  const jwk = JSON.parse(readFileSync(join(result.keysDir, `${participant}.jwk`), "utf8")) as JWK;
  if (typeof jwk.kid !== "string") throw new Error(`the demonstration's key of ${participant} has no kid`);
  return jwk as JWK & { kid: string };
}

/** A portal link, signed now by the learner's provider. */
async function portalLink(
  result: DemoResult,
  claims: Pick<PortalLinkClaims, "iss" | "sub" | "role" | "age" | "guardian">,
  now: Date,
): Promise<string> {
  const key = privateKey(result, claims.iss);
  const iat = Math.floor(now.getTime() / 1000);
  return signPortalLink(
    {
      ...claims,
      agr: result.secrets.agreement,
      aud: DEFAULT_AUDIENCE,
      iat,
      exp: iat + LINK_SECONDS,
      nonce: randomBytes(16).toString("base64url"),
    },
    key,
    key.kid,
  );
}

/** One sign-in per participant, then the portal's learner and guardian; `console` ends with a slash. */
export async function signIns(result: DemoResult, console: string, now = new Date()): Promise<SignIn[]> {
  const out: SignIn[] = [];
  for (const p of result.summary.participants) {
    const c = result.secrets.credentials[p.id];
    if (c)
      out.push({
        role: p.role as SignIn["role"],
        who: `${p.id} (${p.title})`,
        enter: `${c.key}:${c.secret}`,
      });
  }
  const { learner, minor } = result.secrets.portal;
  if (learner) {
    const link = await portalLink(
      result,
      { iss: learner.provider, sub: learner.pseudonym, role: "learner", age: learner.age },
      now,
    );
    out.push({
      role: "learner",
      who: `an adult learner at ${learner.provider}`,
      enter: `${console}?portal=${link}`,
    });
  }
  if (minor) {
    const link = await portalLink(
      result,
      {
        iss: minor.provider,
        sub: minor.pseudonym,
        role: "guardian",
        age: minor.age,
        guardian: minor.guardian,
      },
      now,
    );
    out.push({
      role: "guardian",
      who: `the guardian of a pupil at ${minor.provider}`,
      enter: `${console}?portal=${link}`,
    });
  }
  return out;
}

/**
 * The Dataspace Protocol peers of the served demonstration, where every participant's connector is
 * this one server: a negotiation the lab starts from the console (POST /contract/negotiations with
 * the provider at `<base>/dsp`) reaches this server's own provider side, and its answers come back to
 * it. The lab's credential is presented both ways, so the store the counterparty calls with is the
 * lab's. One entry per address the console may be opened at.
 */
export function oneServerPeers(
  result: Pick<DemoResult, "secrets">,
  bases: readonly string[],
): { endpoint: string; key: string; secret: string; store: string }[] {
  const lab = result.secrets.credentials[CONSUMER];
  if (!lab) throw new Error(`the demonstration has no credential of ${CONSUMER}`);
  return [...new Set(bases.map((b) => `${b.replace(/\/+$/, "")}/dsp`))].map((endpoint) => ({
    endpoint,
    key: lab.key,
    secret: lab.secret,
    store: CONSUMER,
  }));
}
