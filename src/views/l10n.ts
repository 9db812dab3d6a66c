/**
 * The translator the tree's pure modules (rows, model, filters) call. It formats `{0}` placeholders in English
 * until `useTranslator(vscode.l10n)` is called at registration, so the same code runs in plain Node tests and the
 * bench. Every call passes a string literal, so the manifest test finds each message in the zh-cn bundle.
 */
type Arg = string | number | boolean;

function format(message: string, args: Arg[]): string {
  return message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}

/** The translator in use. */
export const l10n = {
  t: (message: string, ...args: Arg[]): string => format(message, args),
};

/** Routes every message through `translator` (VS Code's `l10n`). */
export function useTranslator(translator: { t(message: string, ...args: Arg[]): string }): void {
  l10n.t = (message, ...args) => translator.t(message, ...args);
}
