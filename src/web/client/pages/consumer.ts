/// <reference lib="dom" />
/**
 * The consumer's pages: catalog search and a request for an agreement (the Dataspace Protocol
 * negotiation through /contract/negotiations), agreements, dataset versions (card, Croissant, risk
 * report charts, lineage verification) and training jobs with the pictures the release gate let out.
 */
import { call, enc } from "../api.js";
import { field, h } from "../dom.js";
import { formatDate, formatNumber, t } from "../i18n.js";
import { agreementPage, agreementsPage } from "./agreements.js";
import { jsonBlock, local } from "./common.js";
import { datasetPage, datasetsPage } from "./datasets.js";
import { jobPage, jobsPage } from "./jobs.js";
import type { Page } from "./types.js";

interface CatalogHit {
  dataset: string;
  version: number;
  provider: string;
  offerId: string;
  offer: Record<string, unknown>;
  description: {
    title: string;
    description: string;
    language: string;
    keywords: string[];
    formats: string[];
  };
  statistics: { statements: number; learners: number; temporal: { start: string; end: string } | null };
  purposeFit?: { fits?: boolean; decision?: string; reason?: string } & Record<string, unknown>;
}

let lastQuery = { q: "", purpose: "" };

export const catalogPage: Page = {
  path: "catalog",
  title: "catalog.title",
  async render(ctx) {
    const q = h("input", { type: "search", name: "q", value: lastQuery.q });
    const purpose = h("input", {
      type: "text",
      name: "purpose",
      value: lastQuery.purpose,
      placeholder: "dpv:AcademicResearch",
    });
    const params = new URLSearchParams();
    if (lastQuery.q) params.set("q", lastQuery.q);
    if (lastQuery.purpose) params.set("purpose", lastQuery.purpose);
    const page = await call<{ items: CatalogHit[]; total: number }>(`/contract/catalog?${params}`);
    const results = h(
      "ul",
      { class: "cards" },
      page.items.map((item) => {
        const out = h("div", { role: "status" });
        const request = async () => {
          try {
            const n = await call<{ state: string; localPid?: string; reason?: string }>(
              "/contract/negotiations",
              {
                method: "POST",
                body: { provider: `${location.origin}/dsp`, offer: item.offerId },
              },
            );
            out.textContent = t("catalog.requested", { state: n.state });
          } catch (err) {
            out.textContent = t("common.failed", { message: (err as Error).message });
          }
        };
        return h(
          "li",
          { class: "card" },
          h("h2", {}, item.description.title),
          h("p", {}, item.description.description),
          h(
            "p",
            { class: "meta" },
            t("catalog.stats", {
              provider: item.provider,
              statements: formatNumber(item.statistics.statements),
              learners: formatNumber(item.statistics.learners),
            }),
          ),
          item.statistics.temporal &&
            h(
              "p",
              { class: "meta" },
              `${formatDate(item.statistics.temporal.start)} → ${formatDate(item.statistics.temporal.end)}`,
            ),
          item.purposeFit &&
            h(
              "p",
              { class: "meta" },
              t("catalog.fit", {
                fit: JSON.stringify(item.purposeFit.decision ?? item.purposeFit.fits ?? ""),
              }),
            ),
          jsonBlock(t("catalog.offer"), item.offer),
          h(
            "button",
            {
              type: "button",
              onclick: request,
              "aria-label": t("catalog.requestFor", { title: item.description.title }),
            },
            t("catalog.request"),
          ),
          out,
        );
      }),
    );
    return h(
      "section",
      {},
      h("h1", {}, t("catalog.title")),
      h(
        "form",
        {
          role: "search",
          class: "inline",
          onsubmit: (e: Event) => {
            e.preventDefault();
            lastQuery = { q: q.value.trim(), purpose: purpose.value.trim() };
            ctx.rerender();
          },
        },
        field(t("catalog.q"), q),
        field(t("catalog.purpose"), purpose, t("catalog.purposeHint")),
        h("button", { type: "submit" }, t("catalog.search")),
      ),
      h("p", { role: "status" }, t("catalog.total", { total: page.total })),
      results,
    );
  },
};

export const consumerPages: Page[] = [
  catalogPage,
  agreementsPage,
  datasetsPage,
  jobsPage,
  agreementPage,
  datasetPage,
  jobPage,
];

export { enc, local };
