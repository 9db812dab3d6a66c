import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenizeLine, type Token } from '../../src/core/tokenize';

function kinds(line: string): [string, string][] {
  return tokenizeLine(line).map((t: Token) => [line.slice(t.start, t.end), t.kind]);
}

test('tokenizes the header, hex names, strings and the ENRICHED part of a real PATH record', () => {
  const line =
    'type=PATH msg=audit(1795832978.141:7): item=1 name=6120622E747874 inode=2146523 nametype=DELETE key=(null)\x1dOUID="root"';
  const k = kinds(line);
  assert.deepEqual(k.slice(0, 5), [
    ['type=', 'field'],
    ['PATH', 'type'],
    ['msg=audit(', 'field'],
    ['1795832978.141', 'time'],
    ['7', 'serial'],
  ]);
  assert.deepEqual(k.find(([t]) => t === '6120622E747874'), ['6120622E747874', 'hex']);
  assert.deepEqual(k.find(([t]) => t === '2146523'), ['2146523', 'number']);
  assert.deepEqual(k.find(([t]) => t === '(null)'), ['(null)', 'null']);
  assert.deepEqual(k.find(([t]) => t === '\x1d'), ['\x1d', 'separator']);
  assert.deepEqual(k.at(-1), ['"root"', 'enriched-value']);
});

test('marks failures and node prefixes, and flattens user-space msg payloads', () => {
  const k = kinds("node=web1 type=USER_CMD msg=audit(1.002:3): pid=1 msg='cwd=\"/root\" res=failed' success=no");
  assert.deepEqual(k[0], ['node=web1', 'node']);
  assert.ok(k.some(([t, kind]) => t === 'failed' && kind === 'failure'));
  assert.ok(k.some(([t, kind]) => t === 'no' && kind === 'failure'));
  assert.ok(k.some(([t, kind]) => t === '"/root"' && kind === 'string'));
});

test('a line that is not a record is one invalid token, never an exception', () => {
  assert.deepEqual(kinds('\x00\x01garbage'), [['\x00\x01garbage', 'invalid']]);
  assert.deepEqual(tokenizeLine(''), []);
});
