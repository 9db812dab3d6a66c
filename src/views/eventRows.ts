/**
 * How one AuditEvent reads in the Audit Events tree: its kind (icon), label (the file name), description
 * (`deleted by rm (1234) · root · 2 min ago`) and the facts of its tooltip.
 * Pure (no `vscode` import) so the rules are testable in plain Node and measured by the bench.
 */
import type { AuditEvent, AuditObject } from '../core/types';
import { markdownText, shown } from './escape';
import { l10n } from './l10n';

/** What happened, as the row's icon and the action filter tell it. Failures win: the file is still there. */
export type RowKind = 'deleted' | 'folderDeleted' | 'renamed' | 'replaced' | 'failed' | 'watchRemoved' | 'other';

/** Every kind, in the order filters and the timeline list them. */
export const ROW_KINDS: readonly RowKind[] = ['deleted', 'folderDeleted', 'renamed', 'replaced', 'failed', 'watchRemoved', 'other'];

/** What a row shows; the tree turns it into a TreeItem. */
export interface EventRow {
  kind: RowKind;
  /** The file name (last path component), escaped. */
  label: string;
  /** `deleted by rm (1234) · root · 2 min ago`, escaped. */
  description: string;
  /** The object the label names, if any. */
  primary: AuditObject | null;
}

/** Roles that name the thing a deletion-like event is about, most telling first. */
const PRIMARY_ROLES: AuditObject['role'][] = ['deleted', 'source', 'replaced', 'destination', 'modified', 'created', 'other'];

/** The row's kind: failures first, then a removed watch, a folder, a rename that destroyed a file, a plain rename. */
export function rowKind(ev: AuditEvent): RowKind {
  if (ev.success === false) return 'failed';
  if (ev.watchRemoved) return 'watchRemoved';
  if (ev.action === 'deleted') return ev.objects.some((o) => o.role === 'deleted' && o.type === 'dir') ? 'folderDeleted' : 'deleted';
  if (ev.action === 'renamed') return ev.objects.some((o) => o.role === 'replaced') ? 'replaced' : 'renamed';
  return 'other';
}

/** The object the row is about: the destroyed file of a rename over it, else the deleted one, else a rename's source. */
export function primaryObject(ev: AuditEvent, kind: RowKind = rowKind(ev)): AuditObject | null {
  if (kind === 'replaced') {
    const r = ev.objects.find((o) => o.role === 'replaced' && o.path);
    if (r) return r;
  }
  for (const role of PRIMARY_ROLES) {
    const o = ev.objects.find((x) => x.role === role && x.path);
    if (o) return o;
  }
  return ev.objects.find((x) => x.path) ?? null;
}

/** Splits an absolute path into its folder and last component (`/` has no name; the folder of `/a` is `/`). */
export function splitPath(p: string): { folder: string; name: string } {
  const trimmed = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return { folder: '', name: trimmed };
  return { folder: i === 0 ? '/' : trimmed.slice(0, i), name: trimmed.slice(i + 1) };
}

/** Short program name: the exe's basename, else comm, else `?`. */
export function programName(ev: AuditEvent): string {
  const exe = ev.process.exe;
  if (exe) return exe.slice(exe.lastIndexOf('/') + 1) || exe;
  return ev.process.comm ?? '?';
}

/** `rm (1234)`: the program and its pid. */
export function processLabel(ev: AuditEvent): string {
  const pid = ev.process.pid;
  return pid === null ? programName(ev) : `${programName(ev)} (${pid})`;
}

/** Who: the uid's name, and the login user when someone else logged in (`alice as root`). */
export function userName(ev: AuditEvent): string {
  const p = ev.process;
  const user = p.user ?? (p.uid !== null ? `uid ${p.uid}` : '?');
  const login = p.loginUser ?? (p.auid !== null ? `auid ${p.auid}` : null);
  return login && login !== user ? l10n.t('{0} as {1}', login, user) : user;
}

