/**
 * The text editor's features for audit logs and audit rules: hovers that decode what people squint at, the outline
 * by event, folding and highlights of an event's records, "Go to Other Records of This Event", and hovers for
 * audit.rules options and fields (also on auditctl command lines in shell scripts).
 */
import * as vscode from 'vscode';
import { localIdNames } from '../core/idNames';
import { AuditLogLanguage, AuditRulesLanguage, Commands } from '../constants';
import { explainRuleAt } from './auditRulesDocs';
import { logHover } from './logHover';
import { eventDetail, eventTitle, groupEvents, lineEventId, recordDetail, type LogEvent } from './logEvents';

/** Events shown in the outline; beyond this the outline says how many more there are. */
const MAX_OUTLINE_EVENTS = 20_000;
/** Lines scanned around a record for the other records of its event (auditd writes them together). */
const EVENT_WINDOW = 2000;

const LOG_SELECTOR: vscode.DocumentSelector = { language: AuditLogLanguage };
const RULES_SELECTOR: vscode.DocumentSelector = [{ language: AuditRulesLanguage }, { language: 'shellscript' }];

/** Markdown for a hover: a code headline and text lines, log text escaped (it is not ours to trust). */
function hoverMarkdown(head: string | null, lines: string[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  if (head !== null) md.appendCodeblock(head.replace(/`/g, 'ˋ'), 'text');
  lines.forEach((l, i) => {
    md.appendText(l);
    if (i < lines.length - 1) md.appendMarkdown('  \n');
  });
  return md;
}

/** The lines of the event a line belongs to, found near it (records of one event are written together). */
function eventLines(doc: vscode.TextDocument, line: number): number[] {
  const id = lineEventId(doc.lineAt(line).text);
  if (id === null) return [];
  const out: number[] = [];
  const from = Math.max(0, line - EVENT_WINDOW);
  const to = Math.min(doc.lineCount, line + EVENT_WINDOW);
  for (let n = from; n < to; n++) if (lineEventId(doc.lineAt(n).text) === id) out.push(n);
  return out;
}

/** Outline, folding and grouping cache: one grouping per document version. */
class EventCache {
  private cache = new WeakMap<vscode.TextDocument, { version: number; events: LogEvent[]; truncated: boolean }>();
  get(doc: vscode.TextDocument): { events: LogEvent[]; truncated: boolean } {
    const c = this.cache.get(doc);
    if (c && c.version === doc.version) return c;
    const g = groupEvents(doc.lineCount, (n) => doc.lineAt(n).text, MAX_OUTLINE_EVENTS);
    this.cache.set(doc, { version: doc.version, ...g });
    return g;
  }
}

/** Registers the language features; returns one disposable for all of them. */
export function register(_context: vscode.ExtensionContext): vscode.Disposable {
  const events = new EventCache();
  const subs: vscode.Disposable[] = [];
  subs.push(
    vscode.languages.registerHoverProvider(LOG_SELECTOR, {
      async provideHover(doc, pos) {
        const line = doc.lineAt(pos.line).text;
        // Very long lines are not records (auditd lines stay under ~10 KB): leave them alone.
        if (line.length > 65_536) return undefined;
        const h = logHover(line, pos.character, await localIdNames());
        if (!h) return undefined;
        return new vscode.Hover(hoverMarkdown(h.head, h.lines), new vscode.Range(pos.line, h.range[0], pos.line, h.range[1]));
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(
      LOG_SELECTOR,
      {
        provideDocumentSymbols(doc) {
          const { events: evs, truncated } = events.get(doc);
          const lineAt = (n: number): string => doc.lineAt(n).text;
          const symbols = evs.map((ev) => {
            const first = ev.records[0].line;
            const last = ev.records[ev.records.length - 1].line;
            const sym = new vscode.DocumentSymbol(
              eventTitle(ev, lineAt),
              eventDetail(ev),
              vscode.SymbolKind.Event,
              new vscode.Range(first, 0, last, doc.lineAt(last).text.length),
              new vscode.Range(first, 0, first, 0),
            );
            sym.children = ev.records.map((r) => {
              const range = new vscode.Range(r.line, 0, r.line, doc.lineAt(r.line).text.length);
              return new vscode.DocumentSymbol(r.type, recordDetail(doc.lineAt(r.line).text), vscode.SymbolKind.Field, range, new vscode.Range(r.line, 0, r.line, 0));
            });
            return sym;
          });
          if (truncated) {
            const at = symbols.length > 0 ? symbols[symbols.length - 1].range.end.line : 0;
            const r = new vscode.Range(at, 0, at, 0);
            symbols.push(new vscode.DocumentSymbol(vscode.l10n.t('More events: open the log in the Audit Lens Viewer'), '', vscode.SymbolKind.Null, r, r));
          }
          return symbols;
        },
      },
      { label: vscode.l10n.t('Audit events') },
    ),
    vscode.languages.registerFoldingRangeProvider(LOG_SELECTOR, {
      provideFoldingRanges(doc) {
        const out: vscode.FoldingRange[] = [];
        for (const ev of events.get(doc).events) {
          const first = ev.records[0].line;
          const last = ev.records[ev.records.length - 1].line;
          // Only events written as one block fold; interleaved ones would hide other events' records.
          if (last > first && last - first + 1 === ev.records.length) out.push(new vscode.FoldingRange(first, last, vscode.FoldingRangeKind.Region));
        }
        return out;
      },
    }),
    vscode.languages.registerDocumentHighlightProvider(LOG_SELECTOR, {
      provideDocumentHighlights(doc, pos) {
        const lines = eventLines(doc, pos.line);
        if (lines.length < 2) return [];
        return lines.map((n) => {
          const text = doc.lineAt(n).text;
          const open = text.indexOf('msg=audit(');
          const close = open < 0 ? -1 : text.indexOf(')', open);
          return new vscode.DocumentHighlight(new vscode.Range(n, Math.max(0, open), n, close < 0 ? text.length : close + 1), vscode.DocumentHighlightKind.Read);
        });
      },
    }),
    vscode.languages.registerReferenceProvider(LOG_SELECTOR, {
      provideReferences(doc, pos) {
        return eventLines(doc, pos.line).map((n) => new vscode.Location(doc.uri, new vscode.Range(n, 0, n, doc.lineAt(n).text.length)));
      },
    }),
    vscode.commands.registerTextEditorCommand(Commands.GoToEventRecords, async (editor) => {
      const pos = editor.selection.active;
      const lines = eventLines(editor.document, pos.line).filter((n) => n !== pos.line);
      if (lines.length === 0) {
        void vscode.window.showInformationMessage(
          lineEventId(editor.document.lineAt(pos.line).text) === null
            ? vscode.l10n.t('The cursor is not on an audit record.')
            : vscode.l10n.t('This event has no other records.'),
        );
        return;
      }
      const locations = lines.map((n) => new vscode.Location(editor.document.uri, new vscode.Range(n, 0, n, 0)));
      await vscode.commands.executeCommand('editor.action.peekLocations', editor.document.uri, pos, locations, 'peek');
    }),
    vscode.languages.registerHoverProvider(RULES_SELECTOR, {
      async provideHover(doc, pos) {
        const text = doc.lineAt(pos.line).text;
        let line = text;
        if (doc.languageId !== AuditRulesLanguage) {
          // Shell scripts: only the arguments of an auditctl command.
          const m = /(?<![\w/-])(?:\/usr)?(?:\/s?bin\/)?auditctl\s/.exec(text);
          if (!m || pos.character < m.index + m[0].length) return undefined;
          line = ' '.repeat(m.index + m[0].length) + text.slice(m.index + m[0].length).split(/[;&|)`]/)[0];
        }
        const e = explainRuleAt(line, pos.character, await localIdNames());
        if (!e) return undefined;
        return new vscode.Hover(hoverMarkdown(e.head, e.lines), new vscode.Range(pos.line, e.start, pos.line, e.end));
      },
    }),
  );
  return vscode.Disposable.from(...subs);
}
