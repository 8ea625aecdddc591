/// <reference lib="dom" />
/**
 * The learner portal (a learner, or a guardian for a minor), on the provider's signed link: the notice
 * of the request in French or English and in the words for the reader (learner, young learner,
 * guardian), one decision per purpose in one click (give, refuse, withdraw), the history, and the
 * receipts to download and verify. A link makes one change; the server hands back the next one when
 * it holds the provider's key, otherwise the page says to ask the provider for a new link and keeps
 * history and receipts readable (reading does not use a link).
 */
import { ApiError, call, saveSession, session } from "../api.js";
import { download, field, h, pretty } from "../dom.js";
import { formatDate, lang, t } from "../i18n.js";
import type { MessageKey } from "../messages/en.js";
import { type Jwks, type ReceiptRow, verifyReceipts } from "../receipts.js";
import type { Page } from "./types.js";

interface PortalRecord {
  id: string;
  purpose: string;
  recipient: string;
  dataCategory: string;
  state: string;
  learnerGave: boolean;
  guardianGave: boolean;
  jointConsent: boolean;
}
interface PortalView {
  agreement: string;
  role: "learner" | "guardian";
  expiresAt: string;
  records: PortalRecord[];
}
interface NoticeTerm {
  iri: string;
  label: string;
  description: string;
}
interface Notice {
  title: string;
  audience: string;
  language: string;
  purposes: NoticeTerm[];
  dataCategories: NoticeTerm[];
  sections: Array<{ key: string; heading: string; paragraphs: string[]; items: string[] }>;
}
interface HistoryEvent {
  record: string;
  purpose: string;
  dataCategory: string;
  n: number;
  event: string;
  by: string;
  state: string;
  at: string;
}
interface ChangeAnswer {
  changes: Array<{ record: string; state: string }>;
  next?: { token: string; expiresAt: string };
}

const IN_FORCE = ["given", "renewed"];
/** Set when a link has made its change and no next link came back: the visit is read-only now. */
const SPENT = "learnpool.portal.spent";
let audience: string | undefined;
let flash: { text: string; error?: boolean } | undefined;

