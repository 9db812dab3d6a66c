/**
 * How each node of the tree model reads: label, description, icon, context value, expansion, click command and
 * (lazily) tooltip. Pure (no `vscode` import): provider.ts maps an ItemSpec onto a TreeItem one to one, the unit
 * tests check what users read, and the bench times it.
 */
import { Commands, ContextValues } from '../constants';
import { markdownText, shown } from './escape';
import type { AuditEvent, DiagnosticKind } from '../core/types';
import { eventRow, eventTooltip, isRecent, localTime, processLabel, relativeTime, ROW_KINDS, splitPath, userName, type RowKind } from './eventRows';
import { l10n } from './l10n';
import { PAGE_SIZE, TreeModel, type ModelNode, type OriginInfo } from './model';
import type { HealthIssue } from './sink';
import type { TimelineData } from './timelineProtocol';

/** A codicon id and an optional theme color id. */
export interface IconSpec {
  id: string;
  color?: string;
}

/** Everything a TreeItem needs, as plain data. */
export interface ItemSpec {
  label: string;
  description?: string;
  icon?: IconSpec;
  contextValue?: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  command?: { command: string; title: string; arguments?: unknown[] };
  /** Screen-reader text (the label and description would be read apart otherwise). */
  accessibilityLabel?: string;
}

/** Icons by kind; the timeline uses the same colors. */
export const KIND_ICONS: Record<RowKind, IconSpec> = {
  deleted: { id: 'trash', color: 'charts.red' },
  folderDeleted: { id: 'folder', color: 'charts.orange' },
  renamed: { id: 'arrow-right', color: 'charts.blue' },
  replaced: { id: 'replace', color: 'charts.purple' },
  // Yellow, not red: a failed attempt is a warning (the file is still there), and it matches its timeline bars.
  failed: { id: 'error', color: 'charts.yellow' },
  watchRemoved: { id: 'eye-closed', color: 'editorWarning.foreground' },
  other: { id: 'circle-outline' },
};

const KIND_CONTEXT: Record<RowKind, string> = {
  deleted: ContextValues.Deleted,
  folderDeleted: ContextValues.FolderDeleted,
  renamed: ContextValues.Renamed,
  replaced: ContextValues.Replaced,
  failed: ContextValues.Failed,
  watchRemoved: ContextValues.WatchRemoved,
  other: ContextValues.Other,
};

/** The kinds in words (filters, the timeline legend, counts). */
export function kindName(kind: RowKind): string {
  switch (kind) {
    case 'deleted':
      return l10n.t('Deleted');
    case 'folderDeleted':
      return l10n.t('Folder deleted');
    case 'renamed':
      return l10n.t('Renamed away');
    case 'replaced':
      return l10n.t('Replaced');
    case 'failed':
      return l10n.t('Failed attempt');
    case 'watchRemoved':
      return l10n.t('Watch removed');
    default:
      return l10n.t('Other');
  }
}

/** A count of one kind, for sentences: `7 deleted`, `3 folders deleted`, `1 failed attempt`. */
export function kindCount(kind: RowKind, n: number): string {
  switch (kind) {
    case 'deleted':
      return l10n.t('{0} deleted', n);
    case 'folderDeleted':
      return n === 1 ? l10n.t('1 folder deleted') : l10n.t('{0} folders deleted', n);
    case 'renamed':
      return l10n.t('{0} renamed away', n);
    case 'replaced':
      return l10n.t('{0} replaced', n);
    case 'failed':
      return n === 1 ? l10n.t('1 failed attempt') : l10n.t('{0} failed attempts', n);
    case 'watchRemoved':
      return n === 1 ? l10n.t('1 watch removed') : l10n.t('{0} watches removed', n);
    default:
      return l10n.t('{0} other', n);
  }
}

/** "1 event" / "12 events". */
export function eventCount(n: number): string {
  return n === 1 ? l10n.t('1 event') : l10n.t('{0} events', n);
}

