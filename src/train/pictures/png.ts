import { createRequire } from "node:module";
import type * as ResvgModule from "@resvg/resvg-js";
import { TrainError } from "../errors.js";

/**
 * PNG from one of our SVGs with resvg (Rust, prebuilt per platform as npm optional packages: no
 * download at install, no browser). Text uses the system's fonts (DejaVu Sans on Debian). The native
 * module is loaded at the first PNG, not when `train` is imported.
 */
let resvg: typeof ResvgModule | undefined;

export function svgToPng(svg: string, width = 1280): Uint8Array {
  if (!(Number.isInteger(width) && width >= 16 && width <= 8192))
    throw new TrainError("png.width: an integer in 16..8192");
  resvg ??= createRequire(import.meta.url)("@resvg/resvg-js") as typeof ResvgModule;
  const image = new resvg.Resvg(svg, {
    fitTo: { mode: "width", value: width },
    background: "#ffffff",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  }).render();
  return new Uint8Array(image.asPng());
}
