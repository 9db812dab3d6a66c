/**
 * A tokenizer for one audit log line, shared by the big-log viewer (webview) and anything that highlights records.
 * Offsets are string indexes; with latin1 lines they are byte offsets within the line.
 */
export type TokenKind =
  | 'node'
  | 'type'
  | 'time'
  | 'serial'
  | 'field'
  | 'string'
  | 'hex'
  | 'number'
  | 'null'
  | 'value'
  | 'failure'
  | 'separator'
  | 'enriched-field'
  | 'enriched-value'
  | 'invalid';

export interface Token {
  start: number;
  end: number;
  kind: TokenKind;
}

const HEX = /^(?:[0-9A-F]{2})+$/;
/** Fields whose unquoted values are hex-encoded text (audit_log_untrustedstring). */
const UNTRUSTED = /^(?:name|cwd|comm|exe|proctitle|key|dir|path|data|cmd|a\d+(?:\[\d+\])?|old-?\w*|new-?\w*|acct|op|watch)$/;

function valueKind(field: string, v: string): TokenKind {
  if (v === '(null)' || v === '(none)' || v === '?') return 'null';
  if (v.startsWith('"') || v.startsWith("'")) return 'string';
  if ((field === 'success' && v === 'no') || (field === 'res' && (v === 'failed' || v === '0' || v === 'no'))) return 'failure';
  if (UNTRUSTED.test(field) && HEX.test(v) && v.length >= 2) return 'hex';
  if (/^-?\d+$/.test(v) || /^[0-9a-f]+$/.test(v)) return 'number';
  return 'value';
}

/** Splits one line into coloured tokens; never throws, and unknown text becomes `invalid` or `value`. */
export function tokenizeLine(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  const push = (start: number, end: number, kind: TokenKind): void => {
    if (end > start) out.push({ start, end, kind });
  };
  const gs = text.indexOf('\x1d');
  const rawEnd = gs < 0 ? n : gs;
  const header = /^(node=\S+ )?(type=)([A-Z0-9_]+) (msg=audit\()(\d+\.\d+)(:)(\d+)(\):)/.exec(text);
  if (header) {
    let p = 0;
    if (header[1]) {
      push(0, header[1].length - 1, 'node');
      p = header[1].length;
    }
    push(p, p + 5, 'field');
    p += 5;
    push(p, p + header[3].length, 'type');
    p += header[3].length + 1;
    push(p, p + header[4].length, 'field');
    p += header[4].length;
    push(p, p + header[5].length, 'time');
    p += header[5].length + 1;
    push(p, p + header[7].length, 'serial');
    p += header[7].length + header[8].length;
    i = p;
  } else if (!text.startsWith('type=') && !text.startsWith('node=')) {
    push(0, n, 'invalid');
    return out;
  }
  scanFields(text, i, rawEnd, false, push);
  if (gs >= 0) {
    push(gs, gs + 1, 'separator');
    scanFields(text, gs + 1, n, true, push);
  }
  return out;
}

function scanFields(text: string, from: number, to: number, enriched: boolean, push: (s: number, e: number, k: TokenKind) => void): void {
  let i = from;
  while (i < to) {
    while (i < to && text.charCodeAt(i) === 32) i++;
    if (i >= to) break;
    const eq = text.indexOf('=', i);
    const sp = text.indexOf(' ', i);
    if (eq < 0 || eq >= to || (sp >= 0 && sp < eq)) {
      const end = sp < 0 || sp > to ? to : sp;
      push(i, end, 'value');
      i = end;
      continue;
    }
    const field = text.slice(i, eq);
    push(i, eq, enriched ? 'enriched-field' : 'field');
    let j = eq + 1;
    let end: number;
    const q = text[j];
    if (q === '"' || q === "'") {
      const close = text.indexOf(q, j + 1);
      end = close < 0 || close >= to ? to : close + 1;
      if (q === "'" && !enriched) {
        // msg='op=… acct=…': user-space payloads carry fields of their own.
        push(j, j + 1, 'string');
        scanFields(text, j + 1, end - 1, false, push);
        push(end - 1, end, 'string');
        i = end;
        continue;
      }
    } else {
      const s2 = text.indexOf(' ', j);
      end = s2 < 0 || s2 > to ? to : s2;
    }
    push(j, end, enriched ? 'enriched-value' : valueKind(field, text.slice(j, end)));
    j = end;
    i = j;
  }
}
