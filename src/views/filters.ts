/**
 * The filter pickers of the Audit Events view: text (as you type), action, failed attempts only, time range, and
 * one "Filter…" menu that leads to them. Each applies a new Filter through `apply`; the model does the work.
 */
import * as vscode from 'vscode';
import { localTime, ROW_KINDS, type RowKind } from './eventRows';
import type { Filter, TreeModel } from './model';
import { filterSummary, kindName, timeRangeText } from './nodes';
import { parseTimeRange } from './timeRange';

type Apply = (f: Filter) => void;

/** Text filter: applied while typing (debounced); Escape restores the previous text. */
export function pickText(model: TreeModel, apply: Apply): Promise<void> {
  const before = model.filter;
  const box = vscode.window.createInputBox();
  box.title = vscode.l10n.t('Filter Audit Events by Text');
  box.prompt = vscode.l10n.t('Words that must all occur in the path, the program or the user name (empty: no text filter)');
  box.value = before.text;
  box.placeholder = vscode.l10n.t('for example: rm /srv/data alice');
  let timer: NodeJS.Timeout | undefined;
  let accepted = false;
  box.onDidChangeValue((v) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => apply({ ...model.filter, text: v }), 200);
  });
  return new Promise((resolve) => {
    box.onDidAccept(() => {
      accepted = true;
      if (timer) clearTimeout(timer);
      apply({ ...model.filter, text: box.value });
      box.hide();
    });
    box.onDidHide(() => {
      if (timer) clearTimeout(timer);
      if (!accepted) apply({ ...model.filter, text: before.text });
      box.dispose();
      resolve();
    });
    box.show();
  });
}

/** Action filter: which kinds of rows to show. Picking none or all clears it. */
export async function pickActions(model: TreeModel, apply: Apply): Promise<void> {
  const current = model.filter.kinds;
  const items = ROW_KINDS.map((rowKind) => ({ label: kindName(rowKind), rowKind, picked: current === null || current.includes(rowKind) }));
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, title: vscode.l10n.t('Show These Actions') });
  if (!picked) return;
  const kinds: RowKind[] = picked.map((p) => p.rowKind);
  apply({ ...model.filter, kinds: kinds.length === 0 || kinds.length === ROW_KINDS.length ? null : kinds });
}

/** Time filter: recent ranges, a typed range, or any time. */
export async function pickTime(model: TreeModel, apply: Apply): Promise<void> {
  const now = Date.now();
  const min = 60_000;
  type Item = vscode.QuickPickItem & { range?: [number | null, number | null]; custom?: boolean };
  const items: Item[] = [
    { label: vscode.l10n.t('Last 15 minutes'), range: [now - 15 * min, null] },
    { label: vscode.l10n.t('Last hour'), range: [now - 60 * min, null] },
    { label: vscode.l10n.t('Last 24 hours'), range: [now - 24 * 60 * min, null] },
    { label: vscode.l10n.t('Last 7 days'), range: [now - 7 * 24 * 60 * min, null] },
    { label: vscode.l10n.t('Custom range…'), custom: true },
    { label: vscode.l10n.t('Any time'), range: [null, null] },
  ];
  const f = model.filter;
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Show Events From'),
    placeHolder: f.since !== null || f.until !== null ? timeRangeText(f.since, f.until) : vscode.l10n.t('any time'),
  });
  if (!pick) return;
  if (pick.range) {
    apply({ ...model.filter, since: pick.range[0], until: pick.range[1] });
    return;
  }
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Custom Time Range'),
    prompt: vscode.l10n.t('FROM or FROM to TO, in local time (2026-11-28 02:41:30, 11/28/2026 02:41, today, yesterday…)'),
    value: f.since !== null ? `${localTime(f.since)}${f.until !== null ? ` to ${localTime(f.until)}` : ''}` : '',
    validateInput: (v) => (parseTimeRange(v) ? undefined : vscode.l10n.t('Not a time range: write FROM or FROM to TO')),
  });
  const range = text !== undefined ? parseTimeRange(text) : null;
  if (range) apply({ ...model.filter, since: range.since, until: range.until });
}

/** The "Filter…" menu: every filter with its current value, and Clear Filters. */
export async function pickFilter(model: TreeModel, apply: Apply): Promise<void> {
  const f = model.filter;
  type Item = vscode.QuickPickItem & { run: () => Promise<void> | void };
  const items: Item[] = [
    { label: `$(search) ${vscode.l10n.t('Text…')}`, description: f.text || undefined, run: () => pickText(model, apply) },
    {
      label: `$(list-filter) ${vscode.l10n.t('Actions…')}`,
      description: f.kinds ? f.kinds.map(kindName).join(', ') : undefined,
      run: () => pickActions(model, apply),
    },
    {
      label: `$(error) ${f.failedOnly ? vscode.l10n.t('Show All Outcomes') : vscode.l10n.t('Failed Attempts Only')}`,
      run: () => apply({ ...model.filter, failedOnly: !f.failedOnly }),
    },
    {
      label: `$(calendar) ${vscode.l10n.t('Time Range…')}`,
      description: f.since !== null || f.until !== null ? timeRangeText(f.since, f.until) : undefined,
      run: () => pickTime(model, apply),
    },
  ];
  const summary = filterSummary(model);
  if (summary) items.push({ label: `$(clear-all) ${vscode.l10n.t('Clear Filters')}`, description: summary, run: () => apply({ ...model.filter, text: '', kinds: null, failedOnly: false, since: null, until: null }) });
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Filter Audit Events'), placeHolder: summary || vscode.l10n.t('No filter') });
  await pick?.run();
}