const stateLabel = (s: string) => t(`state.${s}` as MessageKey);
const local = (iri: string) => iri.replace(/^.*[#/:]/, "");

function noticeView(notice: Notice, role: PortalView["role"], rerender: () => void): HTMLElement {
  const choices = role === "guardian" ? ["guardian", "learner"] : ["learner", "young-learner"];
  // A button applies the choice: changing a select's value alone must not change the page (WCAG 3.2.2).
  const select = h(
    "select",
    {},
    choices.map((c) =>
      h("option", { value: c, selected: c === notice.audience }, t(`audience.${c}` as MessageKey)),
    ),
  );
  const show = h(
    "button",
    {
      type: "button",
      class: "secondary",
      onclick: () => {
        audience = select.value;
        rerender();
      },
    },
    t("portal.showVersion"),
  );
  return h(
    "section",
    { "aria-labelledby": "notice-title", class: "notice" },
    h("h2", { id: "notice-title" }, t("portal.notice")),
    h("div", { class: "inline-field" }, field(t("portal.noticeVersion"), select), show),
    h(
      "article",
      { lang: notice.language },
      h("h3", {}, notice.title),
      notice.sections.map((s) =>
        h(
          "section",
          {},
          h("h4", {}, s.heading),
          s.paragraphs.map((p) => h("p", {}, p)),
          s.items.length > 0 &&
            h(
              "ul",
              {},
              s.items.map((i) => h("li", {}, i)),
            ),
        ),
      ),
    ),
  );
}

export const portalPage: Page = {
  path: "portal",
  title: "portal.title",
  async render(ctx) {
    const s = session();
    if (s?.kind !== "portal") throw new Error(t("portal.noLink"));
    const spent = sessionStorage.getItem(SPENT) === s.link;
    const view = await call<PortalView>("/consent/portal");
    const q = new URLSearchParams({ format: "json", lang: lang() });
    if (audience) q.set("audience", audience);
    const notice = await call<Notice>(`/consent/portal/notice?${q}`);
    const history = await call<{ events: HistoryEvent[] }>("/consent/portal/history");
    const labelOf = (iri: string) => notice.purposes.find((p) => p.iri === iri)?.label ?? local(iri);
    const minor = view.records.some((r) => r.jointConsent) || view.role === "guardian";

    const status = h("p", { role: "status", class: flash?.error ? "error" : "flash" }, flash?.text ?? "");
    flash = undefined;

    const act = async (kind: "give" | "refuse" | "withdraw", purpose: string, records: PortalRecord[]) => {
      const body = kind === "withdraw" ? { purposes: [purpose] } : { records: records.map((r) => r.id) };
      try {
        const answer = await call<ChangeAnswer>(`/consent/portal/${kind}`, { method: "POST", body });
        if (answer.next) saveSession({ kind: "portal", link: answer.next.token });
        else sessionStorage.setItem(SPENT, s.link);
        flash = {
          text: `${t(`portal.done.${kind}` as MessageKey, { purpose: labelOf(purpose) })}${
            answer.next ? "" : ` ${t("portal.spent")}`
          }`,
        };
      } catch (err) {
        const used = err instanceof ApiError && err.status === 401;
        if (used) sessionStorage.setItem(SPENT, s.link);
        flash = {
          text: used ? t("portal.linkRefused", { message: (err as Error).message }) : (err as Error).message,
          error: true,
        };
      }
      ctx.rerender();
    };

    const purposes = [...new Set(view.records.map((r) => r.purpose))];
    const decisions = h(
      "section",
      { "aria-labelledby": "choices-title" },
      h("h2", { id: "choices-title" }, t("portal.choices")),
      view.role === "guardian" && h("p", {}, t("portal.guardianIntro")),
      minor && h("p", {}, t("portal.jointIntro")),
      spent && h("p", { class: "warning" }, t("portal.spent")),
      h(
        "ul",
        { class: "purposes" },
        purposes.map((purpose) => {
          const records = view.records.filter((r) => r.purpose === purpose);
          const inForce = records.some((r) => IN_FORCE.includes(r.state));
          const state = records[0]?.state ?? "unknown";
          const term = notice.purposes.find((p) => p.iri === purpose);
          const id = `purpose-${local(purpose)}`;
          const button = (kind: "give" | "refuse" | "withdraw", cls = "") =>
            h(
              "button",
              {
                type: "button",
                class: cls,
                disabled: spent,
                "aria-describedby": id,
                onclick: () => void act(kind, purpose, records),
              },
              t(`portal.${kind}` as MessageKey),
            );
          return h(
            "li",
            { class: "purpose" },
            h("h3", { id }, labelOf(purpose)),
            term && h("p", {}, term.description),
            h(
              "p",
              {},
              t("portal.state"),
              " ",
              h("strong", { class: `state state-${state}` }, stateLabel(state)),
            ),
            minor &&
              h(
                "p",
                { class: "joint" },
                t("portal.learnerGave", {
                  answer: t(records.every((r) => r.learnerGave) ? "common.yes" : "common.no"),
                }),
                " · ",
                t("portal.guardianGave", {
                  answer: t(records.every((r) => r.guardianGave) ? "common.yes" : "common.no"),
                }),
              ),
            h(
              "div",
              { class: "actions" },
              inForce ? button("withdraw", "danger") : [button("give"), button("refuse", "secondary")],
            ),
          );
        }),
      ),
    );

    const historyView = h(
      "section",
      { "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, t("portal.history")),
      history.events.length === 0
        ? h("p", {}, t("common.none"))
        : h(
            "table",
            {},
            h("caption", { class: "sr-only" }, t("portal.history")),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                [
                  t("portal.when"),
                  t("portal.purpose"),
                  t("portal.event"),
                  t("portal.by"),
                  t("portal.stateAfter"),
                ].map((c) => h("th", { scope: "col" }, c)),
              ),
            ),
            h(
              "tbody",
              {},
              history.events.map((e) =>
                h(
                  "tr",
                  {},
                  h("td", {}, formatDate(e.at)),
                  h("td", {}, labelOf(e.purpose)),
                  h("td", {}, t(`event.${e.event}` as MessageKey)),
                  h("td", {}, t(`by.${e.by}` as MessageKey)),
                  h("td", {}, stateLabel(e.state)),
                ),
              ),
            ),
          ),
    );

    const verifyResult = h("div", { role: "status", class: "verify" });
    const receipts = h(
      "section",
      { "aria-labelledby": "receipts-title" },
      h("h2", { id: "receipts-title" }, t("portal.receipts")),
      h("p", {}, t("portal.receiptsIntro")),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              const doc = await call<unknown>("/consent/portal/receipts");
              download("consent-receipts.json", new Blob([pretty(doc)], { type: "application/json" }));
            },
          },
          t("portal.download"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            onclick: async () => {
              verifyResult.textContent = t("common.loading");
              const doc = await call<{ jwks: Jwks; receipts: ReceiptRow[] }>("/consent/portal/receipts");
              const checked = await verifyReceipts(doc.receipts, doc.jwks);
              const ok = checked.filter((c) => c.ok).length;
              verifyResult.replaceChildren(
                h(
                  "p",
                  { class: ok === checked.length ? "ok" : "error" },
                  t("portal.verified", { ok, total: checked.length }),
                ),
                h(
                  "ul",
                  {},
                  checked
                    .filter((c) => !c.ok)
                    .map((c) => h("li", {}, `${c.record} #${c.n}: ${c.reason ?? ""}`)),
                ),
              );
            },
          },
          t("portal.verify"),
        ),
      ),
      verifyResult,
    );

    return h(
      "div",
      { class: "portal" },
      h("h1", {}, view.role === "guardian" ? t("portal.titleGuardian") : t("portal.title")),
      h("p", {}, t("portal.expires", { at: formatDate(view.expiresAt) })),
      status,
      decisions,
      noticeView(notice, view.role, ctx.rerender),
      historyView,
      receipts,
    );
  },
};
