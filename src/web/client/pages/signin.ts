/// <reference lib="dom" />
/**
 * Sign-in: a participant (operator, provider, consumer) with its credential's key and secret, checked
 * against GET /contract/me, which says which participant and role the credential is; a learner or a
 * guardian with the portal link their provider gave them.
 */
import { call, type Role, type Session, saveSession } from "../api.js";
import { field, h, uid } from "../dom.js";
import { t } from "../i18n.js";
import type { Page } from "./types.js";

interface Me {
  participant: { id: string; role: Role; title?: string };
}

/** A portal link pasted whole: the token alone, or the address that carries it. */
export function linkFrom(text: string): string {
  const s = text.trim();
  try {
    const u = new URL(s);
    return u.searchParams.get("portal") ?? decodeURIComponent(u.hash.replace(/^#/, ""));
  } catch {
    return s;
  }
}

export const signInPage: Page = {
  path: "signin",
  title: "signin.title",
  async render(ctx) {
    const error = h("p", { class: "error", role: "alert" });
    const roleName = uid("role");
    const roles = ["operator", "provider", "consumer", "learner"] as const;
    const radios = roles.map((r, i) =>
      h("input", { type: "radio", name: roleName, value: r, id: `${roleName}-${r}`, checked: i === 1 }),
    );
    const key = h("input", { type: "text", name: "key", autocomplete: "username", required: true });
    const secret = h("input", {
      type: "password",
      name: "secret",
      autocomplete: "current-password",
      required: true,
    });
    const link = h("textarea", { name: "link", rows: 3, required: true });
    const participantFields = h(
      "div",
      {},
      field(t("signin.key"), key),
      field(t("signin.secret"), secret, t("signin.secretHint")),
    );
    const learnerFields = h("div", { hidden: true }, field(t("signin.link"), link, t("signin.linkHint")));
    const chosen = () => radios.find((r) => r.checked)?.value ?? "provider";
    const sync = () => {
      const learner = chosen() === "learner";
      participantFields.hidden = learner;
      learnerFields.hidden = !learner;
      key.required = secret.required = !learner;
      link.required = learner;
    };
    for (const r of radios) r.addEventListener("change", sync);
    sync();

    const submit = async (event: Event) => {
      event.preventDefault();
      error.textContent = "";
      if (chosen() === "learner") {
        const token = linkFrom(link.value);
        if (!token) {
          error.textContent = t("signin.noLink");
          return;
        }
        saveSession({ kind: "portal", link: token });
        location.hash = "#/portal";
        ctx.rerender();
        return;
      }
      const probe: Session = {
        kind: "participant",
        key: key.value.trim(),
        secret: secret.value,
        id: "",
        role: "provider",
      };
      try {
        const me = await call<Me>("/contract/me", { as: probe });
        const s: Session = {
          ...probe,
          id: me.participant.id,
          role: me.participant.role,
          ...(me.participant.title && { title: me.participant.title }),
        };
        saveSession(s);
        location.hash = "";
        ctx.rerender();
      } catch (err) {
        error.textContent = t("signin.refused", { message: (err as Error).message });
        key.focus();
      }
    };

    return h(
      "section",
      { class: "signin" },
      h("h1", {}, t("signin.title")),
      h("p", {}, t("signin.intro")),
      h(
        "form",
        { onsubmit: submit, novalidate: false },
        h(
          "fieldset",
          {},
          h("legend", {}, t("signin.role")),
          roles.map((r, i) =>
            h("div", { class: "radio" }, radios[i], h("label", { for: `${roleName}-${r}` }, t(`role.${r}`))),
          ),
        ),
        participantFields,
        learnerFields,
        error,
        h("button", { type: "submit" }, t("signin.submit")),
      ),
      h("p", { class: "hint" }, t("signin.roleNote")),
    );
  },
};
