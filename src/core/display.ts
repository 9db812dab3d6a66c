/** Text for people: what the CLI's table and the extension's rows show of hostile names. */

/** Makes control characters in names visible, so a newline in a file name cannot forge a table row. */
export function visible(s: string): string {
  // C0/C1 controls and bidirectional overrides could forge or reorder what a terminal shows.
  return s.replace(/[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) =>
    c === '\n' ? '\\n' : c === '\t' ? '\\t' : c.charCodeAt(0) < 0x100 ? '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0') : '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}
