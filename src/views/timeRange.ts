/** Time ranges typed by people for the tree's time filter. Pure (no `vscode` import). */
import { parseTimeSpec } from '../cli/timeSpec';

/**
 * Parses `FROM`, `FROM to TO` or `FROM .. TO` (each a time `audit-lens events --since` accepts: ISO 8601,
 * `2026-11-28 02:41:30`, `today`, `MM/DD/YYYY HH:MM:SS`, …) into epoch ms; `until` is exclusive. Null when a part
 * is not a time or the range is empty.
 */
export function parseTimeRange(text: string, now: Date = new Date()): { since: number | null; until: number | null } | null {
  const parts = text.split(/\s+to\s+|\s*\.\.\s*/i).map((s) => s.trim());
  if (parts.length > 2 || parts.every((p) => p === '')) return null;
  const since = parts[0] ? parseTimeSpec(parts[0], now) : null;
  const until = parts[1] ? parseTimeSpec(parts[1], now) : null;
  if ((parts[0] && since === null) || (parts[1] && until === null)) return null;
  if (since !== null && until !== null && until <= since) return null;
  return { since, until };
}
