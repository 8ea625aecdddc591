/// <reference lib="dom" />
/**
 * The provider's pages: its data as its catalog entries describe them (volumes, verbs, formats), its
 * offers, the agreements to sign, consent coverage per agreement (the cohort of consenting
 * pseudonyms, counted), and what left its premises: the dataset versions built under its agreements
 * and the de-identification profile each agreement named.
 */
import { call, enc, session } from "../api.js";
import { h } from "../dom.js";
import { formatDate, formatNumber, t } from "../i18n.js";
import { type AgreementSummary, agreementLink, agreementPage, agreementsPage } from "./agreements.js";
import { barChart, jsonBlock, local, table } from "./common.js";
import { datasetPage } from "./datasets.js";
import type { Page } from "./types.js";

interface Entry {
  dataset: string;
  version: number;
  provider: string;
  offerId: string;
  offer: Record<string, unknown>;
  withdrawn?: { at: string; reason: string };
  description: { title: string; formats: string[] };
  statistics: { statements: number; learners: number; verbs: Array<{ id: string; statements: number }> };
}

const me = () => {
  const s = session();
  return s?.kind === "participant" ? s.id : "";
};

const dataPage: Page = {
  path: "data",
  title: "provider.data",
  async render() {
    const { items } = await call<{ items: Entry[] }>(`/contract/catalog?provider=${enc(me())}`);
    const mine = items.filter((e) => e.provider === me());
    return h(
      "section",
      {},
      h("h1", {}, t("provider.data")),
      mine.length === 0 && h("p", {}, t("provider.noEntries")),
      mine.map((e) =>
        h(
          "section",
          { class: "card" },
          h("h2", {}, e.description.title),
          h(
            "p",
            {},
            t("provider.volumes", {
              statements: formatNumber(e.statistics.statements),
              learners: formatNumber(e.statistics.learners),
              formats: e.description.formats.join(", ") || "xAPI",
            }),
          ),
          barChart(
            t("provider.byVerb"),
            e.statistics.verbs.map((v) => ({ label: local(v.id), value: v.statements })),
          ),
          h("h3", {}, t("provider.offer")),
          e.withdrawn &&
            h("p", { class: "warning" }, t("provider.withdrawn", { at: formatDate(e.withdrawn.at) })),
          jsonBlock(`${t("provider.offer")} ${local(e.offerId)}`, e.offer),
        ),
      ),
    );
  },
};

const coveragePage: Page = {
  path: "consent",
  title: "provider.coverage",
  async render() {
    const list = await call<AgreementSummary[]>("/contract/agreements");
    const rows = [];
    for (const a of list) {
      try {
        const c = await call<{ count: number }>("/consent/cohort", {
          method: "POST",
          body: { agreement: a.id },
        });
        rows.push([agreementLink(a.id), formatNumber(c.count)]);
      } catch (err) {
        rows.push([agreementLink(a.id), (err as Error).message]);
      }
    }
    return h(
      "section",
      {},
      h("h1", {}, t("provider.coverage")),
      h("p", {}, t("provider.coverageIntro")),
      table(t("provider.coverage"), [t("jobs.agreement"), t("provider.consenting")], rows),
    );
  },
};

const leftPage: Page = {
  path: "left",
  title: "provider.left",
  async render() {
    const { versions } = await call<{
      versions: Array<{
        id: string;
        name: string;
        version: string;
        agreement: string;
        consumer: string;
        records: number;
        learners: number;
        builtAt: string;
        state: string;
      }>;
    }>("/datasets/versions");
    const profiles = new Map<string, string>();
    for (const a of new Set(versions.map((v) => v.agreement))) {
      const full = await call<{ deidentificationProfile?: string }>(`/contract/agreements/${enc(a)}`);
      profiles.set(a, full.deidentificationProfile ?? "—");
    }
    return h(
      "section",
      {},
      h("h1", {}, t("provider.left")),
      h("p", {}, t("provider.leftIntro")),
      table(
        t("provider.left"),
        [
          t("datasets.name"),
          t("provider.recipient"),
          t("datasets.records"),
          t("datasets.learners"),
          t("provider.profile"),
          t("datasets.built"),
          t("datasets.state"),
        ],
        versions.map((v) => [
          h("a", { href: `#/dataset/${enc(v.id)}` }, `${v.name} ${v.version}`),
          v.consumer,
          formatNumber(v.records),
          formatNumber(v.learners),
          profiles.get(v.agreement) ?? "—",
          formatDate(v.builtAt),
          v.state,
        ]),
      ),
    );
  },
};

export const providerPages: Page[] = [
  dataPage,
  agreementsPage,
  coveragePage,
  leftPage,
  agreementPage,
  datasetPage,
];
