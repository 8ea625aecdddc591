import { createHash } from "node:crypto";
import { LrsError } from "../errors.js";

/**
 * Optimistic concurrency (xAPI Communication 3.1): every document has an ETag, the quoted SHA-1 of its
 * content, and If-Match / If-None-Match guard the requests that change it.
 */
export function etagOf(content: Buffer): string {
  return `"${createHash("sha1").update(content).digest("hex")}"`;
}

export interface Preconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** `*`, or the opaque values of a list of entity tags; weak tags compare by value, quotes are optional. */
function entityTags(header: string): "*" | string[] {
  const trimmed = header.trim();
  if (trimmed === "*") return "*";
  return trimmed
    .split(",")
    .map((tag) =>
      tag
        .trim()
        .replace(/^W\//, "")
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase(),
    )
    .filter((tag) => tag !== "");
}

function matches(header: string, current: string | undefined): boolean {
  if (current === undefined) return false;
  const tags = entityTags(header);
  return tags === "*" || tags.includes(current.replace(/^"(.*)"$/, "$1").toLowerCase());
}

export function hasPreconditions(pre: Preconditions): boolean {
  return pre.ifMatch !== undefined || pre.ifNoneMatch !== undefined;
}

/** Throws 412 when a precondition fails against the current ETag (undefined: no document). */
export function checkPreconditions(pre: Preconditions, current: string | undefined): void {
  if (pre.ifMatch !== undefined && !matches(pre.ifMatch, current)) {
    throw new LrsError(
      412,
      current === undefined
        ? "If-Match: there is no document here"
        : `If-Match: the document has changed (its ETag is now ${current})`,
    );
  }
  if (pre.ifNoneMatch !== undefined && matches(pre.ifNoneMatch, current)) {
    throw new LrsError(412, "If-None-Match: the document exists already (or has that ETag)");
  }
}
