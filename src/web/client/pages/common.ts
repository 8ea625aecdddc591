/// <reference lib="dom" />
/** Pieces the role pages share: tables, term lists, pictures fetched with the session's credential. */
import { blob } from "../api.js";
import { type Child, h, svg } from "../dom.js";
import { formatNumber, t } from "../i18n.js";

export function table(caption: string, columns: string[], rows: Child[][]): HTMLElement {
  if (rows.length === 0) return h("p", {}, t("common.none"));
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            {},
            r.map((c) => h("td", {}, c)),
          ),
        ),
      ),
    ),
  );
}

export const local = (iri: string): string => iri.replace(/^.*[#/:]/, "");

/** A picture the API serves behind authentication: fetched as a blob, shown with its text alternative. */
export function authImage(path: string, alt: string): HTMLElement {
  const img = h("img", { alt, loading: "lazy" });
  const figure = h("figure", {}, img, h("figcaption", {}, alt));
  blob(path)
    .then((b) => {
      img.src = URL.createObjectURL(b);
    })
    .catch((err: Error) => figure.replaceChildren(h("p", { class: "error" }, `${alt}: ${err.message}`)));
  return figure;
}

/**
 * Horizontal bars with their values written out (the numbers are the accessible form); `scale` is the
 * full length (1 for measures between 0 and 1), by default the largest value.
 */
export function barChart(
  title: string,
  data: Array<{ label: string; value: number }>,
  digits = 0,
  scale?: number,
): HTMLElement {
  const max = scale ?? Math.max(1, ...data.map((d) => d.value));
  const rowH = 22;
  const width = 520;
  const labelW = 260;
  const chart = svg(
    "svg",
    {
      viewBox: `0 0 ${width} ${data.length * rowH + 4}`,
      role: "img",
      "aria-label": title,
      class: "chart",
    },
    data.map((d, i) => [
      svg("text", { x: 0, y: i * rowH + 15, class: "chart-label" }, d.label.slice(0, 40)),
      svg("rect", {
        x: labelW,
        y: i * rowH + 3,
        width: Math.max(1, ((width - labelW - 70) * d.value) / max),
        height: rowH - 8,
        class: "bar",
      }),
      svg(
        "text",
        { x: labelW + ((width - labelW - 70) * d.value) / max + 6, y: i * rowH + 15, class: "chart-value" },
        formatNumber(d.value, digits),
      ),
    ]),
  );
  return h("figure", { class: "chart-figure" }, h("figcaption", {}, title), chart);
}

export function jsonBlock(label: string, value: unknown): HTMLElement {
  return h(
    "details",
    {},
    h("summary", {}, label),
    h("pre", { tabindex: "0" }, typeof value === "string" ? value : JSON.stringify(value, null, 2)),
  );
}
