import { describe, expect, it } from "vitest";
import { earlyDetectionCurve } from "../../src/train/evaluate/early.js";
import { groupMetrics } from "../../src/train/evaluate/groups.js";
import {
  averagePrecision,
  calibration,
  prCurve,
  rocAuc,
  rocCurve,
} from "../../src/train/evaluate/metrics.js";
import {
  calibrationSvg,
  coldStartSvg,
  earlyDetectionSvg,
  fairnessGapsSvg,
  fairnessSvg,
  prSvg,
  rocSvg,
} from "../../src/train/pictures/charts.js";
import { asciiCurve, sparkline } from "../../src/train/pictures/console.js";
import { svgToPng } from "../../src/train/pictures/png.js";
import { lineChart } from "../../src/train/pictures/svg.js";

interface Element {
  name: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/**
 * A tiny XML reader, strict enough to tell a well-formed document: one root, tags nested and closed
 * in order, attributes quoted and not repeated, only the five predefined entities, no stray "<" or "&".
 */
function parseXml(source: string): Element {
  const token =
    /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)|(<)/gy;
  const attribute = /\s+([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  const root: Element = { name: "#document", attributes: {}, children: [], text: "" };
  const stack: Element[] = [root];
  const checkText = (text: string) => {
    for (const m of text.matchAll(/&([^;\s]*);?/g)) {
      if (!["amp", "lt", "gt", "quot", "apos"].includes(m[1]!) || !m[0].endsWith(";"))
        throw new Error(`bad entity ${m[0]}`);
    }
  };
  let m: RegExpExecArray | null;
  let at = 0;
  for (;;) {
    m = token.exec(source);
    if (!m) break;
    at = token.lastIndex;
    if (m[6]) throw new Error(`stray "<" at ${m.index}`);
    if (m[5] !== undefined) {
      checkText(m[5]);
      stack.at(-1)!.text += m[5];
      continue;
    }
    const [, closing, name, attrs, selfClosing] = m;
    if (closing) {
      const top = stack.pop();
      if (!top || top.name !== name) throw new Error(`</${name}> closes <${top?.name}>`);
      continue;
    }
    const element: Element = { name: name!, attributes: {}, children: [], text: "" };
    for (const a of attrs!.matchAll(attribute)) {
      if (a[1]! in element.attributes) throw new Error(`attribute ${a[1]} twice on <${name}>`);
      const value = a[2] ?? a[3] ?? "";
      checkText(value);
      element.attributes[a[1]!] = value;
    }
    stack.at(-1)!.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (at !== source.length) throw new Error(`unreadable input at ${at}`);
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  if (root.children.length !== 1) throw new Error("not one root element");
  return root.children[0]!;
}

function all(element: Element, name: string): Element[] {
  return [...(element.name === name ? [element] : []), ...element.children.flatMap((c) => all(c, name))];
}

function texts(element: Element): string[] {
  return all(element, "text").map((t) => t.text);
}

/** The path's vertices, in pixels. */
function vertices(path: Element): [number, number][] {
  return [...path.attributes.d!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [
    Number(m[1]),
    Number(m[2]),
  ]);
}

const scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7, 0.2, 0.9];
const labels = [0, 0, 1, 1, 1, 0, 0, 1];

describe("SVG pictures", () => {
  it("the XML check itself refuses what is not well-formed", () => {
    expect(() => parseXml("<svg><g></svg>")).toThrow(/closes/);
    expect(() => parseXml('<svg a="1" a="2"/>')).toThrow(/twice/);
    expect(() => parseXml("<svg>a & b</svg>")).toThrow(/entity/);
    expect(() => parseXml("<svg><text>1 < 2</text></svg>")).toThrow(/stray/);
    expect(parseXml('<svg><text x="1">a &amp; b</text></svg>').children[0]!.text).toBe("a &amp; b");
  });

  it("ROC: well-formed, titled, labelled, with every curve point in place", () => {
    const points = rocCurve(scores, labels);
    const svg = parseXml(rocSvg([{ label: "GBDT <pooled>", points, auc: rocAuc(scores, labels) }]));
    expect(svg.name).toBe("svg");
    expect(svg.attributes.xmlns).toBe("http://www.w3.org/2000/svg");
    expect(all(svg, "title")[0]!.text).toBe("ROC curve");
    const words = texts(svg);
    expect(words).toContain("False positive rate");
    expect(words).toContain("True positive rate");
    // Positives .35 .8 .4 .9 against .1 .4 .7 .2: 12.5 of 16 pairs; the label escaped.
    expect(words).toContain("GBDT &lt;pooled&gt; (AUC 0.781)");
    expect(words).toContain("chance");
    const path = all(svg, "path").find((p) => p.attributes.class === "series")!;
    const v = vertices(path);
    expect(v.length).toBe(points.length);
    // The plot spans x 72..616 and y 56..(480 − 84): (0, 0) bottom left, (1, 1) top right.
    expect(v[0]).toEqual([72, 396]);
    expect(v.at(-1)).toEqual([616, 56]);
    points.forEach((p, k) => {
      expect(v[k]![0]).toBeCloseTo(72 + p.fpr * 544, 1);
      expect(v[k]![1]).toBeCloseTo(396 - p.tpr * 340, 1);
    });
  });

  it("PR, calibration and early detection: well-formed, each with its series", () => {
    const pr = parseXml(
      prSvg(
        [
          {
            label: "logistic",
            points: prCurve(scores, labels),
            averagePrecision: averagePrecision(scores, labels),
          },
        ],
        0.5,
      ),
    );
    expect(texts(pr)).toContain("prevalence 0.500");
    expect(vertices(all(pr, "path").find((p) => p.attributes.class === "series")!).length).toBe(
      prCurve(scores, labels).length,
    );
    const cal = calibration(scores, labels, 5);
    const calSvg = parseXml(calibrationSvg([{ label: "GBDT", calibration: cal }]));
    expect(all(calSvg, "circle").length).toBe(cal.bins.length);
    expect(texts(calSvg)).toContain("Mean predicted probability");
    const early = earlyDetectionCurve([
      { day: 0, auc: 0.62 },
      { day: 28, auc: 0.74 },
      { day: 140, auc: 0.88 },
    ]);
    const earlySvg = parseXml(earlyDetectionSvg([{ label: "at risk", curve: early }]));
    expect(all(earlySvg, "circle").length).toBe(3);
    expect(texts(earlySvg)).toContain("Cut-off day");
    expect(texts(earlySvg)).toEqual(
      expect.arrayContaining(["0", "20", "40", "60", "80", "100", "120", "140"]),
    );
    // Days 0 and 140 at the plot's left and right edges.
    expect(all(earlySvg, "circle").map((c) => Number(c.attributes.cx))).toEqual([
      72,
      72 + (28 / 140) * 544,
      616,
    ]);
  });

  it("fairness and cold-start bars: one bar per group or provider, small groups marked, signs kept", () => {
    const report = groupMetrics(scores, labels, ["a", "a", "a", "a", "b", "b", "b", "c"], {
      attribute: "region",
      minSize: 3,
    });
    const fair = parseXml(fairnessSvg(report));
    const bars = all(fair, "rect").filter((r) => r.attributes.class === "bar");
    expect(bars.map((b) => b.attributes["data-label"])).toEqual(["a (n=4)", "b (n=3)"]);
    expect(all(fair, "title")[0]!.text).toMatch(/ROC-AUC by region \(largest gap/);
    const lone = groupMetrics(scores, labels, Array(8).fill("all"), { attribute: "disability" });
    const gaps = parseXml(fairnessGapsSvg([report, lone]));
    const gapBars = all(gaps, "rect").filter((r) => r.attributes.class === "bar");
    expect(gapBars.map((b) => [b.attributes["data-label"], Number(b.attributes["data-value"])])).toEqual([
      ["region", report.largestGap!.value],
      ["disability", 0],
    ]);
    expect(texts(gaps)).toContain("0.000 (fewer than two groups to compare)");
    const cold = parseXml(
      coldStartSvg([
        { provider: "AAA", own: 0.7, pooled: 0.76 },
        { provider: "BBB", own: 0.8, pooled: 0.78 },
      ]),
    );
    const coldBars = all(cold, "rect").filter((r) => r.attributes.class === "bar");
    expect(coldBars.map((b) => Number(b.attributes["data-value"]).toFixed(2))).toEqual(["0.06", "-0.02"]);
    expect(texts(cold)).toEqual(expect.arrayContaining(["+0.060", "-0.020"]));
    expect(coldBars[0]!.attributes.fill).not.toBe(coldBars[1]!.attributes.fill);
  });

  it("a curve of 100,000 points is thinned to 1,000 vertices, ends kept", () => {
    const points = Array.from({ length: 100_000 }, (_, i) => ({ x: i / 99_999, y: Math.sqrt(i / 99_999) }));
    const svg = parseXml(
      lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ label: "s", points }] }),
    );
    const v = vertices(all(svg, "path").find((p) => p.attributes.class === "series")!);
    expect(v.length).toBe(1000);
    expect(v[0]).toEqual([72, 396]);
    expect(v.at(-1)).toEqual([616, 56]);
  });
});

describe("PNG and text renditions", () => {
  it("PNG: the signature and the asked width, height in the SVG's proportion", () => {
    const png = svgToPng(
      rocSvg([{ label: "m", points: rocCurve(scores, labels), auc: rocAuc(scores, labels) }]),
      800,
    );
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
    expect(view.getUint32(16)).toBe(800);
    expect(view.getUint32(20)).toBe(600);
    expect(() => svgToPng("<svg", 100)).toThrow();
  });

  it("sparkline and text curve", () => {
    expect(sparkline([0, 0.5, 1])).toBe("▁▅█");
    expect(sparkline([0.6, 0.7], [0.5, 1])).toBe("▂▄");
    const text = asciiCurve({
      title: "AUC by day",
      xLabel: "day",
      yLabel: "AUC",
      points: [
        { x: 0, y: 0.6 },
        { x: 140, y: 0.9 },
      ],
      width: 10,
      height: 4,
    });
    const lines = text.split("\n");
    expect(lines[0]).toBe("AUC by day  (y: AUC)");
    expect(lines[1]).toBe("   0.9 │         •");
    expect(lines[4]).toBe("   0.6 │•         ");
    expect(lines[6]).toContain("140");
  });
});