/** A diagnostic kind and its count in words. */
export function diagnosticText(kind: DiagnosticKind, count: number): string {
  switch (kind) {
    case 'lost-events':
      return count === 1 ? l10n.t('about 1 event lost (the kernel dropped it)') : l10n.t('about {0} events lost (the kernel dropped them)', count);
    case 'unreadable-input':
      return count === 1 ? l10n.t('1 input could not be read') : l10n.t('{0} inputs could not be read', count);
    case 'malformed-line':
      return count === 1 ? l10n.t('1 line is not an audit record') : l10n.t('{0} lines are not audit records', count);
    case 'invalid-utf8':
      return count === 1 ? l10n.t('1 line is not valid UTF-8') : l10n.t('{0} lines are not valid UTF-8', count);
    case 'truncated-line':
      return count === 1 ? l10n.t('1 line is cut short') : l10n.t('{0} lines are cut short', count);
    case 'oversized-line':
      return count === 1 ? l10n.t('1 line is too long to read') : l10n.t('{0} lines are too long to read', count);
    case 'duplicate-record':
      return count === 1 ? l10n.t('1 record appears twice') : l10n.t('{0} records appear twice', count);
    case 'late-record':
      return count === 1 ? l10n.t('1 record came too late to join its event') : l10n.t('{0} records came too late to join their event', count);
  }
}

/** What a health issue's row offers to do. */
export function issueAction(issue: HealthIssue): string {
  switch (issue.kind) {
    case 'auditd-missing':
      return l10n.t('Show auditd Status');
    case 'auditd-stopped':
      return l10n.t('Start auditd');
    case 'helper-disconnected':
      return l10n.t('Resume Watching');
    case 'lost-events':
      return l10n.t('Raise the Backlog…');
    case 'leftover-rules':
      return l10n.t('Remove Leftover Rules');
  }
}

function watchStateText(o: OriginInfo): string | undefined {
  const w = o.watch;
  if (!w) return undefined;
  switch (w.state) {
    case 'starting':
      return l10n.t('starting');
    case 'armed':
      return l10n.t('watching');
    case 'folder-deleted':
      return l10n.t('folder deleted');
    case 're-armed':
      return l10n.t('watching again');
    case 'stopped':
      return l10n.t('stopped');
    case 'error':
      return l10n.t('error');
  }
}

/** Groups of at most this many events open by themselves, in a tree of at most PAGE_SIZE events. */
const OPEN_BY_ITSELF = 50;

