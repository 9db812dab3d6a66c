/**
 * A tokenizer for one audit log line, shared by the big-log viewer (webview), the editor's hovers and anything that
 * highlights records. Pure string code (no Buffer), so it runs in the browser too. The TextMate grammar
 * (media/syntaxes/auditlog.tmLanguage.json) follows the same rules; test/unit/grammar.test.ts checks they agree on
 * every recorded line. Offsets are string indexes; with latin1 lines they are byte offsets within the line.
 */
export type TokenKind =
  | 'node'
  | 'type'
  /** A record type that signals trouble (ANOM_*, AVC, *_ERR, …). */
  | 'alert'
  | 'time'
  | 'serial'
  | 'field'
  | 'string'
  | 'hex'
  | 'number'
  | 'null'
  | 'value'
  /** `success=no`, `res=failed`, a negative `exit=`. */
  | 'failure'
  /** The value of `key=`. */
  | 'key'
  | 'separator'
  | 'enriched-field'
  | 'enriched-value'
  | 'invalid';

export interface Token {
  start: number;
  end: number;
  kind: TokenKind;
}

/** One `name=value` (or a bare word, with `name` ''), with its positions in the line. */
export interface FieldToken {
  name: string;
  nameStart: number;
  valueStart: number;
  valueEnd: number;
  /** In the ENRICHED part, after `\x1d`. */
  enriched: boolean;
}

/** A record header: `[node=N ]type=T msg=audit(SEC.MS:SERIAL):`. */
export interface LineHeader {
  node: string | null;
  type: string;
  /** Epoch milliseconds. */
  time: number;
  /** The time as written (`1795833700.173`). */
  timeText: string;
  serial: number;
  typeStart: number;
  timeStart: number;
  serialStart: number;
  /** Where the body (the first field) starts. */
  bodyStart: number;
}

/** A line split into header and fields; `header` is null when the line is not an audit record. */
export interface ParsedLine {
  header: LineHeader | null;
  fields: FieldToken[];
  /** Index of the `\x1d` separator, or -1. */
  separator: number;
}

const HEX = /^(?:[0-9A-F]{2})+$/;
/** Fields whose unquoted values are hex-encoded text (audit_log_untrustedstring, audit_log_n_hex). */
const UNTRUSTED = /^(?:name|cwd|comm|exe|proctitle|key|dir|path|data|cmd|a\d+(?:\[\d+\])?|old-?\w*|new-?\w*|acct|op|watch|ocomm|root_dir|subj|obj)$/;
const ALERT_TYPE = /^(?:ANOM_\w*|RESP_\w*|AVC|USER_AVC|\w+_ERR|DAEMON_ABORT|SELINUX_ERR)$/;
const HEADER = /^(node=(\S+) )?type=([A-Z0-9_[\]]+) msg=audit\((\d+)\.(\d+):(\d+)\):? ?/;

/** Whether a record type signals trouble (anomalies, SELinux denials, errors). */
export function isAlertType(type: string): boolean {
  return ALERT_TYPE.test(type);
}

/** Whether an unquoted value of `field` is hex-encoded text. */
export function isHexValue(field: string, v: string): boolean {
  return v.length >= 2 && UNTRUSTED.test(field) && HEX.test(v);
}

/** The colour class of a raw (not ENRICHED) value. */
export function valueKind(field: string, v: string): TokenKind {
  if (v === '(null)' || v === '(none)' || v === '?') return 'null';
  if (field === 'key') return 'key';
  if ((field === 'success' && v === 'no') || (field === 'res' && (v === 'failed' || v === '0' || v === 'no'))) return 'failure';
  if (field === 'exit' && /^-\d+$/.test(v)) return 'failure';
  if (v.startsWith('"') || v.startsWith("'")) return 'string';
  if (isHexValue(field, v)) return 'hex';
  if (/^-?\d+$/.test(v) || /^[0-9a-f]+$/.test(v)) return 'number';
  return 'value';
}

