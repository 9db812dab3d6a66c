/**
 * Helpers for the Audit Lens viewer in the workbench: big replayed logs, and the viewer's webview (an iframe inside
 * an iframe) as Playwright sees it.
 */
import { existsSync, statSync } from 'node:fs';
import type { Frame, Page } from 'playwright-core';
import { defaultSeeds, generate, loadSeed, type LogPart } from '../../../scripts/bench';
import { poll } from './workbench';

/** The key a share of a replayed log's deletions carries (searched for by the viewer's tests and bench). */
export const REPLAY_KEY = 'bench_k';

/**
 * Writes a log of at least `bytes` by replaying the recorded fixtures with fresh serials and times
 * (scripts/bench.ts's generator: real records, only headers and keys rewritten; 5 % of events carry REPLAY_KEY).
 */
export async function replayLog(file: string, bytes: number): Promise<LogPart> {
  if (existsSync(file) && statSync(file).size >= bytes) return { file, bytes: statSync(file).size, events: -1, keyEvents: {}, interesting: -1 };
  const seed = await loadSeed(defaultSeeds());
  return generate(seed, { name: 'viewer', dense: false, sizeBytes: bytes, keys: [{ key: REPLAY_KEY, share: 0.05 }], quarter: false }, file, null).full;
}

/**
 * The visible Audit Lens viewer's document: VS Code puts each webview in an iframe that hosts another (a frame
 * locator chained through the `:visible` one finds nothing, so the frames are taken from the element).
 */
export async function viewerFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
  const outer = await page.locator('iframe.webview.ready:visible').first().elementHandle({ timeout: timeoutMs });
  const frame = await outer?.contentFrame();
  const inner = frame?.childFrames()[0];
  if (!inner) throw new Error('no visible webview');
  return inner;
}

/** One rendered row of the viewer. */
export interface ViewerRow {
  offset: number | null;
  gutter: string;
  text: string;
  classes: string[];
  /** Token classes (tk-…) in order, with their text. */
  tokens: [string, string][];
}

/** The rows the viewer shows now, top to bottom. */
export async function viewerRows(page: Page, timeoutMs?: number): Promise<ViewerRow[]> {
  return (await viewerFrame(page, timeoutMs))
    .locator('.rows .row')
    .evaluateAll((els) =>
      els.map((el) => {
        // The page's DOM types are not in this (Node) project: a minimal shape of what is read.
        interface Node {
          dataset: Record<string, string | undefined>;
          classList: Iterable<string>;
          textContent: string | null;
          querySelector(s: string): Node | null;
          querySelectorAll(s: string): Iterable<Node>;
        }
        const e = el as unknown as Node;
        const tokens: [string, string][] = [];
        for (const s of Array.from(e.querySelectorAll('.text span'))) {
          const cls = Array.from(s.classList).find((c) => c.startsWith('tk-'));
          if (cls) tokens.push([cls, s.textContent ?? '']);
        }
        return {
          offset: e.dataset.offset === undefined ? null : Number(e.dataset.offset),
          gutter: e.querySelector('.gutter')?.textContent ?? '',
          text: e.querySelector('.text')?.textContent ?? '',
          classes: Array.from(e.classList),
          tokens,
        };
      }),
    );
}

/** Waits until the viewer shows rows that satisfy `ok`; returns them (throws with what it shows on timeout). */
export async function waitForRows(page: Page, ok: (rows: ViewerRow[]) => boolean, timeoutMs = 30_000): Promise<ViewerRow[]> {
  let last: ViewerRow[] = [];
  const good = await poll(async () => {
    last = await viewerRows(page).catch(() => []);
    return last.length > 0 && ok(last);
  }, timeoutMs, 50);
  if (!good) throw new Error(`the viewer never showed the expected rows; it shows:\n${last.slice(0, 5).map((r) => r.text.slice(0, 160)).join('\n')}`);
  return last;
}
