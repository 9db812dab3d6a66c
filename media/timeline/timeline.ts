/**
 * The timeline webview: bars of events over time, stacked by kind. Draws with the DOM only (no library, no CDN);
 * every text arrives from the host in a message and is set with textContent. A click on a bar asks the host to
 * filter the tree to that bar's interval.
 */
import type { FromTimeline, TimelineData, ToTimeline } from '../../src/views/timelineProtocol';

declare function acquireVsCodeApi(): { postMessage(m: FromTimeline): void };

const vscode = acquireVsCodeApi();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const root = document.getElementById('root')!;

function render(data: TimelineData): void {
  root.replaceChildren();
  const head = el('div', 'head');
  head.append(el('span', 'summary', data.summary));
  if (data.resetLabel) {
    const reset = el('button', 'reset', data.resetLabel);
    reset.addEventListener('click', () => vscode.postMessage({ type: 'reset' }));
    head.append(reset);
  }
  root.append(head);
  if (data.empty) {
    root.append(el('div', 'empty', data.empty));
    return;
  }
  const chart = el('div', 'chart');
  chart.setAttribute('role', 'group');
  chart.setAttribute('aria-label', data.summary);
  const max = Math.max(1, ...data.bars.map((b) => b.total));
  for (const bar of data.bars) {
    const b = el('button', 'bar');
    b.title = bar.label;
    b.setAttribute('aria-label', bar.label);
    b.dataset.start = String(bar.start);
    b.dataset.end = String(bar.end);
    b.dataset.total = String(bar.total);
    if (bar.total === 0) b.disabled = true;
    const stack = el('span', 'stack');
    // Heights through the CSSOM (allowed by the CSP, unlike inline style attributes).
    stack.style.height = `${(bar.total / max) * 100}%`;
    bar.counts.forEach((n, i) => {
      if (n === 0) return;
      const seg = el('span', 'seg');
      seg.style.flexGrow = String(n);
      seg.style.background = data.kinds[i].color;
      stack.append(seg);
    });
    b.append(stack);
    b.addEventListener('click', () => vscode.postMessage({ type: 'select', since: bar.start, until: bar.end }));
    chart.append(b);
  }
  root.append(chart);
  const axis = el('div', 'axis');
  axis.append(el('span', 'from', data.from), el('span', 'to', data.to));
  root.append(axis);
  const legend = el('div', 'legend');
  for (const k of data.kinds) {
    const item = el('span', 'key');
    const swatch = el('span', 'swatch');
    swatch.style.background = k.color;
    item.append(swatch, document.createTextNode(k.label));
    legend.append(item);
  }
  root.append(legend);
}

window.addEventListener('message', (e: MessageEvent<ToTimeline>) => {
  if (e.data?.type === 'data') render(e.data.data);
});
vscode.postMessage({ type: 'ready' });
