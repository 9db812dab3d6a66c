/** Where a regex matches in a line, for highlighting; shared by the host's search and the webview. */

/** The [start, end) ranges of a global regex's non-empty matches in `text`, at most `max`. */
export function regexRanges(re: RegExp, text: string, max = 50): [number, number][] {
  const out: [number, number][] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m && out.length < max; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}