/** Parses a line's header and splits its fields; never throws. */
export function parseLine(text: string): ParsedLine {
  const gs = text.indexOf('\x1d');
  const m = HEADER.exec(text);
  if (!m) return { header: null, fields: [], separator: gs };
  const nodeLen = m[1] ? m[1].length : 0;
  const typeStart = nodeLen + 5;
  const timeStart = typeStart + m[3].length + 11;
  const serialStart = timeStart + m[4].length + 1 + m[5].length + 1;
  const ms = m[5].length >= 3 ? Number(m[5].slice(0, 3)) : Number(m[5]) * 10 ** (3 - m[5].length);
  const header: LineHeader = {
    node: m[2] ?? null,
    type: m[3],
    time: Number(m[4]) * 1000 + ms,
    timeText: `${m[4]}.${m[5]}`,
    serial: Number(m[6]),
    typeStart,
    timeStart,
    serialStart,
    bodyStart: m[0].length,
  };
  const fields: FieldToken[] = [];
  const rawEnd = gs < 0 ? text.length : gs;
  scanFields(text, header.bodyStart, rawEnd, false, fields);
  if (gs >= 0) scanFields(text, gs + 1, text.length, true, fields);
  return { header, fields, separator: gs };
}

function scanFields(text: string, from: number, to: number, enriched: boolean, out: FieldToken[]): void {
  let i = from;
  while (i < to) {
    while (i < to && text.charCodeAt(i) === 32) i++;
    if (i >= to) break;
    const sp = text.indexOf(' ', i);
    const wordEnd = sp < 0 || sp > to ? to : sp;
    const eq = text.indexOf('=', i);
    if (eq < 0 || eq >= wordEnd) {
      out.push({ name: '', nameStart: i, valueStart: i, valueEnd: wordEnd, enriched });
      i = wordEnd;
      continue;
    }
    const name = text.slice(i, eq);
    const j = eq + 1;
    const q = text[j];
    let end = wordEnd;
    if (q === '{') {
      // ENRICHED SADDR={ saddr_fam=inet laddr=… }: one value with spaces inside.
      const close = text.indexOf('}', j + 1);
      if (close >= 0 && close < to) end = close + 1;
    } else if (q === '"' || q === "'") {
      const close = text.indexOf(q, j + 1);
      end = close < 0 || close >= to ? to : close + 1;
      if (q === "'" && !enriched) {
        // msg='op=… acct=…': user-space payloads carry fields of their own, kept as a quote, fields, a quote.
        out.push({ name, nameStart: i, valueStart: j, valueEnd: j + 1, enriched });
        scanFields(text, j + 1, close < 0 || close >= to ? to : close, false, out);
        if (close >= 0 && close < to) out.push({ name: '', nameStart: close, valueStart: close, valueEnd: close + 1, enriched });
        i = end;
        continue;
      }
    }
    out.push({ name, nameStart: i, valueStart: j, valueEnd: end, enriched });
    i = end;
  }
}

/** Splits one line into coloured tokens; never throws, and a line that is not a record is one `invalid` token. */
export function tokenizeLine(text: string): Token[] {
  const out: Token[] = [];
  const push = (start: number, end: number, kind: TokenKind): void => {
    if (end > start) out.push({ start, end, kind });
  };
  const p = parseLine(text);
  const h = p.header;
  if (!h) {
    push(0, text.length, 'invalid');
    return out;
  }
  if (h.node !== null) push(0, h.typeStart - 6, 'node');
  push(h.typeStart - 5, h.typeStart, 'field');
  push(h.typeStart, h.typeStart + h.type.length, isAlertType(h.type) ? 'alert' : 'type');
  push(h.timeStart - 10, h.timeStart, 'field');
  push(h.timeStart, h.timeStart + h.timeText.length, 'time');
  push(h.serialStart, h.serialStart + String(h.serial).length, 'serial');
  let sepDone = p.separator < 0;
  for (const f of p.fields) {
    if (!sepDone && f.nameStart > p.separator) {
      push(p.separator, p.separator + 1, 'separator');
      sepDone = true;
    }
    const v = text.slice(f.valueStart, f.valueEnd);
    if (f.name === '' && !f.enriched && (v === "'" || v === '"')) {
      push(f.valueStart, f.valueEnd, 'string');
      continue;
    }
    if (f.name !== '') push(f.nameStart, f.valueStart - 1, f.enriched ? 'enriched-field' : 'field');
    if (f.enriched) push(f.valueStart, f.valueEnd, 'enriched-value');
    else if (v === "'" && f.valueEnd - f.valueStart === 1) push(f.valueStart, f.valueEnd, 'string');
    else push(f.valueStart, f.valueEnd, valueKind(f.name, v));
  }
  if (!sepDone) push(p.separator, p.separator + 1, 'separator');
  return out;
}
