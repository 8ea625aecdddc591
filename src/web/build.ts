/**
 * Builds the console into dist/console/: the TypeScript client bundled and minified by esbuild (no
 * network, no CDN), the page and the style sheet copied. Run by `npm run build` and the `prepare`
 * script; tests call `buildConsole` on a folder of their own.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { consoleAssetsDir } from "./index.js";

/** The client's sources sit beside this file's TypeScript source (src/web/client), in src or dist. */
function clientDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // From dist/src/web the sources are at ../../../src/web/client.
  return here.includes(`${join("dist", "src", "web")}`)
    ? join(here, "..", "..", "..", "src", "web", "client")
    : join(here, "client");
}

export async function buildConsole(outDir = consoleAssetsDir()): Promise<string> {
  // esbuild is a build tool (a devDependency): loaded only when a build runs.
  const esbuild = await import("esbuild");
  const src = clientDir();
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [join(src, "main.ts")],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome110", "firefox110", "safari16"],
    outfile: join(outDir, "console.js"),
    logLevel: "warning",
    legalComments: "none",
  });
  copyFileSync(join(src, "index.html"), join(outDir, "index.html"));
  copyFileSync(join(src, "console.css"), join(outDir, "console.css"));
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = await buildConsole();
  console.log(`web console built in ${dir}`);
}
