/**
 * Parses the time forms `--since/--until` accept: ISO 8601, ausearch's keywords (`now`, `recent`, `today`,
 * `yesterday`, `this-week`, `week-ago`, `this-month`, `this-year`) and `MM/DD/YYYY [HH:MM:SS]` or `HH:MM:SS`
 * (local time, as ausearch reads them). Returns epoch milliseconds or null when the text is not a time.
 */
export function parseTimeSpec(text: string, now: Date = new Date()): number | null {
  const t = text.trim();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (t) {
    case 'now':
      return now.getTime();
    case 'recent':
      return now.getTime() - 10 * 60_000;
    case 'boot':
      return null;
    case 'today':
      return midnight.getTime();
    case 'yesterday':
      return daysBefore(midnight, 1);
    case 'this-week': {
      const d = new Date(midnight);
      d.setDate(d.getDate() - d.getDay());
      return d.getTime();
    }
    case 'week-ago':
      return daysBefore(midnight, 7);
    case 'this-month':
      return new Date(now.getFullYear(), now.getMonth(), 1).getTime();
    case 'this-year':
      return new Date(now.getFullYear(), 0, 1).getTime();
  }
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) {
    const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
    const [h, min, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
    if (h > 23 || min > 59 || sec > 59) return null;
    const d = new Date(year, Number(m[1]) - 1, Number(m[2]), h, min, sec);
    return d.getMonth() === Number(m[1]) - 1 && d.getDate() === Number(m[2]) ? d.getTime() : null;
  }
  m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (m) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
    return Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3] ?? 0) < 60 ? d.getTime() : null;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    // A date-only ISO string is local midnight, like the other forms (Date.parse would take it as UTC).
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? t + 'T00:00:00' : t.replace(' ', 'T');
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms;
  }
  if (/^\d{9,11}(\.\d{1,3})?$/.test(t)) return Math.round(Number(t) * 1000);
  return null;
}

/** Local midnight `n` calendar days earlier (a day is not always 24 hours: daylight saving). */
function daysBefore(midnight: Date, n: number): number {
  const d = new Date(midnight);
  d.setDate(d.getDate() - n);
  return d.getTime();
}
