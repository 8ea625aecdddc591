import { describe, expect, it } from "vitest";
import { syntheticTable } from "../../src/train/synthetic.js";

describe("synthetic benchmark table", () => {
  it("is the same under a seed and another under another seed", () => {
    const a = syntheticTable({ rows: 2000, seed: 7 });
    const b = syntheticTable({ rows: 2000, seed: 7 });
    const c = syntheticTable({ rows: 2000, seed: 8 });
    expect(b.labels).toEqual(a.labels);
    expect(b.table.columns).toEqual(a.table.columns);
    expect(c.labels).not.toEqual(a.labels);
  });

  it("has the promised shape: 50 named features, ~30 % positives, 5 % missing in two columns", () => {
    const { table, labels } = syntheticTable({ rows: 20000 });
    expect(table.rows).toBe(20000);
    expect(table.names.length).toBe(50);
    expect(table.names.slice(0, 2)).toEqual(["x00", "x01"]);
    const rate = labels.reduce((s, y) => s + y, 0) / labels.length;
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.4);
    const missing = table.columns.map((c) => c.filter(Number.isNaN).length / c.length);
    expect(missing[1]).toBeCloseTo(0.05, 2);
    expect(missing[10]).toBeCloseTo(0.05, 2);
    expect(missing.filter((m) => m > 0).length).toBe(2);
    expect(new Set(table.columns[13]).size).toBe(6);
  });

  it("refuses sizes it cannot make", () => {
    expect(() => syntheticTable({ rows: 1 })).toThrow(/synthetic.rows/);
    expect(() => syntheticTable({ features: 10 })).toThrow(/synthetic.features/);
  });
});
