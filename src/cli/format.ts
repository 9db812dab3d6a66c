import type { AuditEvent, AuditObject } from '../core';
import { visible } from '../core/display';

export { visible };

/** The JSON shape of an event, fields in a stable, documented order. */
export function eventJson(e: AuditEvent): Record<string, unknown> {
  return {
    id: e.id,
    serial: e.serial,
    time: e.time,
    node: e.node,
    keys: e.keys,
    syscall: e.syscall,
    arch: e.arch,
    ...(e.uringOp !== undefined ? { uringOp: e.uringOp } : {}),
    success: e.success,
    exit: e.exit,
    errno: e.errno,
    action: e.action,
    watchRemoved: e.watchRemoved,
    ...(e.rulesRemoved !== undefined ? { rulesRemoved: e.rulesRemoved } : {}),
    process: e.process,
    objects: e.objects,
    source: e.source,
    records: compactRecords(e),
    recordTypes: e.recordTypes,
  };
}

/**
 * Every record's line and offset; the file only where it is not the event's first record's (an event split by a
 * rotation). Repeating a long log path per record made it a third of the output.
 */
function compactRecords(e: AuditEvent): { file?: string; line: number; offset: number }[] {
  const file = e.source.file;
  return e.records.map((r) => (r.file === file ? { line: r.line, offset: r.offset } : { file: r.file, line: r.line, offset: r.offset }));
}

export const CSV_HEADER = [
  'time', 'id', 'node', 'action', 'success', 'errno', 'syscall', 'role', 'path', 'confidence', 'seen_as', 'inode', 'dev',
  'type', 'exe', 'comm', 'pid', 'ppid', 'uid', 'user', 'auid', 'login_user', 'keys', 'watch_removed', 'file', 'line', 'offset',
].join(',');

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  // A file name is attacker-chosen: keep spreadsheets from reading it as a formula.
  if (typeof v === 'string' && s !== '-' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV rows of an event: one per object (an event without objects still gets one row). */
export function eventCsvRows(e: AuditEvent): string[] {
  const objs: (AuditObject | null)[] = e.objects.length > 0 ? e.objects : [null];
  const p = e.process;
  return objs.map((o) =>
    [
      e.time, e.id, e.node, e.action, e.success, e.errno, e.syscall ?? (e.uringOp ? `io_uring:${e.uringOp}` : null),
      o?.role, o?.path, o?.confidence, o?.seenAs, o?.inode, o?.dev, o?.type, p.exe, p.comm, p.pid, p.ppid, p.uid, p.user,
      p.auid, p.loginUser, e.keys.join(' '), e.watchRemoved, e.source.file, e.source.line, e.source.offset,
    ]
      .map(csvCell)
      .join(','),
  );
}

const ESC = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

function pad2(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in local time or UTC. */
export function formatTime(ms: number, utc: boolean): string {
  const d = new Date(ms);
  if (utc) return d.toISOString().replace('T', ' ').replace('Z', ' UTC');
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad2(d.getMilliseconds(), 3)}`;
}


function verb(e: AuditEvent): string {
  const how = e.syscall ?? (e.uringOp ? `io_uring ${e.uringOp}` : '?');
  if (e.success === false) return `${e.action} FAILED ${e.errno ?? ''} (${how})`;
  return `${e.watchRemoved ? 'watch removed, ' : ''}${e.action} (${how})`;
}

/** A human line block for one event: time, verb, then one line per object and one for the process. */
export function eventTable(e: AuditEvent, utc: boolean, color: boolean): string {
  // Every text from the log (exe and comm are chosen by whoever deletes, and so is a folder name in a note) is made
  // visible before it reaches the terminal: only our own colour codes are written raw.
  const c = (code: string, s: string): string => (color ? code + visible(s) + ESC.reset : visible(s));
  const actionColor = e.success === false ? ESC.magenta : e.action === 'deleted' ? ESC.red : e.action === 'renamed' ? ESC.yellow : ESC.cyan;
  const lines = [`${c(ESC.dim, formatTime(e.timeMs, utc))}  ${c(actionColor, verb(e))}  ${c(ESC.dim, e.id)}`];
  for (const o of e.objects) {
    const mark = o.confidence === 'exact' ? ' ' : o.confidence === 'rebuilt' ? '~' : '?';
    const path = o.path ?? '(unknown path)';
    let line = `  ${mark} ${o.role.padEnd(11)} ${o.confidence === 'uncertain' ? c(ESC.dim, path) : c(ESC.bold, path)}`;
    if (o.seenAs) line += c(ESC.dim, `  (seen as ${o.seenAs})`);
    if (o.confidence === 'uncertain' && o.note) line += c(ESC.dim, `  [${o.note}]`);
    lines.push(line);
  }
  const p = e.process;
  const who = [
    p.exe ?? p.comm ?? '?',
    p.pid !== null ? `pid ${p.pid}` : null,
    p.ppid !== null ? `ppid ${p.ppid}` : null,
    `user ${p.user ?? p.uid ?? '?'}`,
    p.loginUser || p.auid !== null ? `login ${p.loginUser ?? p.auid}` : null,
    p.cwd ? `cwd ${p.cwd}` : null,
    p.container && p.container !== 'host' ? `container ${p.container.slice(0, 12)}${p.containerRuntime ? ` (${p.containerRuntime})` : ''}` : null,
    e.keys.length ? `key ${e.keys.join(',')}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(`    by ${visible(who)}`);
  if (p.argv) lines.push(c(ESC.dim, `    $ ${p.argv.join(' ')}`));
  if (p.parents?.length) lines.push(c(ESC.dim, `    parents: ${p.parents.map((x) => `${x.comm ?? '?'}(${x.pid})`).join(' ← ')}`));
  return lines.join('\n');
}
