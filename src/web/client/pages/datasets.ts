/// <reference lib="dom" />
/**
 * Dataset versions: the list, and one version with its figures, consent coverage and history. Its
 * files leave only under a download decision (POST …/download, one counted use), so the card, the
 * Croissant file, the risk report (drawn as charts) and the lineage are opened on request; the lineage
 * check here compares the served files with the recorded inventory (SHA-256) and the manifest's Merkle
 * root with the registry's (the record-level recomputation is `learnpool dataset verify`).
 */
import { blob, call, enc, session } from "../api.js";
import { download, h } from "../dom.js";
import { formatDate, formatNumber, t } from "../i18n.js";
import { agreementLink } from "./agreements.js";
import { barChart, jsonBlock, local, table } from "./common.js";
import type { Page } from "./types.js";

interface Version {
  id: string;
  name: string;
  version: string;
  agreement: string;
  consumer: string;
  merkleRoot: string;
  records: number;
  learners: number;
  state: string;
  builtAt: string;
}
interface VersionDetail extends Version {
  files: Array<{ path: string; sha256: string; bytes: number }>;
  summary: { consent?: unknown; sources?: unknown; splits?: unknown };
  events: Array<{ seq: number; kind: string; at: string; actor: string }>;
}

export const datasetsPage: Page = {
  path: "datasets",
  title: "datasets.title",
  aliases: ["dataset"],
  async render() {
    const { versions } = await call<{ versions: Version[] }>("/datasets/versions");
    return h(
      "section",
      {},
      h("h1", {}, t("datasets.title")),
      table(
        t("datasets.title"),
        [
          t("datasets.name"),
          t("datasets.state"),
          t("datasets.records"),
          t("datasets.learners"),
          t("jobs.agreement"),
          t("datasets.built"),
        ],
        versions.map((v) => [
          h("a", { href: `#/dataset/${enc(v.id)}` }, `${v.name} ${v.version}`),
          v.state,
          formatNumber(v.records),
          formatNumber(v.learners),
          agreementLink(v.agreement),
          formatDate(v.builtAt),
        ]),
      ),
    );
  },
};

async function sha256Hex(b: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await b.arrayBuffer());
  return [...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The risk report's measures before and after the anonymization, beside the agreement's thresholds
 * (risk.json: `before`, `after`, `thresholds`); any other shape falls back to its numbers in [0, 1].
 */
function riskBars(risk: unknown): Array<{ label: string; value: number }> {
  const r = risk as {
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
    thresholds?: Record<string, unknown>;
  };
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
  const out: Array<{ label: string; value: number }> = [];
  if (r?.before && r.after) {
    for (const [key, label] of [
      ["averageRisk", t("dataset.riskAverage")],
      ["highestRisk", t("dataset.riskHighest")],
      ["sampleUniqueness", t("dataset.riskUniqueness")],
    ] as const) {
      const before = num(r.before[key]);
      const after = num(r.after[key]);
      if (before !== undefined) out.push({ label: `${label} — ${t("dataset.before")}`, value: before });
      if (after !== undefined) out.push({ label: `${label} — ${t("dataset.after")}`, value: after });
    }
    const max = num(r.thresholds?.maxAverageRisk);
    if (max !== undefined) out.push({ label: t("dataset.riskThreshold"), value: max });
    if (out.length > 0) return out;
  }
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1)
      out.push({ label: prefix, value: v });
    else if (v && typeof v === "object" && !Array.isArray(v) && depth < 3)
      for (const [k, x] of Object.entries(v)) walk(x, prefix ? `${prefix}.${k}` : k, depth + 1);
  };
  walk(risk, "", 0);
  return out.slice(0, 24);
}

