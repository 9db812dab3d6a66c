/**
 * How one AuditEvent becomes one row of the Audit Events view: label, description, tooltip facts.
 * Pure (no `vscode` import) so the rules are testable in plain Node and the CLI could reuse them.
 */
import { visible } from '../core/display';
import type { AuditEvent, AuditObject } from '../core/types';

export type RowKind = 'deleted' | 'renamed' | 'failed' | 'watchRemoved' | 'other';

/** What a row shows; the tree turns it into a TreeItem. */
export interface EventRow {
  kind: RowKind;
  /** The deleted (or renamed, or attempted) path. */
  label: string;
  /** `exe · user · time`, prefixed with the failure or rename target when there is one. */
  description: string;
  /** The object the label names, if any. */
  primary: AuditObject | null;
}

/** Roles that name the thing a deletion-like event is about, most telling first. */
const PRIMARY_ROLES: AuditObject['role'][] = ['deleted', 'source', 'replaced', 'destination', 'modified', 'created', 'other'];

/** Picks the object the row is about: the deleted one, else a rename's source, else any non-parent object. */
export function primaryObject(ev: AuditEvent): AuditObject | null {
  for (const role of PRIMARY_ROLES) {
    const o = ev.objects.find((x) => x.role === role && x.path);
    if (o) return o;
  }
  return ev.objects.find((x) => x.path) ?? null;
}

/** The row's kind: failures win over everything, since the file is still there. */
export function rowKind(ev: AuditEvent): RowKind {
  if (ev.success === false) return 'failed';
  if (ev.watchRemoved) return 'watchRemoved';
  if (ev.action === 'deleted') return 'deleted';
  if (ev.action === 'renamed') return 'renamed';
  return 'other';
}

/** Short program name: the exe's basename, else comm, else `?`. */
export function programName(ev: AuditEvent): string {
  const exe = ev.process.exe;
  if (exe) return exe.slice(exe.lastIndexOf('/') + 1) || exe;
  return ev.process.comm ?? '?';
}

/** Who: the uid's name, and the login user when someone else logged in (`alice as root`). */
export function userName(ev: AuditEvent): string {
  const p = ev.process;
  const user = p.user ?? (p.uid !== null ? `uid ${p.uid}` : '?');
  const login = p.loginUser ?? (p.auid !== null ? `auid ${p.auid}` : null);
  return login && login !== user ? `${login} as ${user}` : user;
}

/** Local wall-clock time `YYYY-MM-DD HH:MM:SS`: what people compare with their memory of "when". */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Builds the row for an event. */
export function eventRow(ev: AuditEvent): EventRow {
  const kind = rowKind(ev);
  const primary = primaryObject(ev);
  // A newline or a bidi override in a file name must not break or reorder the row.
  const label = primary?.path ? visible(primary.path) : '(unknown path)';
  const parts: string[] = [];
  if (primary?.confidence === 'uncertain') parts.push('path uncertain');
  if (kind === 'failed') parts.push(`failed${ev.errno ? ` (${ev.errno})` : ev.exit !== null ? ` (exit ${ev.exit})` : ''}`);
  if (kind === 'watchRemoved') parts.push('watch removed');
  if (ev.action === 'renamed') {
    const dest = ev.objects.find((o) => o.role === 'destination' && o.path);
    if (dest?.path) parts.push(`→ ${visible(dest.path)}`);
  }
  parts.push(programName(ev), userName(ev), localTime(ev.timeMs));
  return { kind, label, description: parts.join(' · '), primary };
}

/** The raw facts for a tooltip, as label/value pairs in reading order; values are plain text (log text is hostile). */
export function eventFacts(ev: AuditEvent): [string, string][] {
  const p = ev.process;
  const facts: [string, string][] = [];
  const add = (k: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined && v !== '') facts.push([k, String(v)]);
  };
  add('Time', `${localTime(ev.timeMs)} (${ev.time})`);
  add('Event', ev.id);
  add('Syscall', [ev.syscall ?? ev.uringOp ?? '?', ev.arch ? `(${ev.arch})` : ''].join(' ').trim());
  add('Result', ev.success === null ? null : ev.success ? `success${ev.exit !== null ? `, exit ${ev.exit}` : ''}` : `failed: ${ev.errno ?? `exit ${ev.exit}`}`);
  for (const o of ev.objects) {
    const extra = [o.type, o.inode !== null ? `inode ${o.inode}` : null, o.dev ? `dev ${o.dev}` : null, o.confidence !== 'exact' ? o.confidence : null]
      .filter(Boolean)
      .join(', ');
    add(`Object (${o.role})`, `${o.path ?? '(no name)'}${extra ? ` [${extra}]` : ''}${o.seenAs ? `, seen as ${o.seenAs}` : ''}${o.note ? `: ${o.note}` : ''}`);
  }
  add('Exe', p.exe);
  add('Command', p.argv ? p.argv.join(' ') : p.comm);
  add('Cwd', p.cwd);
  add('Pid', p.pid !== null ? `${p.pid}${p.ppid !== null ? ` (parent ${p.ppid})` : ''}` : null);
  add('User', p.uid !== null || p.user ? `${p.user ?? '?'} (uid ${p.uid ?? '?'})` : null);
  if (p.euid !== null && p.euid !== p.uid) add('Effective user', `${p.euser ?? '?'} (euid ${p.euid})`);
  add('Login user', p.auid !== null ? `${p.loginUser ?? '?'} (auid ${p.auid})` : 'unset');
  add('Session', p.ses);
  add('Tty', p.tty);
  add('Keys', ev.keys.length ? ev.keys.join(', ') : null);
  add('Records', ev.recordTypes.join(' '));
  add('Source', `${ev.source.file}:${ev.source.line}`);
  return facts;
}
