import type { AuditEvent, AuditObject } from '../core';
import { visible } from '../core/display';

export { visible };

/**
 * The JSON shape of an event, fields in a stable, documented order. Built property by property rather than with
 * spreads of the optional fields: a spread sent every event through the slow object-copy path (a fifth of the JSON
 * output's cost in whole-log runs).
 */
export function eventJson(e: AuditEvent): Record<string, unknown> {
  const o: Record<string, unknown> = { id: e.id, serial: e.serial, time: e.time, node: e.node, keys: e.keys, syscall: e.syscall, arch: e.arch };
  if (e.uringOp !== undefined) o.uringOp = e.uringOp;
  o.success = e.success;
  o.exit = e.exit;
  o.errno = e.errno;
  o.action = e.action;
  o.watchRemoved = e.watchRemoved;
  if (e.rulesRemoved !== undefined) o.rulesRemoved = e.rulesRemoved;
  o.process = e.process;
  o.objects = e.objects;
  o.source = e.source;
  o.records = compactRecords(e);
  o.recordTypes = e.recordTypes;
  return o;
}

/**
 * Every record's line and offset; the file only where it is not the event's first record's (an event split by a
 * rotation). Repeating a long log path per record made it a third of the output.
 */
function compactRecords(e: AuditEvent): { file?: string; line: number; offset: number }[] {
  const file = e.source.file;
  const out = new Array<{ file?: string; line: number; offset: number }>(e.records.length);
  for (let i = 0; i < out.length; i++) {
    const r = e.records[i];
    out[i] = r.file === file ? { line: r.line, offset: r.offset } : { file: r.file, line: r.line, offset: r.offset };
  }
  return out;
}

export const CSV_HEADER = [
  'time', 'id', 'node', 'action', 'success', 'errno', 'syscall', 'role', 'path', 'confidence', 'seen_as', 'inode', 'dev',
  'type', 'exe', 'comm', 'pid', 'ppid', 'uid', 'user', 'auid', 'login_user', 'keys', 'watch_removed', 'file', 'line', 'offset',
].join(',');

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  let s = v;
  // A file name is attacker-chosen: keep spreadsheets from reading it as a formula (= + - @ tab CR).
  const c = s.charCodeAt(0);
  if ((c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13) && s !== '-') s = "'" + s;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i);
    if (d === 34 || d === 44 || d === 13 || d === 10) return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}

/** Cells joined by commas. (Character checks and a loop instead of regexes and map/join: CSV is the bulk format.) */
function csvCells(cells: unknown[]): string {
  let row = csvCell(cells[0]);
  for (let i = 1; i < cells.length; i++) row += ',' + csvCell(cells[i]);
  return row;
}

/** CSV rows of an event: one per object (an event without objects still gets one row). */
export function eventCsvRows(e: AuditEvent): string[] {
  const objs: (AuditObject | null)[] = e.objects.length > 0 ? e.objects : [null];
  const p = e.process;
  // The event's and the process's cells are the same on every row of the event: made once.
  const head = csvCells([e.time, e.id, e.node, e.action, e.success, e.errno, e.syscall ?? (e.uringOp ? `io_uring:${e.uringOp}` : null)]);
  const tail = csvCells([
    p.exe, p.comm, p.pid, p.ppid, p.uid, p.user, p.auid, p.loginUser, e.keys.join(' '), e.watchRemoved, e.source.file, e.source.line, e.source.offset,
  ]);
  return objs.map((o) => `${head},${csvCells([o?.role, o?.path, o?.confidence, o?.seenAs, o?.inode, o?.dev, o?.type])},${tail}`);
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
