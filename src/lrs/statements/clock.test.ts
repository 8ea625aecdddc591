import { describe, expect, it } from "vitest";
import { nextStoredMs, storedNow } from "./clock.js";

describe("the stored clock", () => {
  it("never goes back and never runs ahead of real time, however many statements arrive", () => {
    let previous = "";
    for (let i = 0; i < 20000; i++) {
      const stored = storedNow();
      expect(stored >= previous).toBe(true);
      previous = stored;
    }
    expect(Date.parse(previous)).toBeLessThanOrEqual(Date.now());
    // Another caller moving the clock (the write tracker) is seen by the next instant.
    const moved = nextStoredMs();
    expect(Date.parse(storedNow())).toBeGreaterThanOrEqual(moved);
  });
});
