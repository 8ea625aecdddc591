/**
 * The signature of a webhook notification (pure): HMAC-SHA256 under the consumer's secret over the
 * timestamp and the exact body bytes, sent as
 *
 *   Learnpool-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * The timestamp inside the signed text lets a consumer refuse replays (older than its tolerance).
 * Verification compares in constant time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "learnpool-signature";
/** Default tolerance of `verifyWebhookSignature` for the signature's age. */
export const SIGNATURE_TOLERANCE_S = 300;

/** A new webhook secret: 32 random bytes, base64url (what `registerWebhook` makes when none is given). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
}

/** The header value for `body` sent at `at`. */
export function signWebhook(secret: string, body: string | Buffer, at: Date = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/** Checks a header value against the body; false when forged, altered, or older than the tolerance. */
export function verifyWebhookSignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  options: { now?: Date; toleranceS?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map(
    header.split(",").map((p) => {
      const i = p.indexOf("=");
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get("t"));
  const v1 = parts.get("v1") ?? "";
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - t) > (options.toleranceS ?? SIGNATURE_TOLERANCE_S)) return false;
  return timingSafeEqual(Buffer.from(v1, "hex"), Buffer.from(mac(secret, t, body), "hex"));
}
