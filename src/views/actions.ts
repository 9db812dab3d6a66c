/**
 * What a row offers: Reveal Raw Records, Copy as JSON, Copy ausearch Command, Reveal Parent Folder in Explorer,
 * and Export of the (filtered) events to JSON Lines or CSV.
 */
import { promises as fsp } from 'node:fs';
import * as vscode from 'vscode';
import { eventCsvRows, eventJson, CSV_HEADER } from '../cli/format';
import { Colors, Commands, Settings } from '../constants';
import type { AuditEvent } from '../core/types';
import { errorText, log } from '../log';
import { ausearchCommand, primaryObject, splitPath } from './eventRows';

/** VS Code does not hand files above 50 MB to extensions (openTextDocument fails). */
export const TEXT_EDITOR_LIMIT = 50 * 1024 * 1024;

/** Highlights the records of the event last revealed. */
export class RecordHighlighter implements vscode.Disposable {
  readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor(Colors.RecordHighlight),
    overviewRulerColor: new vscode.ThemeColor(Colors.RecordHighlight),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private editor: vscode.TextEditor | undefined;

  /** Highlights `lines` (1-based) in `editor`, clearing the previous highlight. */
  show(editor: vscode.TextEditor, lines: number[]): void {
    if (this.editor && this.editor !== editor) this.editor.setDecorations(this.type, []);
    this.editor = editor;
    editor.setDecorations(
      this.type,
      lines.map((l) => new vscode.Range(l - 1, 0, l - 1, 0)),
    );
  }

  dispose(): void {
    this.type.dispose();
  }
}

/**
 * Opens the log at an event's records, highlighted. The one place that decides how: the text editor for logs below
 * `auditLens.viewer.thresholdMB`, the Audit Lens viewer (`auditLens.viewer.open`) for bigger ones.
 */
export async function revealRawRecords(event: AuditEvent, highlighter: RecordHighlighter): Promise<void> {
  const file = event.source.file;
  if (file === '-') {
    void vscode.window.showInformationMessage(vscode.l10n.t('This event was read from standard input: there is no file to show.'));
    return;
  }
  const uri = vscode.Uri.file(file);
  let size: number;
  try {
    size = (await fsp.stat(file)).size;
  } catch (err) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not open the audit log {0}: {1}', file, errorText(err)));
    return;
  }
  const lines = [...new Set(event.records.filter((r) => r.file === file).map((r) => r.line))].sort((a, b) => a - b);
  if (lines.length === 0) lines.push(event.source.line);
  // Big logs go to the Audit Lens viewer (paged, highlighted there), from the size at which opening one in the text
  // editor is redirected to it anyway; VS Code's own 50 MB limit for extensions is the floor.
  const mb = vscode.workspace.getConfiguration(Settings.Section).get<number>(Settings.ViewerThresholdMB, 20);
  if (size > TEXT_EDITOR_LIMIT || (mb > 0 && size >= mb * 1e6)) {
    try {
      await vscode.commands.executeCommand(Commands.ViewerOpen, uri, { offset: event.source.offset, line: event.source.line });
      return;
    } catch (err) {
      log.warn(`viewer: ${errorText(err)}`);
    }
    if (size > TEXT_EDITOR_LIMIT) {
      const copyCmd = vscode.l10n.t('Copy ausearch Command');
      const pick = await vscode.window.showInformationMessage(
        vscode.l10n.t('{0} is {1} MB, more than VS Code opens in a text editor. The event is on line {2}.', file, Math.round(size / 1e6), event.source.line),
        copyCmd,
      );
      if (pick === copyCmd) await vscode.env.clipboard.writeText(ausearchCommand(event));
      return;
    }
  }
  try {
    const doc = await vscode.workspace.openTextDocument(uri);
    const first = new vscode.Range(lines[0] - 1, 0, lines[0] - 1, 0);
    const editor = await vscode.window.showTextDocument(doc, { preview: true, selection: first });
    highlighter.show(editor, lines);
    editor.revealRange(new vscode.Range(lines[0] - 1, 0, lines[lines.length - 1] - 1, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  } catch (err) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not open the audit log {0}: {1}', file, errorText(err)));
  }
}

/** The event as the CLI's JSON (same fields, same order), indented. */
export function eventAsJson(event: AuditEvent): string {
  return JSON.stringify(eventJson(event), null, 2);
}

/** Copies text and says so in the status bar. */
export async function copy(text: string, what: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', what), 3000);
}

/** The nearest folder of `p` that still exists (deleted folders are the point of this extension). */
async function nearestExisting(p: string): Promise<string | undefined> {
  for (let dir = p; dir; ) {
    try {
      if ((await fsp.stat(dir)).isDirectory()) return dir;
    } catch {
      // gone: try its parent
    }
    const up = splitPath(dir).folder;
    if (!up || up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

/** Reveals the folder an event happened in (or the nearest one that still exists) in the Explorer. */
export async function revealParentFolder(target: { event?: AuditEvent; folder?: string }): Promise<void> {
  const p = target.folder ?? (target.event ? primaryObject(target.event)?.path : undefined);
  if (!p) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The event names no path.'));
    return;
  }
  const wanted = target.folder ?? splitPath(p).folder;
  const dir = await nearestExisting(wanted);
  const uri = dir ? vscode.Uri.file(dir) : undefined;
  if (!uri || !vscode.workspace.getWorkspaceFolder(uri)) {
    const copyPath = vscode.l10n.t('Copy Path');
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('{0} is not inside the open workspace, so the Explorer cannot show it.', dir ?? wanted), copyPath);
    if (pick === copyPath) await copy(dir ?? wanted, vscode.l10n.t('path'));
    return;
  }
  await vscode.commands.executeCommand('revealInExplorer', uri);
  if (dir !== wanted) vscode.window.setStatusBarMessage(vscode.l10n.t('{0} no longer exists; showing {1}', wanted, dir!), 5000);
}

/**
 * Writes events to JSON Lines (the CLI's `--format jsonl`) or CSV (`--format csv`), chosen by the file's extension,
 * in chunks so a 100 000-event export does not hold the host's thread. Returns the number of events written.
 */
export async function exportEvents(events: readonly AuditEvent[], file: string): Promise<number> {
  const csv = file.toLowerCase().endsWith('.csv');
  const fh = await fsp.open(file, 'w');
  try {
    if (csv) await fh.write(CSV_HEADER + '\n');
    const CHUNK = 2000;
    for (let i = 0; i < events.length; i += CHUNK) {
      const part = events.slice(i, i + CHUNK);
      const text = csv ? part.flatMap((e) => eventCsvRows(e)).join('\n') + '\n' : part.map((e) => JSON.stringify(eventJson(e))).join('\n') + '\n';
      await fh.write(text);
    }
  } finally {
    await fh.close();
  }
  log.info(`exported ${events.length} events to ${file}`);
  return events.length;
}
