/** The hover of an audit record: what the part under the cursor means. No vscode import. */
import { explainHeader, explainValue, fieldAt, lineContext, type IdNames } from '../core/explain';

/** The hover of a record line at a character: header parts and field values, decoded and named. */
export function logHover(text: string, character: number, ids: IdNames): { range: [number, number]; head: string | null; lines: string[] } | null {
  const ctx = lineContext(text);
  const h = ctx.parsed.header;
  if (!h) return null;
  if (character >= h.typeStart && character < h.typeStart + h.type.length) return { range: [h.typeStart, h.typeStart + h.type.length], head: null, lines: explainHeader('type', ctx) };
  if (character >= h.timeStart && character < h.timeStart + h.timeText.length) return { range: [h.timeStart, h.timeStart + h.timeText.length], head: null, lines: explainHeader('time', ctx) };
  const serialEnd = h.serialStart + String(h.serial).length;
  if (character >= h.serialStart && character < serialEnd) return { range: [h.serialStart, serialEnd], head: null, lines: explainHeader('serial', ctx) };
  const f = fieldAt(ctx.parsed, character);
  if (!f || f.name === '' || f.enriched) return null;
  const e = explainValue(f.name, text.slice(f.valueStart, f.valueEnd), ctx, ids);
  return e ? { range: [f.nameStart, f.valueEnd], head: null, lines: e.detail } : null;
}
