/// <reference lib="dom" />
import type { MessageKey } from "../messages/en.js";

export interface PageContext {
  /** What follows the page's name in the hash (an id). */
  arg: string | undefined;
  /** Draws the current page again (after a change). */
  rerender: () => void;
}

export interface Page {
  path: string;
  title: MessageKey;
  /** Reached from another page, not listed in the navigation. */
  hidden?: boolean;
  /** Paths of detail pages whose navigation entry is this one. */
  aliases?: string[];
  render(ctx: PageContext): Promise<Node>;
}
