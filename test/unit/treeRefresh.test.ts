/**
 * The tree's one refresh manager (src/views/refresh.ts): debounced, bounded, and silent while the view is hidden.
 * Driven with a fake clock, so no test sleeps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RefreshManager } from '../../src/views/refresh';

function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h: unknown) => void timers.delete(h as number),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}

test('a burst of requests renders once, after the debounce delay', () => {
  const clock = fakeClock();
  let renders = 0;
  const r = new RefreshManager(() => renders++, () => true, { delayMs: 150, maxDelayMs: 1000, ...clock });
  for (let i = 0; i < 100; i++) r.request();
  clock.advance(149);
  assert.equal(renders, 0);
  clock.advance(1);
  assert.equal(renders, 1);
  clock.advance(5000);
  assert.equal(renders, 1);
});

test('a steady stream still renders at least once per maxDelay', () => {
  const clock = fakeClock();
  let renders = 0;
  const r = new RefreshManager(() => renders++, () => true, { delayMs: 150, maxDelayMs: 1000, ...clock });
  // A request every 100 ms for 3 s: a pure debounce would never fire.
  for (let t = 0; t < 3000; t += 100) {
    r.request();
    clock.advance(100);
  }
  assert.ok(renders >= 3 && renders <= 4, `${renders} renders`);
});

test('while hidden nothing renders; showing the view renders the pending change once', () => {
  const clock = fakeClock();
  let renders = 0;
  let visible = false;
  const r = new RefreshManager(() => renders++, () => visible, { delayMs: 150, maxDelayMs: 1000, ...clock });
  for (let i = 0; i < 50; i++) r.request();
  clock.advance(10_000);
  assert.equal(renders, 0);
  assert.equal(r.isPending, true);
  visible = true;
  r.flush();
  assert.equal(renders, 1);
  r.flush();
  assert.equal(renders, 1, 'nothing pending any more');
  r.dispose();
  r.request();
  clock.advance(1000);
  assert.equal(renders, 1, 'no render after dispose');
});
