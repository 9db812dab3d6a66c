/**
 * The stale audit pid, for real: a SIGKILLed auditd cannot unregister, and the kernel keeps naming it in
 * `auditctl -s` until it next fails to send a record. Show auditd Status and scripts/setup.sh must see through it.
 * Kills and restarts the machine's auditd, so it runs as root only, one test at a time with the other
 * integration tests.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { adviseOnStatus, parseAuditctlStatus, processName } from '../../src/helper/auditdStatus';

// Under systemd a killed auditd is restarted by its unit, not by setup.sh: the trap is tested where nothing does that.
const SKIP =
  process.getuid?.() !== 0 ? 'needs root and a running auditd' : existsSync('/run/systemd/system') ? 'auditd is managed by systemd here' : false;

const status = () => execFileSync('auditctl', ['-s'], { encoding: 'utf8' });
const auditPid = () => Number(parseAuditctlStatus(status()).get('pid'));

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a SIGKILLed auditd leaves a stale pid that Show auditd Status reports and setup.sh replaces', { skip: SKIP }, async () => {
  const before = auditPid();
  assert.ok(before > 0 && processName(before) === 'auditd', `auditd runs before the test (pid ${before})`);
  try {
    process.kill(before, 'SIGKILL');
    await waitFor(`pid ${before} to end`, () => processName(before) === null);
    // Nothing has been sent since, so the kernel still names the dead daemon (this is the trap).
    const stale = status();
    assert.equal(Number(parseAuditctlStatus(stale).get('pid')), before, 'the kernel still names the killed auditd');
    const advice = adviseOnStatus(stale, 0);
    assert.equal(advice[0].severity, 'error');
    assert.match(advice[0].text, new RegExp(`auditd is not running: pid ${before}, which the kernel still names, has ended`));

    const out = execFileSync('bash', ['scripts/setup.sh'], { encoding: 'utf8' });
    assert.match(out, /setup: starting auditd/);
    const after = auditPid();
    assert.ok(after > 0 && after !== before, `a new auditd is registered (pid ${after})`);
    assert.equal(processName(after), 'auditd');
    assert.equal(adviseOnStatus(status(), 0)[0].severity, 'ok');
  } finally {
    // Whatever happened above, leave a live auditd for the tests after this one.
    const pid = auditPid();
    if (!(pid > 0 && processName(pid) === 'auditd')) execFileSync('auditd');
    await waitFor('auditd to register', () => processName(auditPid()) === 'auditd');
  }
});
