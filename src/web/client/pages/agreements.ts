/// <reference lib="dom" />
/**
 * Agreements, for every participant role (the API shows each only those it is party to; the operator
 * all): the list, and one agreement in plain words beside its ODRL, its signatures and their
 * verification. A party signs from here with its private key file (read in the browser, never sent):
 * the same detached JWS over the canonical text as the contract module's signAgreement.
 */
import { FlattenedSign, importJWK, type JWK } from "jose";
import { blob, call, enc, session } from "../api.js";
import { field, h } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import type { MessageKey } from "../messages/en.js";
import { plainWords } from "../odrl.js";
import { jsonBlock, local, table } from "./common.js";
import type { Page } from "./types.js";

export interface AgreementSummary {
  id: string;
  parties: Array<{ participant: string; role: string }>;
  offers: string[];
  notBefore: string;
  notAfter: string;
}
interface AgreementFull extends AgreementSummary {
  digest: string;
  document: { policy: Record<string, unknown> };
  linkageDomain?: string;
  deidentificationProfile?: string;
  status: { state: string; valid: boolean; reason: string; signedBy: string[]; missing: string[] };
}

const AGREEMENT_JWS_TYP = "learnpool-agreement+jws";

export const agreementLink = (id: string) => h("a", { href: `#/agreement/${enc(id)}` }, local(id));

export const agreementsPage: Page = {
  path: "agreements",
  title: "agreements.title",
  aliases: ["agreement"],
  async render() {
    const list = await call<AgreementSummary[]>("/contract/agreements");
    const rows = [];
    for (const a of list) {
      const status = await call<AgreementFull["status"]>(`/contract/agreements/${enc(a.id)}/status`);
      rows.push([
        agreementLink(a.id),
        a.parties.map((p) => `${p.participant} (${p.role})`).join(", "),
        t(`agreementState.${status.state}` as MessageKey),
        status.missing.join(", ") || "—",
        formatDate(a.notAfter),
      ]);
    }
    return h(
      "section",
      {},
      h("h1", {}, t("agreements.title")),
      table(
        t("agreements.title"),
        [
          t("agreements.id"),
          t("agreements.parties"),
          t("agreements.state"),
          t("agreements.missing"),
          t("agreements.until"),
        ],
        rows,
      ),
    );
  },
};

export const agreementPage: Page = {
  path: "agreement",
  title: "agreement.title",
  hidden: true,
  async render(ctx) {
    const id = ctx.arg ?? "";
    const a = await call<AgreementFull>(`/contract/agreements/${enc(id)}`);
    const s = session();
    const me = s?.kind === "participant" ? s.id : "";
    const verifyOut = h("div", { role: "status" });
    const signOut = h("div", { role: "status" });
    const keyFile = h("input", { type: "file", accept: ".json,application/json" });
    const mustSign = a.status.missing.includes(me);
    const sign = async (event: Event) => {
      event.preventDefault();
      try {
        const file = keyFile.files?.[0];
        if (!file) throw new Error(t("agreement.noKey"));
        const jwk = JSON.parse(await file.text()) as JWK & { kid?: string };
        if (!jwk.d || !jwk.kid) throw new Error(t("agreement.badKey"));
        // The exact bytes the parties sign: read as text, never re-serialized.
        const text = await (await blob(`/contract/agreements/${enc(id)}/canonical`)).text();
        const signed = await new FlattenedSign(new TextEncoder().encode(text))
          .setProtectedHeader({
            alg: "EdDSA",
            kid: jwk.kid,
            typ: AGREEMENT_JWS_TYP,
            b64: false,
            crit: ["b64"],
          })
          .sign(await importJWK(jwk, "EdDSA"));
        await call(`/contract/agreements/${enc(id)}/signatures`, {
          method: "POST",
          body: { jws: `${signed.protected}..${signed.signature}` },
        });
        ctx.rerender();
      } catch (err) {
        signOut.textContent = t("common.failed", { message: (err as Error).message });
      }
    };
    const words = plainWords(a.document.policy);
    return h(
      "article",
      {},
      h("h1", {}, t("agreement.title"), " ", h("code", {}, local(a.id))),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("agreements.state")),
        h("dd", {}, `${a.status.state} — ${a.status.reason}`),
        h("dt", {}, t("agreements.parties")),
        h("dd", {}, a.parties.map((p) => `${p.participant} (${p.role})`).join(", ")),
        h("dt", {}, t("agreement.signedBy")),
        h("dd", {}, a.status.signedBy.join(", ") || "—"),
        h("dt", {}, t("agreements.missing")),
        h("dd", {}, a.status.missing.join(", ") || "—"),
        h("dt", {}, t("agreement.validity")),
        h("dd", {}, `${formatDate(a.notBefore)} → ${formatDate(a.notAfter)}`),
        h("dt", {}, t("agreement.profile")),
        h("dd", {}, a.deidentificationProfile ?? "—"),
        h("dt", {}, t("agreement.digest")),
        h("dd", {}, h("code", {}, a.digest)),
      ),
      h(
        "div",
        { class: "side-by-side" },
        h(
          "section",
          { "aria-labelledby": "plain" },
          h("h2", { id: "plain" }, t("agreement.plain")),
          words.length > 0
            ? h(
                "ul",
                {},
                words.map((w) => h("li", {}, w)),
              )
            : h("p", {}, t("common.none")),
        ),
        h(
          "section",
          { "aria-labelledby": "odrl" },
          h("h2", { id: "odrl" }, t("agreement.odrl")),
          h("pre", { tabindex: "0", class: "code" }, JSON.stringify(a.document.policy, null, 2)),
        ),
      ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              const v = await call<{ ok: boolean; events: number; failure?: { reason: string } }>(
                `/contract/agreements/${enc(id)}/verify`,
              );
              verifyOut.textContent = v.ok
                ? t("agreement.verified", { events: v.events })
                : t("agreement.notVerified", { reason: v.failure?.reason ?? "" });
            },
          },
          t("agreement.verify"),
        ),
      ),
      verifyOut,
      mustSign &&
        h(
          "form",
          { onsubmit: sign, class: "sign" },
          h("h2", {}, t("agreement.sign")),
          field(t("agreement.keyFile"), keyFile, t("agreement.keyHint")),
          h("button", { type: "submit" }, t("agreement.sign")),
          signOut,
        ),
      jsonBlock(t("agreement.events"), await call(`/contract/agreements/${enc(id)}/events`)),
    );
  },
};