/** Local wall-clock time `YYYY-MM-DD HH:MM:SS`: what people compare with their memory of "when". */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "just now", "5 min ago", "3 h ago" within a day, the local time after that. The tree re-renders relative times
 * on a slow timer only, so the coarse steps are what stays true between renders.
 */
export function relativeTime(ms: number, now: number): string {
  const age = now - ms;
  if (age < -MINUTE || age >= DAY) return localTime(ms);
  if (age < MINUTE) return l10n.t('just now');
  if (age < HOUR) return l10n.t('{0} min ago', Math.floor(age / MINUTE));
  return l10n.t('{0} h ago', Math.floor(age / HOUR));
}

/** Whether an event's relative time still changes (younger than a day): only then does a slow timer re-render. */
export function isRecent(ms: number, now: number): boolean {
  return now - ms < DAY;
}

/** How a destination is named beside its source: the bare name in the same folder, else the whole path. */
function otherName(from: string | null, to: string | null): string {
  if (!to) return '?';
  if (!from) return shown(to);
  const a = splitPath(from);
  const b = splitPath(to);
  return shown(a.folder === b.folder ? b.name : to);
}

/** The action phrase that opens a description: `deleted by rm (1234)`, `renamed to b.txt by mv (88)`. */
export function actionPhrase(ev: AuditEvent, kind: RowKind, primary: AuditObject | null): string {
  const who = shown(processLabel(ev));
  const path = primary?.path ?? null;
  switch (kind) {
    case 'deleted':
      return l10n.t('deleted by {0}', who);
    case 'folderDeleted':
      return l10n.t('folder deleted by {0}', who);
    case 'renamed': {
      const dest = ev.objects.find((o) => o.role === 'destination')?.path ?? null;
      return l10n.t('renamed to {0} by {1}', otherName(path, dest), who);
    }
    case 'replaced': {
      const src = ev.objects.find((o) => o.role === 'source')?.path ?? null;
      return l10n.t('replaced by {0} with {1}', who, otherName(path, src));
    }
    case 'failed': {
      const why = ev.errno ?? (ev.exit !== null ? String(ev.exit) : '?');
      return ev.action === 'renamed' ? l10n.t('failed rename ({0}) by {1}', why, who) : l10n.t('failed deletion ({0}) by {1}', why, who);
    }
    case 'watchRemoved':
      return l10n.t('watch removed by {0}', who);
    default:
      return l10n.t('{0} by {1}', ev.action, who);
  }
}

/**
 * Builds the row for an event. `withFolder` adds the folder to the description (groupings where the tree does not
 * show it); `now` is the clock relative times are measured against.
 */
export function eventRow(ev: AuditEvent, now: number, withFolder = false): EventRow {
  const kind = rowKind(ev);
  const primary = primaryObject(ev, kind);
  const parts = splitPath(primary?.path ?? '');
  // A newline or a bidi override in a file name must not break or reorder the row.
  const label = primary?.path ? shown(parts.name || primary.path) : l10n.t('(unknown path)');
  const desc: string[] = [];
  if (primary?.confidence === 'uncertain') desc.push(l10n.t('path uncertain'));
  desc.push(actionPhrase(ev, kind, primary), shown(userName(ev)), relativeTime(ev.timeMs, now));
  if (withFolder && parts.folder) desc.push(l10n.t('in {0}', shown(parts.folder)));
  return { kind, label, description: desc.join(' · '), primary };
}

