/**
 * The events of a text document holding audit records: which lines belong to which event (same node, time and
 * serial), and a short summary of each, for the outline, folding, highlights and "Go to Other Records of This Event".
 * No vscode import.
 */
import { bytesText, lineContext, lineSyscall, localTime, untrustedValueBytes, argvOf, displayText } from '../core/explain';
import type { LineContext } from '../core/explain';
import { parseLine } from '../core/tokenize';

/** One record line of an event. */
export interface RecordLine {
  line: number;
  type: string;
}

/** One event: its records in file order. */
export interface LogEvent {
  /** `[node:]EPOCH.MS:SERIAL`, the same spelling as the core's event ids. */
  id: string;
  time: number;
  serial: number;
  node: string | null;
  records: RecordLine[];
}

/** The event id of a record line, or null when the line is not a record. */
export function lineEventId(text: string): string | null {
  const h = parseLine(text).header;
  return h ? `${h.node === null ? '' : h.node + ':'}${h.timeText}:${h.serial}` : null;
}

/** Groups the record lines of a document into events, in order of their first record; at most `limit` events. */
export function groupEvents(lineCount: number, lineAt: (n: number) => string, limit = Infinity): { events: LogEvent[]; truncated: boolean } {
  const byId = new Map<string, LogEvent>();
  const events: LogEvent[] = [];
  let truncated = false;
  for (let n = 0; n < lineCount; n++) {
    const text = lineAt(n);
    const h = parseLine(text).header;
    if (!h) continue;
    const id = `${h.node === null ? '' : h.node + ':'}${h.timeText}:${h.serial}`;
    let ev = byId.get(id);
    if (!ev) {
      if (events.length >= limit) {
        truncated = true;
        break;
      }
      ev = { id, time: h.time, serial: h.serial, node: h.node, records: [] };
      byId.set(id, ev);
      events.push(ev);
    }
    ev.records.push({ line: n, type: h.type });
  }
  return { events, truncated };
}

/** A one-line summary of an event from its records: `SYSCALL unlinkat · rm · key k` (failed calls say so; the program by its exe's name). */
export function eventTitle(ev: LogEvent, lineAt: (n: number) => string): string {
  const first = ev.records[0];
  const sys = ev.records.find((r) => r.type === 'SYSCALL' || r.type === 'URINGOP');
  const parts: string[] = [];
  if (sys) {
    const ctx = lineContext(lineAt(sys.line));
    const name = lineSyscall(ctx);
    parts.push(`${sys.type}${name ? ` ${name}` : ''}${ctx.raw.get('success') === 'no' ? ` ✗ ${ctx.enriched.get('EXIT') ?? ctx.raw.get('exit') ?? ''}`.trimEnd() : ''}`);
    // The program as the Audit Events tree names it: the exe's file name (comm is cut at 15 bytes and settable by the
    // process), else comm.
    const text = (field: string): string => {
      const b = fieldBytes(ctx, field);
      return b ? bytesText(b) : '';
    };
    const program = text('exe').replace(/^.*\//, '') || text('comm');
    if (program) parts.push(displayText(program));
    const key = text('key');
    if (key) parts.push(`key ${displayText(key.split('\x01').join(','))}`);
  } else {
    parts.push(first.type);
  }
  return parts.join(' · ');
}

/** A string field's bytes as logged (quoted text or hex decoded), or null when it is absent or `(null)`. */
function fieldBytes(ctx: LineContext, field: string): Uint8Array | null {
  const v = ctx.raw.get(field);
  return v ? untrustedValueBytes(field, v) : null;
}

/** A short description of one record: a PATH's decoded name and nametype, a CWD, a PROCTITLE's command line. */
export function recordDetail(text: string): string {
  const ctx = lineContext(text);
  const h = ctx.parsed.header;
  if (!h) return '';
  const decoded = (field: string): string | null => {
    const b = fieldBytes(ctx, field);
    return b ? displayText(bytesText(b)) : null;
  };
  switch (h.type) {
    case 'PATH':
      return [decoded('name') ?? '(no name)', ctx.raw.get('nametype') ?? ''].join(' ').trim();
    case 'CWD':
      return decoded('cwd') ?? '';
    case 'PROCTITLE': {
      const b = fieldBytes(ctx, 'proctitle');
      return b ? argvOf(b).map((a) => displayText(a)).join(' ') : '';
    }
    default:
      return '';
  }
}

/** The detail line of an event in the outline: local time and serial. */
export function eventDetail(ev: LogEvent): string {
  return `${localTime(ev.time, false)} · ${ev.node ? `${ev.node} · ` : ''}#${ev.serial}`;
}
