/**
 * The `stored` clock: strictly increasing within this process, so that stored order is the order of the
 * sequence numbers, which `since`/`until` and `more` links rely on.
 */
let last = 0;

export function nextStoredMs(): number {
  const now = Date.now();
  last = now > last ? now : last + 1;
  return last;
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}