/** The ItemSpec of a node. `now` is the clock for relative times. */
export function present(node: ModelNode, model: TreeModel, now: number): ItemSpec {
  // In a big tree only the top folder opens by itself: 500 small groups opening at once would be 10 000 rows.
  const opens = (n: number): 'expanded' | 'collapsed' => (n <= OPEN_BY_ITSELF && model.matching <= PAGE_SIZE ? 'expanded' : 'collapsed');
  switch (node.type) {
    case 'issue':
      return {
        label: shown(node.issue.message),
        description: issueAction(node.issue),
        icon: node.issue.kind === 'lost-events' ? { id: 'warning', color: 'editorWarning.foreground' } : { id: 'error', color: 'errorForeground' },
        contextValue: ContextValues.Health,
        collapsible: 'none',
        command: { command: Commands.EventsFixIssue, title: issueAction(node.issue), arguments: [node] },
      };
    case 'diagnostic': {
      const label = `${shown(TreeModel.originLabel(node.origin))}: ${diagnosticText(node.kind, node.count)}`;
      return {
        label,
        description: node.kind === 'lost-events' ? l10n.t('How to stop losing events') : l10n.t('Show Log'),
        icon: { id: 'warning', color: 'editorWarning.foreground' },
        contextValue: ContextValues.Health,
        collapsible: 'none',
        command: { command: Commands.EventsFixIssue, title: label, arguments: [node] },
      };
    }
    case 'origin': {
      const o = node.origin;
      // A watched folder's row leads with its name: a long absolute path would be cut before it in a narrow sidebar.
      const at = o.origin.kind === 'watch' ? splitPath(o.origin.folder) : undefined;
      const parts = [eventCount(node.count), watchStateText(o), o.status, at?.name ? l10n.t('in {0}', shown(at.folder)) : undefined].filter((x): x is string => !!x);
      if (node.count === 0 && o.watch) parts[0] = l10n.t('no deletions yet');
      const icon: IconSpec =
        o.origin.kind === 'watch'
          ? o.watch?.state === 'error' || o.watch?.state === 'folder-deleted'
            ? { id: 'eye-closed', color: 'editorWarning.foreground' }
            : !o.watch || o.watch.state === 'stopped'
              ? { id: 'eye-closed' }
              : { id: 'eye' }
          : o.origin.kind === 'search'
            ? { id: 'search' }
            : { id: 'file' };
      return {
        label: at?.name ? shown(at.name) : shown(TreeModel.originLabel(o)),
        description: parts.join(' · '),
        icon,
        contextValue: ContextValues.Origin,
        collapsible: node.count > 0 ? 'expanded' : 'none',
      };
    }
    case 'folder':
      return {
        label: shown(node.label),
        description: [eventCount(node.idx.count), node.deleted ? l10n.t('folder deleted') : undefined].filter(Boolean).join(' · '),
        icon: { id: 'folder' },
        contextValue: ContextValues.Folder,
        // The top folder of a source is always open; deeper ones when they are small enough to read at a glance.
        collapsible: node.depth === 0 ? 'expanded' : opens(node.idx.count),
      };
    case 'exe':
      return {
        label: shown(node.idx.exe.slice(node.idx.exe.lastIndexOf('/') + 1) || node.idx.exe),
        description: `${shown(node.idx.exe)} · ${eventCount(node.idx.count)}`,
        icon: { id: 'gear' },
        contextValue: ContextValues.Executable,
        collapsible: opens(node.idx.count),
      };
    case 'pid': {
      const ev = node.idx.sample;
      const argv = ev.process.argv?.join(' ') ?? ev.process.comm ?? '';
      return {
        label: l10n.t('pid {0}', ev.process.pid ?? '?'),
        // The command line last: it can be long, and a narrow sidebar cuts the end.
        description: [eventCount(node.idx.events.size), shown(userName(ev)), relativeTime(node.idx.latest, now), shown(argv)].filter(Boolean).join(' · '),
        icon: { id: 'terminal' },
        contextValue: ContextValues.Process,
        collapsible: opens(node.idx.events.size),
      };
    }
    case 'bucket': {
      const n = node.to - node.from;
      return {
        label: timeRangeText(node.start, node.end, node.width),
        description: eventCount(n),
        icon: { id: 'history' },
        contextValue: ContextValues.TimeBucket,
        collapsible: opens(n),
      };
    }
    case 'event': {
      const row = eventRow(node.entry.event, now, model.grouping !== 'folder');
      const src = node.entry.event.source;
      return {
        label: row.label,
        description: row.description,
        icon: KIND_ICONS[row.kind],
        contextValue: KIND_CONTEXT[row.kind],
        collapsible: 'collapsed',
        // A click shows the raw records: the evidence is one click away.
        command: src.file === '-' ? undefined : { command: Commands.EventsRevealRecords, title: l10n.t('Reveal Raw Records'), arguments: [node] },
        accessibilityLabel: `${kindName(row.kind)}: ${row.label}, ${row.description}`,
      };
    }
    case 'chain': {
      const p = node.entry.event.process;
      if (node.level === 0) {
        return {
          label: shown(processLabel(node.entry.event)),
          description: shown(p.argv?.join(' ') ?? p.comm ?? ''),
          icon: { id: 'terminal' },
          contextValue: ContextValues.ProcessChain,
          collapsible: 'none',
        };
      }
      const parent = p.parents?.[node.level - 1];
      if (!parent) {
        return {
          label: l10n.t('parent pid {0}', p.ppid ?? '?'),
          description: l10n.t('not in the log'),
          icon: { id: 'arrow-up' },
          contextValue: ContextValues.ProcessChain,
          collapsible: 'none',
        };
      }
      const name = parent.exe ? parent.exe.slice(parent.exe.lastIndexOf('/') + 1) : (parent.comm ?? '?');
      return {
        label: shown(`${name} (${parent.pid})`),
        description: shown(parent.argv?.join(' ') ?? parent.comm ?? ''),
        icon: { id: 'arrow-up' },
        contextValue: ContextValues.ProcessChain,
        collapsible: 'none',
      };
    }
    case 'more': {
      const next = Math.min(500, node.remaining);
      return {
        label: l10n.t('Load {0} more ({1} remaining)', next, node.remaining),
        icon: { id: 'ellipsis' },
        contextValue: ContextValues.LoadMore,
        collapsible: 'none',
        command: { command: Commands.EventsLoadMore, title: l10n.t('Load More'), arguments: [node] },
      };
    }
    case 'noMatch':
      return {
        label: l10n.t('No events match the filter'),
        description: filterSummary(model),
        icon: { id: 'filter' },
        contextValue: ContextValues.NoMatch,
        collapsible: 'none',
        command: { command: Commands.EventsClearFilter, title: l10n.t('Clear Filters') },
      };
  }
}