export const datasetPage: Page = {
  path: "dataset",
  title: "dataset.title",
  hidden: true,
  async render(ctx) {
    const id = ctx.arg ?? "";
    const v = await call<VersionDetail>(`/datasets/versions/${enc(id)}`);
    const s = session();
    const docs = h("div", { class: "docs" });
    const file = (path: string) => blob(`/datasets/versions/${enc(v.id)}/files/${enc(path)}`);
    const open = async () => {
      docs.replaceChildren(h("p", { role: "status" }, t("common.loading")));
      try {
        const grant = await call<{ decision: { decision: string; reason?: string }; until: string }>(
          `/datasets/versions/${enc(v.id)}/download`,
          { method: "POST" },
        );
        const parts: Node[] = [
          h("p", { role: "status" }, t("dataset.granted", { until: formatDate(grant.until) })),
        ];
        const card = v.files.find((f) => f.path === "README.md");
        if (card)
          parts.push(
            h(
              "section",
              {},
              h("h2", {}, t("dataset.card")),
              h("pre", { tabindex: "0", class: "card-text" }, await (await file(card.path)).text()),
            ),
          );
        const croissant = v.files.find((f) => f.path === "croissant.json");
        if (croissant) {
          const b = await file(croissant.path);
          parts.push(
            h(
              "section",
              {},
              h("h2", {}, t("dataset.croissant")),
              h(
                "button",
                { type: "button", class: "secondary", onclick: () => download("croissant.json", b) },
                t("dataset.downloadCroissant"),
              ),
              jsonBlock("croissant.json", JSON.parse(await b.text())),
            ),
          );
        }
        const risk = v.files.find((f) => f.path === "risk.json");
        if (risk) {
          const report = JSON.parse(await (await file(risk.path)).text()) as unknown;
          const bars = riskBars(report);
          parts.push(
            h(
              "section",
              {},
              h("h2", {}, t("dataset.risk")),
              bars.length > 0 ? barChart(t("dataset.riskChart"), bars, 3, 1) : null,
              jsonBlock("risk.json", report),
            ),
          );
        }
        const lineage = v.files.find((f) => f.path === "lineage.json");
        if (lineage) {
          const result = h("p", { role: "status" });
          parts.push(
            h(
              "section",
              {},
              h("h2", {}, t("dataset.lineage")),
              h(
                "button",
                {
                  type: "button",
                  onclick: async () => {
                    const checked: string[] = [];
                    let ok = true;
                    for (const f of v.files.filter(
                      (x) => x.path.endsWith(".json") || x.path.endsWith(".md"),
                    )) {
                      const same = (await sha256Hex(await file(f.path))) === f.sha256;
                      ok &&= same;
                      if (!same) checked.push(f.path);
                    }
                    const manifest = JSON.parse(await (await file(lineage.path)).text()) as {
                      merkle?: { root?: string };
                    };
                    const rootOk = manifest.merkle?.root === v.merkleRoot;
                    result.className = ok && rootOk ? "ok" : "error";
                    result.textContent =
                      ok && rootOk
                        ? t("dataset.lineageOk", { root: v.merkleRoot.slice(0, 16) })
                        : t("dataset.lineageBad", { files: checked.join(", ") || "merkle root" });
                  },
                },
                t("dataset.verifyLineage"),
              ),
              result,
            ),
          );
        }
        docs.replaceChildren(...parts);
      } catch (err) {
        docs.replaceChildren(
          h("p", { class: "error", role: "alert" }, t("common.failed", { message: (err as Error).message })),
        );
      }
    };
    return h(
      "article",
      {},
      h("h1", {}, t("dataset.title"), " ", `${v.name} ${v.version}`),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("datasets.state")),
        h("dd", {}, v.state),
        h("dt", {}, t("datasets.records")),
        h("dd", {}, formatNumber(v.records)),
        h("dt", {}, t("datasets.learners")),
        h("dd", {}, formatNumber(v.learners)),
        h("dt", {}, t("jobs.agreement")),
        h("dd", {}, agreementLink(v.agreement)),
        h("dt", {}, t("dataset.merkle")),
        h("dd", {}, h("code", {}, v.merkleRoot)),
      ),
      table(
        t("dataset.files"),
        [t("dataset.path"), t("dataset.bytes"), "SHA-256"],
        v.files.map((f) => [f.path, formatNumber(f.bytes), h("code", {}, f.sha256.slice(0, 16))]),
      ),
      jsonBlock(t("dataset.coverage"), v.summary.consent ?? {}),
      jsonBlock(t("dataset.history"), v.events),
      s?.kind === "participant" && s.role === "consumer"
        ? h(
            "div",
            { class: "actions" },
            h("button", { type: "button", onclick: open }, t("dataset.open")),
            h("p", { class: "hint" }, t("dataset.openHint")),
          )
        : h("p", { class: "hint" }, t("dataset.consumerOnly")),
      docs,
      h("p", {}, local(v.id)),
    );
  },
};
