/// <reference lib="dom" />
/**
 * The console's shell: the banner (name, language switch, sign-out), the role's navigation, and the
 * page in <main>. Routes are the hash (`#/catalog`, `#/job/<id>`); a learner's portal link arrives as
 * `?portal=<link>` (or `#<link>`) and is moved at once from the address bar into sessionStorage.
 */
import { type Session, saveSession, session } from "./api.js";
import { h, mount } from "./dom.js";
import { initLang, type Lang, lang, setLang, t } from "./i18n.js";
import type { MessageKey } from "./messages/en.js";
import { consumerPages } from "./pages/consumer.js";
import { operatorPages } from "./pages/operator.js";
import { portalPage } from "./pages/portal.js";
import { providerPages } from "./pages/provider.js";
import { signInPage } from "./pages/signin.js";
import type { Page } from "./pages/types.js";

function pagesOf(s: Session): Page[] {
  if (s.kind === "portal") return [portalPage];
  if (s.role === "consumer") return consumerPages;
  if (s.role === "provider") return providerPages;
  return operatorPages;
}

/** The page for a hash: `#/name/arg` → the page named `name`, with `arg`. */
function route(pages: Page[]): { page: Page; arg: string | undefined } {
  const [, name, ...rest] = location.hash.replace(/^#/, "").split("/");
  const page = pages.find((p) => p.path === name) ?? pages[0]!;
  return { page, arg: rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined };
}

let renders = 0;

async function render(): Promise<void> {
  const mine = ++renders;
  const s = session();
  const root = document.getElementById("app")!;
  const main = h("main", { id: "main", tabindex: "-1" });
  const langSwitch = h(
    "div",
    { class: "lang", role: "group", "aria-label": t("lang.label") },
    (["fr", "en"] as Lang[]).map((l) =>
      h(
        "button",
        {
          type: "button",
          lang: l,
          "aria-pressed": String(lang() === l),
          onclick: () => {
            setLang(l);
            void render();
          },
        },
        l === "fr" ? "Français" : "English",
      ),
    ),
  );
  const who =
    s?.kind === "participant"
      ? t("shell.signedInAs", { id: s.title ?? s.id, role: t(`role.${s.role}` as MessageKey) })
      : s?.kind === "portal"
        ? t("shell.portal")
        : undefined;
  const signOut =
    s &&
    h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: () => {
          saveSession(undefined);
          location.hash = "";
          void render();
        },
      },
      t("shell.signOut"),
    );
  const pages = s ? pagesOf(s) : [];
  const { page, arg } = s ? route(pages) : { page: signInPage, arg: undefined };
  const nav =
    s?.kind === "participant" &&
    h(
      "nav",
      { "aria-label": t("shell.nav") },
      h(
        "ul",
        {},
        pages
          .filter((p) => !p.hidden)
          .map((p) =>
            h(
              "li",
              {},
              h(
                "a",
                {
                  href: `#/${p.path}`,
                  ...((p === page || p.aliases?.includes(page.path)) && { "aria-current": "page" }),
                },
                t(p.title),
              ),
            ),
          ),
      ),
    );
  mount(
    root,
    h("a", { href: "#main", class: "skip", onclick: skipToMain }, t("shell.skip")),
    h(
      "header",
      { class: "banner" },
      h("p", { class: "brand" }, "Learnpool"),
      who && h("p", { class: "who" }, who),
      langSwitch,
      signOut,
    ),
    nav,
    main,
    h("footer", {}, h("p", {}, t("shell.footer"))),
  );
  document.title = `${t(page.title)} — Learnpool`;
  mount(main, h("p", { role: "status" }, t("common.loading")));
  try {
    const content = await page.render({ arg, rerender: () => void render() });
    if (mine !== renders) return;
    mount(main, content);
  } catch (err) {
    if (mine !== renders) return;
    mount(
      main,
      h("h1", {}, t(page.title)),
      h("p", { role: "alert", class: "error" }, t("common.failed", { message: (err as Error).message })),
    );
  }
  // Screen readers and keyboards land on the new page's heading, not at the top of the document.
  const heading = main.querySelector("h1");
  if (heading && document.activeElement?.closest("main, nav") !== null) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function skipToMain(event: Event): void {
  event.preventDefault();
  document.getElementById("main")?.focus();
}

function start(): void {
  initLang();
  const params = new URLSearchParams(location.search);
  // `?portal=<link>`, or `#<link>` as the consent routes write links when LEARNPOOL_CONSENT_PORTAL_URL
  // names this console (a compact JWS: three base64url parts; a route starts with "/").
  const hashed = /^#([\w-]+\.[\w-]+\.[\w-]+)$/.exec(location.hash)?.[1];
  const link = params.get("portal") ?? hashed;
  if (link) {
    saveSession({ kind: "portal", link });
    // The link stands for the learner's login: keep it out of the address bar and the history.
    history.replaceState(null, "", `${location.pathname}#/portal`);
  }
  window.addEventListener("hashchange", () => void render());
  void render();
}

start();