/**
 * `present()` with a memory for event rows, the bulk of any big level: VS Code asks again for every row of a level
 * after each "Load more". A row is rebuilt when its event was replaced (a better version arrived) or, for events
 * young enough to say "5 min ago", when the render clock moved.
 */
export class Presenter {
  private readonly cache = new WeakMap<ModelNode, { event: AuditEvent; spec: ItemSpec; now: number }>();

  constructor(private readonly model: TreeModel) {}

  /** The ItemSpec of a node at render clock `now`. */
  item(node: ModelNode, now: number): ItemSpec {
    if (node.type !== 'event') return present(node, this.model, now);
    const event = node.entry.event;
    const hit = this.cache.get(node);
    if (hit && hit.event === event && (hit.now === now || !isRecent(event.timeMs, now))) return hit.spec;
    const spec = present(node, this.model, now);
    this.cache.set(node, { event, spec, now });
    return spec;
  }
}

/** The tooltip of a node as Markdown (built only when hovered), or undefined for none. */
export function tooltipOf(node: ModelNode, now: number): string | undefined {
  switch (node.type) {
    case 'event':
      return eventTooltip(node.entry.event, now);
    case 'folder':
      return `**${markdownText(node.idx.path)}**\n\n${markdownText(eventCount(node.idx.count))}`;
    case 'issue':
      return markdownText(node.issue.message);
    case 'diagnostic': {
      const d = node.first;
      const where = d.source ? `${d.source.file}:${d.source.line}` : '';
      return [markdownText(diagnosticText(node.kind, node.count)), markdownText(l10n.t('First: {0}', `${where ? `${where}: ` : ''}${d.message}`))].join('\n\n');
    }
    case 'origin': {
      const o = node.origin;
      const lines = o.origin.kind === 'watch' ? [o.origin.folder, `key ${o.origin.key}`] : o.origin.files;
      if (o.watch?.message) lines.push(o.watch.message);
      if (o.watch?.lost) lines.push(l10n.t('{0} events lost while watching', o.watch.lost));
      return lines.map(markdownText).join('  \n');
    }
    case 'chain': {
      const p = node.entry.event.process;
      const a = node.level === 0 ? p : p.parents?.[node.level - 1];
      if (!a) return undefined;
      return [a.exe ?? a.comm ?? '?', a.argv?.join(' ') ?? ''].filter(Boolean).map(markdownText).join('  \n');
    }
    default:
      return undefined;
  }
}

/** The active filter in words (`text "rm" · failed attempts only · 02:00–03:00`), empty when none. */
export function filterSummary(model: TreeModel): string {
  const f = model.filter;
  const parts: string[] = [];
  if (f.text) parts.push(l10n.t('text "{0}"', shown(f.text)));
  if (f.failedOnly) parts.push(l10n.t('failed attempts only'));
  if (f.kinds) parts.push(f.kinds.map(kindName).join(', '));
  if (f.since !== null || f.until !== null) parts.push(timeRangeText(f.since, f.until));
  return parts.join(' · ');
}

/**
 * A time range in local time, `from … to`, with open ends said so. With a bucket width (an index into
 * BUCKET_WIDTHS), only the parts that matter: `2026-11-28`, `2026-11-28 02:00–03:00`, `02:41–02:42`, `02:41:38`.
 */
