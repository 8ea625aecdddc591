/// <reference lib="dom" />
/**
 * The operator's pages: the data space at a glance (participants, agreements, and the flows drawn as
 * a diagram: providers → agreement → consumer), the audit trail with the verification of its hash
 * chain, every agreement, dataset version and training job.
 */
import { ApiError, call, enc } from "../api.js";
import { h, svg } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import type { MessageKey } from "../messages/en.js";
import { type AgreementSummary, agreementPage, agreementsPage } from "./agreements.js";
import { local, table } from "./common.js";
import { datasetPage, datasetsPage } from "./datasets.js";
import { jobPage, jobsPage } from "./jobs.js";
import type { Page } from "./types.js";

interface Participant {
  id: string;
  role: string;
  title: string;
  iri: string;
}

/** Providers on the left, agreements in the middle, consumers on the right; an arrow per party. */
function flows(participants: Participant[], agreements: AgreementSummary[]): SVGElement {
  const providers = participants.filter((p) => p.role === "provider");
  const consumers = participants.filter((p) => p.role === "consumer");
  const rowH = 44;
  const rows = Math.max(providers.length, consumers.length, agreements.length, 1);
  const height = rows * rowH + 20;
  const y = (i: number, n: number) => 10 + ((i + 0.5) * (height - 20)) / Math.max(n, 1);
  const pos = new Map<string, number>();
  for (const [i, p] of providers.entries()) pos.set(`p:${p.id}`, y(i, providers.length));
  for (const [i, c] of consumers.entries()) pos.set(`c:${c.id}`, y(i, consumers.length));
  // A long name is cut with an ellipsis; the whole name is the box's title (tooltip, screen readers).
  const box = (x: number, cy: number, label: string, cls: string) => [
    svg("rect", { x, y: cy - 14, width: 180, height: 28, rx: 6, class: cls }, svg("title", {}, label)),
    svg(
      "text",
      { x: x + 90, y: cy + 5, "text-anchor": "middle", class: "node-label" },
      svg("title", {}, label),
      label.length > 24 ? `${label.slice(0, 23).trimEnd()}…` : label,
    ),
  ];
  const edges: SVGElement[] = [];
  const nodes: SVGElement[] = [];
  agreements.forEach((a, i) => {
    const ay = y(i, agreements.length);
    nodes.push(...box(300, ay, local(a.id).slice(0, 13), "node agreement"));
    for (const party of a.parties) {
      const py = pos.get(`p:${party.participant}`);
      const cy = pos.get(`c:${party.participant}`);
      if (py !== undefined)
        edges.push(
          svg("line", { x1: 190, y1: py, x2: 298, y2: ay, class: "edge", "marker-end": "url(#arrow)" }),
        );
      if (cy !== undefined)
        edges.push(
          svg("line", { x1: 482, y1: ay, x2: 590, y2: cy, class: "edge", "marker-end": "url(#arrow)" }),
        );
    }
  });
  for (const p of providers) nodes.push(...box(10, pos.get(`p:${p.id}`)!, p.title || p.id, "node provider"));
  for (const c of consumers) nodes.push(...box(592, pos.get(`c:${c.id}`)!, c.title || c.id, "node consumer"));
  const description = agreements
    .map((a) =>
      t("operator.flowText", {
        agreement: local(a.id),
        parties: a.parties.map((p) => `${p.participant} (${p.role})`).join(", "),
      }),
    )
    .join(" ");
  return svg(
    "svg",
    {
      viewBox: `0 0 780 ${height}`,
      role: "img",
      "aria-label": `${t("operator.flows")}. ${description}`,
      class: "flows",
    },
    svg(
      "defs",
      {},
      svg(
        "marker",
        {
          id: "arrow",
          viewBox: "0 0 10 10",
          refX: 10,
          refY: 5,
          markerWidth: 6,
          markerHeight: 6,
          orient: "auto",
        },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }),
      ),
    ),
    edges,
    nodes,
  );
}

const overviewPage: Page = {
  path: "overview",
  title: "operator.overview",
  async render() {
    const participants = await call<Participant[]>("/contract/participants");
    const agreements = await call<AgreementSummary[]>("/contract/agreements");
    return h(
      "section",
      {},
      h("h1", {}, t("operator.overview")),
      h("h2", {}, t("operator.flows")),
      h(
        "figure",
        { class: "flows-figure" },
        flows(participants, agreements),
        h("figcaption", {}, t("operator.flowsCaption")),
      ),
      h("h2", {}, t("operator.participants")),
      table(
        t("operator.participants"),
        [t("operator.id"), t("operator.role"), t("operator.name")],
        participants.map((p) => [p.id, t(`role.${p.role}` as MessageKey), p.title]),
      ),
      h("h2", {}, t("agreements.title")),
      table(
        t("agreements.title"),
        [t("agreements.id"), t("agreements.parties")],
        agreements.map((a) => [
          h("a", { href: `#/agreement/${enc(a.id)}` }, local(a.id)),
          a.parties.map((p) => p.participant).join(", "),
        ]),
      ),
    );
  },
};

interface AuditEvent {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  hash: string;
}

let auditAfter: number | undefined;
const AUDIT_PAGE = 50;

/** The audit trail, newest page first, and the verification of its hash chain. */
const auditPage: Page = {
  path: "audit",
  title: "audit.title",
  async render(ctx) {
    let verification: { ok: boolean; events: number; brokenAt?: number; reason?: string };
    try {
      verification = await call("/audit/verify");
    } catch (err) {
      if (err instanceof ApiError && err.status === 404)
        return h("section", {}, h("h1", {}, t("audit.title")), h("p", {}, t("audit.unavailable")));
      throw err;
    }
    const after = auditAfter ?? Math.max(0, verification.events - AUDIT_PAGE);
    const page = await call<{ events: AuditEvent[]; next: number | null }>(
      `/audit/events?after=${after}&limit=${AUDIT_PAGE}`,
    );
    const result = h("p", { role: "status" });
    const go = (to: number) => () => {
      auditAfter = Math.max(0, to);
      ctx.rerender();
    };
    return h(
      "section",
      {},
      h("h1", {}, t("audit.title")),
      h("p", {}, t("audit.intro", { events: verification.events })),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              const v = await call<typeof verification>("/audit/verify");
              result.className = v.ok ? "ok" : "error";
              result.textContent = v.ok
                ? t("audit.verified", { events: v.events })
                : t("audit.broken", { seq: v.brokenAt ?? "?", reason: v.reason ?? "" });
            },
          },
          t("audit.verify"),
        ),
      ),
      result,
      table(
        t("audit.caption", { from: page.events[0]?.seq ?? 0, to: page.events.at(-1)?.seq ?? 0 }),
        ["#", t("audit.at"), t("audit.actor"), t("audit.action"), t("audit.subject"), t("audit.hash")],
        page.events.map((e) => [
          String(e.seq),
          formatDate(e.at),
          e.actor,
          e.action,
          h("code", {}, e.subject.length > 48 ? `${e.subject.slice(0, 48)}…` : e.subject),
          h("code", {}, e.hash.slice(0, 12)),
        ]),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", class: "secondary", disabled: after === 0, onclick: go(after - AUDIT_PAGE) },
          t("audit.older"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            disabled: page.next === null,
            onclick: go(after + AUDIT_PAGE),
          },
          t("audit.newer"),
        ),
      ),
    );
  },
};

export const operatorPages: Page[] = [
  overviewPage,
  auditPage,
  agreementsPage,
  datasetsPage,
  jobsPage,
  agreementPage,
  datasetPage,
  jobPage,
];
