/**
 * The `stored` clock: never going back within this process (even if the system clock does), so that
 * stored order agrees with the order of the sequence numbers, which `since`/`until` and `more` links
 * rely on. Statements stored in the same millisecond share their instant; the clock never runs ahead
 * of real time, however many statements arrive.
 */
let last = 0;
let isoOf = -1;
let iso = "";

export function nextStoredMs(): number {
  const now = Date.now();
  if (now > last) last = now;
  return last;
}

/** The current stored instant as ISO 8601 text, made once per millisecond. */
export function storedNow(): string {
  const ms = nextStoredMs();
  if (ms !== isoOf) {
    iso = new Date(ms).toISOString();
    isoOf = ms;
  }
  return iso;
}
