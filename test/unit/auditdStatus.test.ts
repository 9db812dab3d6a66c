/**
 * The advice under "Show auditd Status" (src/helper/auditdStatus.ts): plain Node, no VS Code.
 * The e2e suite shows it in a real terminal; these cover the states a test machine cannot be put in safely.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { adviseOnStatus, parseAuditctlStatus, processName, resolveExecutable } from '../../src/helper/auditdStatus';

const running = 'enabled 1\nfailure 1\npid 4058\nrate_limit 0\nbacklog_limit 64\nlost 0\nbacklog 0\nbacklog_wait_time 15000\n';
/** A process table where pid 4058 is auditd. */
const auditdAt4058 = (pid: number) => (pid === 4058 ? 'auditd' : null);

test('parses auditctl -s into key/value pairs, keeping multi-word values', () => {
  const s = parseAuditctlStatus(`${running}loginuid_immutable 0 unlocked\r\n`);
  assert.equal(s.get('pid'), '4058');
  assert.equal(s.get('backlog_limit'), '64');
  assert.equal(s.get('loginuid_immutable'), '0 unlocked');
});

test('says auditd runs when pid is set and auditing is enabled', () => {
  assert.deepEqual(adviseOnStatus(running, 0, auditdAt4058), [{ severity: 'ok', text: 'auditd is running (pid 4058) and auditing is enabled.' }]);
});

test('sees through a stale pid: the kernel keeps naming a killed auditd until it next has a record to send', () => {
  const a = adviseOnStatus(running, 0, () => null);
  assert.equal(a[0].severity, 'error');
  assert.match(a[0].text, /auditd is not running: pid 4058, which the kernel still names, has ended.*start it with `auditd`/);
  assert.ok(!a.some((x) => x.severity === 'ok'));
});

test('names another collector holding the audit pid instead of calling it auditd', () => {
  const a = adviseOnStatus(running, 0, () => 'auditbeat');
  assert.deepEqual(a.map((x) => x.severity), ['warning']);
  assert.match(a[0].text, /pid 4058 \(auditbeat\), not to auditd/);
});

test('trusts the pid when /proc cannot tell (hidepid)', () => {
  assert.equal(adviseOnStatus(running, 0, () => undefined)[0].severity, 'ok');
});

test('reads process names from /proc, null for a pid that does not exist, undefined where /proc hides processes', () => {
  assert.equal(processName(process.pid), 'node');
  const root = mkdtempSync(path.join(tmpdir(), 'al-proc-'));
  try {
    assert.equal(processName(4058, root), undefined, 'no /proc/1: nothing can be concluded');
    mkdirSync(path.join(root, '1'));
    writeFileSync(path.join(root, '1', 'comm'), 'init\n');
    mkdirSync(path.join(root, '4058'));
    writeFileSync(path.join(root, '4058', 'comm'), 'auditd\n');
    writeFileSync(path.join(root, '4058', 'stat'), '4058 (auditd) S 1 4058 4058 0 -1 4194624\n');
    assert.equal(processName(4058, root), 'auditd');
    assert.equal(processName(4059, root), null);
    // Killed, not yet reaped: the entry stays, the daemon is gone. A name with ") Z" in it does not fool it.
    writeFileSync(path.join(root, '4058', 'stat'), '4058 (auditd) Z 1 4058 4058 0 -1 4194624\n');
    assert.equal(processName(4058, root), null);
    mkdirSync(path.join(root, '77'));
    writeFileSync(path.join(root, '77', 'comm'), 'a) Z b\n');
    writeFileSync(path.join(root, '77', 'stat'), '77 (a) Z b) S 1 77 77 0 -1 0\n');
    assert.equal(processName(77, root), 'a) Z b');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('tells how to start auditd when pid is 0', () => {
  const a = adviseOnStatus(running.replace('pid 4058', 'pid 0'), 0, auditdAt4058);
  assert.equal(a[0].severity, 'error');
  assert.match(a[0].text, /auditd is not running: start it with `auditd`.*`systemctl start auditd`/);
  assert.ok(!a.some((x) => x.severity === 'ok'));
});

test('tells how to enable auditing when enabled is 0, and warns when the configuration is locked', () => {
  assert.match(adviseOnStatus(running.replace('enabled 1', 'enabled 0'), 0, auditdAt4058)[0].text, /auditctl -e 1/);
  assert.ok(adviseOnStatus(running.replace('enabled 1', 'enabled 2'), 0, auditdAt4058).some((x) => x.severity === 'warning' && /locked/.test(x.text)));
});

test('suggests a bigger backlog when the kernel lost records', () => {
  const a = adviseOnStatus(running.replace('lost 0', 'lost 17'), 0, auditdAt4058);
  assert.ok(a.some((x) => x.severity === 'warning' && /dropped 17 audit records/.test(x.text) && /auditctl -b 8192/.test(x.text)));
});

test('explains a refused or failed auditctl instead of parsing its error text', () => {
  assert.match(adviseOnStatus('Error sending status request (Operation not permitted)\n', 1)[0].text, /auditctl needs root/);
  assert.match(adviseOnStatus('sudo: 3 incorrect password attempts\n', 1)[0].text, /sudo did not accept the password/);
  assert.match(adviseOnStatus('', 2)[0].text, /auditctl failed \(exit code 2\)/);
});

test('finds executables by absolute path or in the system directories only (never PATH), and rejects missing or non-executable ones', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'al-exe-'));
  try {
    const exe = path.join(dir, 'tool');
    writeFileSync(exe, '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    const plain = path.join(dir, 'data');
    writeFileSync(plain, 'x');
    assert.equal(resolveExecutable(exe), exe);
    assert.equal(resolveExecutable('tool', [dir]), exe);
    assert.equal(resolveExecutable(plain), undefined);
    assert.equal(resolveExecutable('/nonexistent/auditctl'), undefined);
    assert.equal(resolveExecutable('no-such-tool-here', [dir]), undefined);
    // A program named like a system one, first in PATH, is not what a bare name resolves to.
    const fake = path.join(dir, 'auditctl');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${savedPath ?? ''}`;
    try {
      const found = resolveExecutable('auditctl');
      assert.notEqual(found, fake);
      if (found) assert.match(found, /^\/(usr\/)?s?bin\/auditctl$/);
      assert.equal(resolveExecutable('tool'), undefined);
    } finally {
      process.env.PATH = savedPath;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
