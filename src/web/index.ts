/**
 * The web console (module `web`): a static single-page application served under `/console/` by the
 * same server as the API, and the helpers that print its addresses. It owns no data and no rules: the
 * browser signs in with a participant's LRS credential (HTTP Basic) or a learner's signed portal link
 * (Bearer) and calls the existing JSON API, so what a role sees is what the API lets it see.
 * The bundle is built offline by esbuild (`npm run build`, build.ts) into dist/console/.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

export const CONSOLE_BASE = "/console";

/** The files the console is made of, and their media types (nothing else is served from the folder). */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  "index.html": "text/html; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
};

/** The package's root: the nearest folder above this file that holds package.json (src/ or dist/src/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("web console: no package.json above the module");
    dir = up;
  }
  return dir;
}

/** Where `npm run build` writes the console. */
export function consoleAssetsDir(): string {
  return join(packageRoot(), "dist", "console");
}

export interface ConsoleOptions {
  /** The folder holding the built files (default: dist/console of the package). */
  assetsDir?: string;
}

/**
 * Serves the console's static files. They need no authentication (they hold no data); every call
 * they make to the API authenticates. They are answered from an onRequest hook rather than routes:
 * they are pages, not operations of the API, and stay out of the route table the OpenAPI document
 * describes (as /docs does). A file missing at startup is looked for again at each request, so a
 * server started before `npm run build` serves the console once it is built.
 */
export function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}): void {
  const dir = options.assetsDir ?? consoleAssetsDir();
  const cache = new Map<string, Buffer>();
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] as string;
    if (path !== CONSOLE_BASE && !path.startsWith(`${CONSOLE_BASE}/`)) return;
    if (request.method !== "GET" && request.method !== "HEAD")
      return reply
        .code(405)
        .header("allow", "GET, HEAD")
        .send({ error: { status: 405, message: "the console's files are read with GET" } });
    if (path === CONSOLE_BASE) return reply.redirect(`${CONSOLE_BASE}/`);
    const name = path === `${CONSOLE_BASE}/` ? "index.html" : path.slice(CONSOLE_BASE.length + 1);
    const type = Object.hasOwn(CONSOLE_FILES, name) ? CONSOLE_FILES[name] : undefined;
    if (!type) return reply.code(404).send({ error: { status: 404, message: `no console file ${name}` } });
    let bytes = cache.get(name);
    if (!bytes) {
      const file = join(dir, name);
      if (!existsSync(file))
        return reply
          .code(503)
          .type("text/plain; charset=utf-8")
          .send(`the web console is not built (${name} missing in ${dir}): run npm run build`);
      bytes = readFileSync(file);
      cache.set(name, bytes);
    }
    return (
      reply
        .type(type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        // The console talks to its own origin only and loads nothing from elsewhere.
        .header(
          "content-security-policy",
          "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        .header("referrer-policy", "no-referrer")
        .send(bytes)
    );
  });
}

const trimmed = (base: string) => base.replace(/\/+$/, "");

/** The console's address on a server whose public URL is `base` (e.g. `http://127.0.0.1:8080`). */
export function consoleUrl(base: string): string {
  return `${trimmed(base)}${CONSOLE_BASE}/`;
}

/**
 * The learner portal's address for a signed portal link. The link goes in the query string, which
 * the server's request logs never keep (they log the path only).
 */
export function portalUrl(base: string, link: string): string {
  return `${consoleUrl(base)}?portal=${encodeURIComponent(link.trim())}`;
}