/** The raw facts for a tooltip, as label/value pairs in reading order; values are raw log text (escape to show). */
export function eventFacts(ev: AuditEvent): [string, string][] {
  const p = ev.process;
  const facts: [string, string][] = [];
  const add = (k: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') facts.push([k, String(v)]);
  };
  for (const o of ev.objects) {
    const extra = [o.type, o.inode !== null ? `inode ${o.inode}` : null, o.dev ? `dev ${o.dev}` : null, o.confidence]
      .filter(Boolean)
      .join(', ');
    add(l10n.t('Object ({0})', o.role), `${o.path ?? l10n.t('(no name)')} [${extra}]${o.seenAs ? `, ${l10n.t('seen as {0}', o.seenAs)}` : ''}${o.note ? `: ${o.note}` : ''}`);
  }
  add(l10n.t('Time'), `${localTime(ev.timeMs)} (${ev.time})`);
  add(l10n.t('Result'), ev.success === null ? null : ev.success ? `success${ev.exit !== null ? `, exit ${ev.exit}` : ''}` : `failed: ${ev.errno ?? `exit ${ev.exit}`}`);
  add(l10n.t('Syscall'), [ev.syscall ?? (ev.uringOp ? `io_uring ${ev.uringOp}` : '?'), ev.arch ? `(${ev.arch})` : ''].join(' ').trim());
  add(l10n.t('Exe'), p.exe);
  add(l10n.t('Command'), p.argv ? p.argv.join(' ') : p.comm);
  add(l10n.t('Cwd'), p.cwd);
  add(l10n.t('Pid'), p.pid !== null ? `${p.pid}${p.ppid !== null ? ` (parent ${p.ppid})` : ''}` : null);
  if (p.parents?.length) add(l10n.t('Parents'), p.parents.map((a) => `${a.exe ?? a.comm ?? '?'} (${a.pid})`).join(' ← '));
  add(l10n.t('User'), p.uid !== null || p.user ? `${p.user ?? '?'} (uid ${p.uid ?? '?'})` : null);
  if (p.euid !== null && p.euid !== p.uid) add(l10n.t('Effective user'), `${p.euser ?? '?'} (euid ${p.euid})`);
  add(l10n.t('Login user'), p.auid !== null ? `${p.loginUser ?? '?'} (auid ${p.auid})` : l10n.t('unset'));
  add(l10n.t('Session'), p.ses);
  add(l10n.t('Tty'), p.tty);
  if (p.container) add(l10n.t('Container'), p.containerRuntime ? `${p.container} (${p.containerRuntime})` : p.container);
  add(l10n.t('Keys'), ev.keys.length ? ev.keys.join(', ') : null);
  add(l10n.t('Event'), `${ev.id}${ev.node ? ` (node ${ev.node})` : ''}`);
  add(l10n.t('Records'), ev.recordTypes.join(' '));
  add(l10n.t('Source'), ev.source.file === '-' ? l10n.t('standard input, line {0}', ev.source.line) : `${ev.source.file}:${ev.source.line}`);
  return facts;
}

/** The tooltip as Markdown: a heading line (what, how sure), then every fact; all log text goes through the escaper. */
export function eventTooltip(ev: AuditEvent, now: number): string {
  const row = eventRow(ev, now);
  const head = row.primary?.path
    ? `**${markdownText(row.primary.path)}** (${markdownText(confidenceWords(row.primary.confidence))})`
    : `**${markdownText(l10n.t('(unknown path)'))}**`;
  const lines = [`${head}  `, markdownText(row.description), ''];
  for (const [k, v] of eventFacts(ev)) lines.push(`**${markdownText(k)}:** ${markdownText(v)}  `);
  return lines.join('\n');
}

/** How sure the path is, in words. */
export function confidenceWords(c: AuditObject['confidence']): string {
  return c === 'exact' ? l10n.t('exact path') : c === 'rebuilt' ? l10n.t('path rebuilt from inodes') : l10n.t('path uncertain');
}

/** Quotes a word for a POSIX shell: plain words as is, else single quotes; control characters in `$'…'`. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (/[\x00-\x1f\x7f]/.test(word)) {
    return `$'${word.replace(/[\\'\x00-\x1f\x7f]/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `ausearch` command that prints an event's records from its log (`ausearch -if FILE -a SERIAL -i`). */
export function ausearchCommand(ev: AuditEvent): string {
  const args = ['ausearch'];
  if (ev.source.file !== '-') args.push('-if', shellQuote(ev.source.file));
  args.push('-a', String(ev.serial));
  if (ev.node) args.push('--node', shellQuote(ev.node));
  args.push('-i');
  return args.join(' ');
}
