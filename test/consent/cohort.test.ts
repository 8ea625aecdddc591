import { describe, expect, it } from "vitest";
import { PseudonymSet } from "../../src/consent/index.js";

describe("PseudonymSet", () => {
  it("is a sorted, duplicate-free set with binary-search membership", () => {
    const set = new PseudonymSet(["c", "a", "b", "a"]);
    expect(set.size).toBe(3);
    expect([...set]).toEqual(["a", "b", "c"]);
    expect(set.has("b")).toBe(true);
    expect(set.has("d")).toBe(false);
    expect(new Set(set)).toEqual(new Set(["a", "b", "c"]));
    expect([...set.entries()][0]).toEqual(["a", "a"]);
    const u = PseudonymSet.union([new PseudonymSet(["a", "x"]), new PseudonymSet(["b", "x"])]);
    expect(u.toArray()).toEqual(["a", "b", "x"]);
    expect(new PseudonymSet().has("a")).toBe(false);
  });
});
