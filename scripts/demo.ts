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
 * a folder to watch, and a README saying what to try. Existing files are left alone: they may be the user's now.
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
        '- `audit.log` holds real deletions, renames and refused attempts recorded from auditd.',
        '  Right-click it in the Explorer and choose **Analyze Audit Log…**, or open the Audit Lens view in the',
        '  activity bar. Hover a row for the raw facts; click it to see its record in the log.',
        '- **Audit Lens: Show auditd Status** (command palette) shows whether auditd is running here.',
        '- `watched/` is a folder to experiment with: `auditctl -w "$PWD/watched" -p wa -k demo`, delete something in',
        '  it, then analyze `/var/log/audit/audit.log`.',
        '',
      ].join('\n'),
    );
  }
  if (readdirSync(path.join(dir, 'watched')).length === 0) {
    writeFileSync(path.join(dir, 'watched', 'delete-me.txt'), 'Delete this file while a rule watches the folder.\n');
  }
  return dir;
}
