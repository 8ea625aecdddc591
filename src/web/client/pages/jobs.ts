/// <reference lib="dom" />
/**
 * Training jobs: the list, and one job with its state, the release gate's verdict, and the pictures
 * it released (ROC, calibration, early-detection curve, fairness gaps, cold-start gain), fetched with
 * the consumer's credential. A provider party sees the job without its artefacts, as the API says.
 */
import { blob, call, enc, session } from "../api.js";
import { download, field, h } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { agreementLink } from "./agreements.js";
import { authImage, jsonBlock, local, table } from "./common.js";
import type { Page } from "./types.js";

interface Job {
  id: string;
  agreement: string;
  version: string;
  state: string;
  reason: string | null;
  submittedAt: string;
  finishedAt: string | null;
  progress: { stage: string | null; fraction: number };
}
interface JobDetail extends Job {
  spec: Record<string, unknown>;
  artefacts?: Array<{
    name: string;
    kind: string;
    mediaType: string;
    released: boolean;
    reason: string | null;
    sha256: string;
  }>;
  release: { outcome: string; decision: { decision: string; reason: string } | null } | null;
}

const jobLink = (id: string) => h("a", { href: `#/job/${enc(id)}` }, local(id));

export const jobsPage: Page = {
  path: "jobs",
  title: "jobs.title",
  aliases: ["job"],
  async render() {
    const { jobs } = await call<{ jobs: Job[] }>("/train/jobs");
    const s = session();
    const consumer = s?.kind === "participant" && s.role === "consumer";
    return h(
      "section",
      {},
      h("h1", {}, t("jobs.title")),
      table(
        t("jobs.title"),
        [t("jobs.id"), t("jobs.state"), t("jobs.agreement"), t("jobs.submitted"), t("jobs.finished")],
        jobs.map((j) => [
          jobLink(j.id),
          j.state,
          agreementLink(j.agreement),
          formatDate(j.submittedAt),
          formatDate(j.finishedAt),
        ]),
      ),
      consumer && (await submitForm()),
    );
  },
};

/** The consumer submits a job spec (YAML): the server admits it under the agreement or says why not. */
async function submitForm(): Promise<HTMLElement> {
  const { versions } = await call<{ versions: Array<{ id: string; state: string }> }>(
    "/datasets/versions?state=current",
  );
  const spec = h("textarea", { rows: 8, class: "code", spellcheck: "false" });
  spec.value = `version: ${versions[0]?.id ?? "urn:uuid:…"}\nlabel: dropout\nmodel: {kind: logistic}\n`;
  const out = h("p", { role: "alert", class: "error" });
  const submit = async (event: Event) => {
    event.preventDefault();
    out.textContent = "";
    try {
      const answer = await call<{ job: { id: string } }>("/train/jobs", { method: "POST", text: spec.value });
      location.hash = `#/job/${enc(answer.job.id)}`;
    } catch (err) {
      out.textContent = t("common.failed", { message: (err as Error).message });
    }
  };
  return h(
    "form",
    { onsubmit: submit },
    h("h2", {}, t("jobs.submit")),
    field(t("jobs.spec"), spec, t("jobs.specHint")),
    out,
    h("button", { type: "submit" }, t("jobs.submit")),
  );
}

/** The picture's name as the reader knows it: roc, calibration, early-detection, fairness, cold-start. */
function pictureTitle(name: string): string {
  const base = name.replace(/^.*\//, "").replace(/\.(svg|png)$/, "");
  for (const [k, key] of [
    ["roc", "jobs.pic.roc"],
    ["calibration", "jobs.pic.calibration"],
    ["early", "jobs.pic.early"],
    ["fairness", "jobs.pic.fairness"],
    ["cold", "jobs.pic.coldStart"],
    ["pr", "jobs.pic.pr"],
  ] as const)
    if (base.startsWith(k)) return t(key);
  return base;
}

export const jobPage: Page = {
  path: "job",
  title: "job.title",
  hidden: true,
  async render(ctx) {
    const id = ctx.arg ?? "";
    const job = await call<JobDetail>(`/train/jobs/${enc(id)}`);
    // A job still queued or running is looked at again shortly, while its page is the one shown.
    if (job.state === "queued" || job.state === "running") {
      const here = location.hash;
      setTimeout(() => {
        if (location.hash === here) ctx.rerender();
      }, 1000);
    }
    const artefacts = job.artefacts ?? [];
    // One picture per figure: the SVG when released, else its PNG.
    const pictures = new Map<string, string>();
    for (const a of artefacts.filter((a) => a.kind === "picture" && a.released)) {
      const base = a.name.replace(/\.(svg|png)$/, "");
      if (!pictures.has(base) || a.name.endsWith(".svg")) pictures.set(base, a.name);
    }
    return h(
      "article",
      {},
      h("h1", {}, t("job.title"), " ", h("code", {}, local(job.id))),
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, t("jobs.state")),
        h(
          "dd",
          {},
          h("span", { class: `state state-${job.state}`, role: "status" }, job.state),
          job.reason ? ` — ${job.reason}` : "",
          job.state === "running" && job.progress.stage
            ? ` (${job.progress.stage}, ${Math.round(job.progress.fraction * 100)} %)`
            : "",
        ),
        h("dt", {}, t("jobs.agreement")),
        h("dd", {}, agreementLink(job.agreement)),
        h("dt", {}, t("job.version")),
        h("dd", {}, h("a", { href: `#/dataset/${enc(job.version)}` }, local(job.version))),
        h("dt", {}, t("job.release")),
        h(
          "dd",
          {},
          job.release
            ? `${job.release.outcome}${job.release.decision ? ` — ${job.release.decision.reason}` : ""}`
            : "—",
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "pictures" },
        h("h2", { id: "pictures" }, t("job.pictures")),
        pictures.size === 0
          ? h("p", {}, t("job.noPictures"))
          : h(
              "div",
              { class: "gallery" },
              [...pictures.values()].map((name) =>
                authImage(`/train/jobs/${enc(job.id)}/artifacts/${enc(name)}`, pictureTitle(name)),
              ),
            ),
      ),
      artefacts.length > 0 &&
        table(
          t("job.artefacts"),
          [t("job.artefact"), t("job.released"), "SHA-256"],
          artefacts.map((a) => [
            a.released
              ? h(
                  "a",
                  {
                    href: "#",
                    onclick: (e: Event) => {
                      e.preventDefault();
                      void fetchArtefact(job.id, a.name);
                    },
                  },
                  a.name,
                )
              : a.name,
            a.released ? t("common.yes") : `${t("common.no")} — ${a.reason ?? ""}`,
            h("code", {}, a.sha256.slice(0, 16)),
          ]),
        ),
      jsonBlock(t("job.spec"), job.spec),
    );
  },
};

async function fetchArtefact(job: string, name: string): Promise<void> {
  download(name.replace(/^.*\//, ""), await blob(`/train/jobs/${enc(job)}/artifacts/${enc(name)}`));
}
