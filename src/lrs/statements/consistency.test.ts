import { describe, expect, it } from "vitest";
import { storedNow } from "./clock.js";
import { WriteTracker } from "./consistency.js";

describe("X-Experience-API-Consistent-Through", () => {
  it("vouches only for instants strictly before any statement still to be stored", async () => {
    const writes = new WriteTracker();
    const through = writes.consistentThrough();
    // Anything stored from now on carries an instant later than what was vouched for.
    expect(Date.parse(storedNow())).toBeGreaterThan(through.getTime());

    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let storedInside = "";
    const write = writes.track(async () => {
      await gate;
      storedInside = storedNow();
    });
    await new Promise((r) => setTimeout(r, 15));
    // While the write is in flight, the instant stays before its start, however much time passes.
    const during = writes.consistentThrough();
    release();
    await write;
    expect(Date.parse(storedInside)).toBeGreaterThan(during.getTime());
    expect(writes.consistentThrough().getTime()).toBeGreaterThanOrEqual(during.getTime());
  });
});
