/**
 * The advice under "Show auditd Status" (src/helper/auditdStatus.ts): plain Node, no VS Code.
 * The e2e suite shows it in a real terminal; these cover the states a test machine cannot be put in safely.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { adviseOnStatus, parseAuditctlStatus, resolveExecutable } from '../../src/helper/auditdStatus';

const running = 'enabled 1\nfailure 1\npid 4058\nrate_limit 0\nbacklog_limit 64\nlost 0\nbacklog 0\nbacklog_wait_time 15000\n';

test('parses auditctl -s into key/value pairs, keeping multi-word values', () => {
  const s = parseAuditctlStatus(`${running}loginuid_immutable 0 unlocked\r\n`);
  assert.equal(s.get('pid'), '4058');
  assert.equal(s.get('backlog_limit'), '64');
  assert.equal(s.get('loginuid_immutable'), '0 unlocked');
});

test('says auditd runs when pid is set and auditing is enabled', () => {
  assert.deepEqual(adviseOnStatus(running, 0), [{ severity: 'ok', text: 'auditd is running (pid 4058) and auditing is enabled.' }]);
});

test('tells how to start auditd when pid is 0', () => {
  const a = adviseOnStatus(running.replace('pid 4058', 'pid 0'), 0);
  assert.equal(a[0].severity, 'error');
  assert.match(a[0].text, /auditd is not running: start it with `auditd`.*`systemctl start auditd`/);
  assert.ok(!a.some((x) => x.severity === 'ok'));
});

test('tells how to enable auditing when enabled is 0, and warns when the configuration is locked', () => {
  assert.match(adviseOnStatus(running.replace('enabled 1', 'enabled 0'), 0)[0].text, /auditctl -e 1/);
  assert.ok(adviseOnStatus(running.replace('enabled 1', 'enabled 2'), 0).some((x) => x.severity === 'warning' && /locked/.test(x.text)));
});

test('suggests a bigger backlog when the kernel lost records', () => {
  const a = adviseOnStatus(running.replace('lost 0', 'lost 17'), 0);
  assert.ok(a.some((x) => x.severity === 'warning' && /dropped 17 audit records/.test(x.text) && /auditctl -b 8192/.test(x.text)));
});

test('explains a refused or failed auditctl instead of parsing its error text', () => {
  assert.match(adviseOnStatus('Error sending status request (Operation not permitted)\n', 1)[0].text, /auditctl needs root/);
  assert.match(adviseOnStatus('sudo: 3 incorrect password attempts\n', 1)[0].text, /sudo did not accept the password/);
  assert.match(adviseOnStatus('', 2)[0].text, /auditctl failed \(exit code 2\)/);
});

test('finds executables by absolute path or in PATH plus the sbin directories, and rejects missing or non-executable ones', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-exe-'));
  try {
    const exe = path.join(dir, 'tool');
    writeFileSync(exe, '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    const plain = path.join(dir, 'data');
    writeFileSync(plain, 'x');
    assert.equal(resolveExecutable(exe), exe);
    assert.equal(resolveExecutable('tool', dir), exe);
    assert.equal(resolveExecutable(plain), undefined);
    assert.equal(resolveExecutable('/nonexistent/auditctl'), undefined);
    assert.equal(resolveExecutable('no-such-tool-here', dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
