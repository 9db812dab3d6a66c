/**
 * The one escaper for names (file names, paths, command lines, user names: all of it log text chosen by whoever
 * made the files) in the tree's labels, descriptions and tooltips.
 */
import { visible } from '../core/display';

/** Plain-text labels and descriptions: control, bidi and newline characters made visible (`\n`, `\u202e`). */
export function shown(text: string): string {
  return visible(text);
}

/**
 * Text for a Markdown tooltip: `shown()` first, then every ASCII punctuation character backslash-escaped
 * (CommonMark allows it for all of them). That neutralises emphasis, links, headings, raw HTML (`<img …>`) and
 * the autolinks GFM makes of bare URLs, `www.` names and e-mail addresses (`http\:\/\/x\.y` is not a link).
 * Runs of spaces keep their width (Markdown would collapse them).
 */
export function markdownText(text: string): string {
  return shown(text)
    .replace(/[!-/:-@[-`{-~]/g, '\\$&')
    .replace(/ {2,}/g, (run) => ' ' + '&nbsp;'.repeat(run.length - 1));
}
