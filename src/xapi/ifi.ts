/**
 * Inverse Functional Identifiers: the one property that identifies an Agent or an identified Group,
 * as a canonical string key the store can index and compare.
 */
import type { Agent, Group } from "./types.js";

/**
 * `mailto:` scheme and the domain are case-insensitive (RFC 6068, RFC 5321); the local part is kept as is.
 * Comparing `mailto:A@Example.COM` with `mailto:A@example.com` must find the same person. A value without
 * the scheme (a signed payload is not validated) keeps its first characters, so that it never turns into
 * another, valid address.
 */
export function canonicalMbox(mbox: string): string {
  const at = mbox.lastIndexOf("@");
  if (at < 0) return mbox.toLowerCase();
  const local = mbox.slice(0, at);
  const address = local.slice(0, 7).toLowerCase() === "mailto:" ? `mailto:${local.slice(7)}` : local;
  return `${address}@${mbox.slice(at + 1).toLowerCase()}`;
}

/**
 * The canonical key of an identified Agent or Group: `mbox:mailto:a@b.c`, `mbox_sha1sum:<hex>`,
 * `openid:<uri>` or `account:<homePage> <name>`. The kind prefix keeps different IFIs apart, and the
 * first space ends the homePage: a valid IRL has none, and one in an unvalidated homePage is escaped as
 * %20, so two keys are equal exactly when the identifiers are. Undefined for an anonymous Group.
 */
export function agentIfi(agent: Agent | Group): string | undefined {
  if (typeof agent.mbox === "string") return `mbox:${canonicalMbox(agent.mbox)}`;
  if (typeof agent.mbox_sha1sum === "string") return `mbox_sha1sum:${agent.mbox_sha1sum.toLowerCase()}`;
  if (typeof agent.openid === "string") return `openid:${agent.openid}`;
  const account = agent.account;
  if (account && typeof account.homePage === "string" && typeof account.name === "string") {
    return `account:${account.homePage.replaceAll(" ", "%20")} ${account.name}`;
  }
  return undefined;
}

/**
 * Whether two Agents or Groups are the same: same kind and same IFI. Anonymous Groups are never the same
 * as anything, even with identical members (xAPI Data 2.4.2.2: each is distinct).
 */
export function sameAgent(a: Agent | Group, b: Agent | Group): boolean {
  if ((a.objectType === "Group") !== (b.objectType === "Group")) return false;
  const key = agentIfi(a);
  return key !== undefined && key === agentIfi(b);
}
