/**
 * The demo workspace `npm start` and `npm run start:desktop` open: ${XDG_CACHE_HOME:-~/.cache}/audit-lens/demo-workspace.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, repoRoot } from './code-server';

/**
 * Recorded fixtures that make a readable demo: an rmtree, renames over files, refused attempts. Cases whose
 * temporary trees reused each other's inodes (their removal by the recorder was not audited) are not joined: the
 * path index would rebuild later paths from the earlier tree's folders.
 */
const DEMO_CASES = ['python-rmtree', 'rename-over', 'fail-eacces', 'fail-eperm'];

/**
 * Writes one audit.log made of recorded fixtures (the demo's by default), in recording order. The slices are
 * verbatim but for their serials, renumbered to run on without gaps: joined slices would otherwise read as lost events.
 */
export function writeDemoLog(file: string, caseNames: readonly string[] = DEMO_CASES): void {
  const recorded = path.join(repoRoot, 'test', 'fixtures', 'recorded');
  const cases = caseNames.map((c) => path.join(recorded, c)).filter((d) => existsSync(path.join(d, 'audit.log')));
  if (cases.length === 0) throw new Error(`no recorded fixtures in ${recorded}`);
  const ordered = cases
    .map((d) => ({ d, at: (JSON.parse(readFileSync(path.join(d, 'truth.json'), 'utf8')) as { recordedAt: string }).recordedAt }))
    .sort((a, b) => a.at.localeCompare(b.at));
  mkdirSync(path.dirname(file), { recursive: true });
  const text = Buffer.concat(ordered.map(({ d }) => readFileSync(path.join(d, 'audit.log')))).toString('latin1');
  const renumbered = new Map<string, number>();
  let next = 1000;
  const out = text.replace(/msg=audit\((\d+\.\d+):(\d+)\)/g, (_m, time: string, serial: string) => {
    const key = `${time}:${serial}`;
    let n = renumbered.get(key);
    if (n === undefined) renumbered.set(key, (n = next++));
    return `msg=audit(${time}:${n})`;
  });
  writeFileSync(file, Buffer.from(out, 'latin1'));
}

/** Where the demo workspace lives. */
export function demoWorkspace(): string {
  return path.join(cacheRoot(), 'demo-workspace');
}

/**
 * Creates the demo workspace once: an audit.log made of recorded fixtures (in recording order, so serials rise),
 * analysed as the workspace opens, a folder to watch, and a README saying what to try. Existing files are left
 * alone: they may be the user's now.
 */
export function ensureDemoWorkspace(dir = demoWorkspace()): string {
  mkdirSync(path.join(dir, 'watched'), { recursive: true });
  const log = path.join(dir, 'audit.log');
  if (!existsSync(log)) writeDemoLog(log);
  const readme = path.join(dir, 'README.md');
  if (!existsSync(readme)) {
    writeFileSync(
      readme,
      [
        '# Audit Lens demo',
        '',
        '- `audit.log` holds real deletions, renames and refused attempts recorded from auditd. The **Audit Events**',
        '  view (Audit Lens, in the activity bar) shows them as this workspace opens (`.vscode/settings.json`:',
        '  `auditLens.events.analyzeOnOpen`). Hover a row for the facts; click it to see its records in the log.',
        '- `watched/` is a folder to try **Watch Deletions** on: right-click it in the Explorer, choose **Watch',
        '  Deletions** (type your password in the terminal when not root), then delete or move something inside it',
        '  from a terminal. Each deletion appears in Audit Events within a second; **Stop Watching** removes the rules.',
        '- **Who Deleted…?** (a folder\'s context menu) searches the existing logs in `/var/log/audit` instead.',
        '- **Audit Lens: Show auditd Status** (command palette) shows whether auditd is running here.',
        '',
      ].join('\n'),
    );
  }
  const settings = path.join(dir, '.vscode', 'settings.json');
  if (!existsSync(settings)) {
    mkdirSync(path.dirname(settings), { recursive: true });
    writeFileSync(settings, `${JSON.stringify({ 'auditLens.events.analyzeOnOpen': ['audit.log'] }, null, 2)}\n`);
  }
  if (readdirSync(path.join(dir, 'watched')).length === 0) {
    writeFileSync(path.join(dir, 'watched', 'delete-me.txt'), 'Delete this file while a rule watches the folder.\n');
  }
  return dir;
}