export function timeRangeText(since: number | null, until: number | null, width?: number): string {
  if (since !== null && width !== undefined) {
    const a = localTime(since);
    const b = localTime(until ?? since);
    if (width === 0) return a.slice(0, 10);
    if (width === 1) return `${a.slice(0, 13)}:00–${b.slice(11, 13)}:00`;
    if (width === 2) return `${a.slice(0, 16)}–${b.slice(11, 16)}`;
    return a;
  }
  if (since !== null && until !== null) return l10n.t('{0} to {1}', instant(since), instant(until));
  if (since !== null) return l10n.t('since {0}', instant(since));
  if (until !== null) return l10n.t('before {0}', instant(until));
  return l10n.t('any time');
}

/** Local time, with milliseconds when the instant is not on a whole second (a timeline bar narrower than 1 s). */
function instant(ms: number): string {
  return ms % 1000 === 0 ? localTime(ms) : `${localTime(ms)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
}

/** The view's description: counts and the active filter (`12 of 340 events · text "rm"`). */
export function viewDescription(model: TreeModel): string {
  if (model.total === 0) return '';
  const filter = filterSummary(model);
  const counts = filter ? l10n.t('{0} of {1} events', model.matching, model.total) : eventCount(model.total);
  return filter ? `${counts} · ${filter}` : counts;
}

/**
 * Bar fills by kind: VS Code's chart colors, so the chart follows the theme. Failed attempts are hatched: the themes'
 * yellow and orange are too close to tell apart in a thin bar (folder deleted beside failed attempt).
 */
const KIND_COLORS: Record<RowKind, string> = {
  deleted: 'var(--vscode-charts-red)',
  folderDeleted: 'var(--vscode-charts-orange)',
  renamed: 'var(--vscode-charts-blue)',
  replaced: 'var(--vscode-charts-purple)',
  failed: 'repeating-linear-gradient(135deg, var(--vscode-charts-yellow) 0 3px, transparent 3px 5px)',
  watchRemoved: 'var(--vscode-charts-green)',
  other: 'var(--vscode-charts-foreground)',
};

/** A bucket width in words: `10 s`, `5 min`, `3 h`, `1 d`. */
export function widthText(ms: number): string {
  if (ms < 1000) return l10n.t('{0} ms', ms);
  const s = ms / 1000;
  if (s < 60) return l10n.t('{0} s', s);
  if (s < 3600) return l10n.t('{0} min', s / 60);
  if (s < 86400) return l10n.t('{0} h', s / 3600);
  return l10n.t('{0} d', s / 86400);
}

/** What the timeline draws for the model's matching events (see timelineProtocol.ts). */
export function timelineData(model: TreeModel, maxBars = 60): TimelineData {
  const t = model.timeline(maxBars);
  const present = ROW_KINDS.filter((k) => t.buckets.some((b) => (b.counts[k] ?? 0) > 0));
  const zoomed = t.since !== null || t.until !== null;
  const data: TimelineData = {
    kinds: present.map((k) => ({ kind: k, label: kindName(k), color: KIND_COLORS[k] })),
    bars: t.buckets.map((b) => ({
      start: b.start,
      end: b.end,
      counts: present.map((k) => b.counts[k] ?? 0),
      total: b.total,
      label: `${instant(b.start)} – ${instant(b.end)}: ${
        b.total === 0 ? l10n.t('no events') : present.filter((k) => b.counts[k]).map((k) => kindCount(k, b.counts[k]!)).join(', ')
      }`,
    })),
    from: t.buckets.length ? instant(t.buckets[0].start) : '',
    to: t.buckets.length ? instant(t.buckets[t.buckets.length - 1].end) : '',
    summary: l10n.t('{0} · {1} per bar', eventCount(t.total), widthText(t.width)),
  };
  if (zoomed) data.resetLabel = l10n.t('Show All Times');
  if (t.total === 0) data.empty = model.total === 0 ? l10n.t('No events yet.') : l10n.t('No events match the filter');
  return data;
}
