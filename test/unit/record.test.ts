/** Record headers, field splitting, untrusted values, the line splitter and rotated-log order. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { LineSplitter, MAX_LINE_BYTES, rotatedOrder, type Line } from '../../src/core/lines';
import { bytesToText, eventId, eventKey, Fields, parseRecord, plainValue, splitFields, untrustedBytes } from '../../src/core/record';
import type { Diagnostic } from '../../src/core/types';

const SRC = { file: 'audit.log', line: 3, offset: 120 };
const REAL = readFileSync(join(__dirname, '..', 'fixtures', 'hostile', 'real-1.log'), 'latin1').split('\n');
const realLine = (prefix: string): string => REAL.find((l) => l.startsWith(prefix))!;
/** A real ENRICHED SYSCALL record of `rm /tmp/hl-rec/a` (serial 46). */
const SYSCALL_46 = realLine('type=SYSCALL msg=audit(1795833557.313:46)');

describe('parseRecord: the header', () => {
  test('reads type, time and serial of a real ENRICHED record and splits off the translations at \\x1d', () => {
    const r = parseRecord(SYSCALL_46, SRC)!;
    assert.equal(r.type, 'SYSCALL');
    assert.equal(r.node, null);
    assert.equal(r.time, 1795833557313);
    assert.equal(r.serial, 46);
    assert.ok(r.body.startsWith('arch=c000003e syscall=263 success=yes exit=0 a0=ffffff9c'));
    assert.ok(r.body.endsWith('key=686C5F6101686C5F62'));
    assert.ok(!r.body.includes('\x1d'));
    assert.equal(r.enriched, 'ARCH=x86_64 SYSCALL=unlinkat AUID="unset" UID="root" GID="root" EUID="root" SUID="root" FSUID="root" EGID="root" SGID="root" FSGID="root"');
    assert.equal(r.raw, SYSCALL_46);
    assert.deepEqual(r.source, SRC);
  });

  test('a RAW record (no \\x1d) has the whole rest as body and no enriched part', () => {
    const r = parseRecord('type=CWD msg=audit(1795833557.313:46): cwd="/tmp/hl-rec"', SRC)!;
    assert.equal(r.body, 'cwd="/tmp/hl-rec"');
    assert.equal(r.enriched, null);
  });

  test('takes the node name from a node= prefix (remote logging aggregator)', () => {
    const r = parseRecord('node=web-1.example type=' + SYSCALL_46.slice(5), SRC)!;
    assert.equal(r.node, 'web-1.example');
    assert.equal(r.type, 'SYSCALL');
    assert.equal(r.serial, 46);
    assert.notEqual(eventKey(r), eventKey({ ...r, node: null }));
    assert.notEqual(eventKey(r), eventKey({ ...r, node: 'db2' }));
  });

  test('scales one or two millisecond digits (a foreign writer) and rejects four', () => {
    const t = (ms: string) => parseRecord(`type=CWD msg=audit(1795833557.${ms}:46): cwd="/"`, SRC)?.time ?? null;
    assert.equal(t('313'), 1795833557313);
    assert.equal(t('3'), 1795833557300);
    assert.equal(t('31'), 1795833557310);
    assert.equal(t('007'), 1795833557007);
    assert.equal(t('3131'), null);
    assert.equal(t(''), null);
  });

  test('keeps the body of EXECVE continuation records, which start with two spaces', () => {
    const cont = REAL.find((l) => l.includes(':54):  a2[1]='))!;
    const r = parseRecord(cont, SRC)!;
    assert.equal(r.type, 'EXECVE');
    assert.ok(r.body.trimStart().startsWith('a2[1]=7878'));
    assert.equal(splitFields(r.body).get('a2[1]'), cont.slice(cont.indexOf('a2[1]=') + 6));
    assert.equal(splitFields(r.body).get('a2[1]')!.length, 7492);
  });

  test('an EOE record has an empty body', () => {
    const r = parseRecord('type=EOE msg=audit(1795833557.313:46): ', SRC)!;
    assert.equal(r.type, 'EOE');
    assert.equal(r.body, '');
  });

  const bad: [string, string][] = [
    ['type=SYSCALL msg=audit(abc:12): arch=c000003e', 'letters for the time'],
    ['type=SYSCALL arch=c000003e syscall=263', 'no msg='],
    ['type= msg=audit(1795833557.313:46): x=1', 'empty type'],
    ['msg=audit(1795833557.313:46): cwd="/"', 'no type='],
    ['type=CWD msg=audit(1795833557.313:): cwd="/"', 'empty serial'],
    ['type=CWD msg=audit(1795833557:46): cwd="/"', 'no milliseconds'],
    ['type=SYSCALL msg=audit(1795833557.313:46 arch=c000003e tty=(none)', 'no closing parenthesis before a later one'],
    ['type=syscall msg=audit(1795833557.313:46): x=1', 'lower-case type'],
    ['type=SYSCALL msg=audit(-1795833557.313:46): x=1', 'negative time'],
    ['type=SYSCALL', 'type only'],
    ['node=web1', 'node only'],
    ['', 'empty line'],
    ['\x00\x00\x00\x00', 'NUL bytes'],
  ];
  for (const [line, why] of bad) {
    test(`rejects a bad header (${why})`, () => {
      assert.equal(parseRecord(line, SRC), null);
    });
  }

  test(
    "accepts auditd's own name for record types it has no name for, `type=UNKNOWN[1420]`",
    () => {
      const r = parseRecord('type=UNKNOWN[1420] msg=audit(1795833557.313:46): subj_apparmor=unconfined', SRC);
      assert.equal(r?.type, 'UNKNOWN[1420]');
      assert.equal(r?.serial, 46);
    },
  );
});

describe('eventId', () => {
  test('is EPOCH.MS:SERIAL with the milliseconds padded to three digits', () => {
    assert.equal(eventId(null, 1795833557313, 46), '1795833557.313:46');
    assert.equal(eventId(null, 1795833557005, 7), '1795833557.005:7');
    assert.equal(eventId(null, 1795833557000, 0), '1795833557.000:0');
  });
  test('is prefixed node: when a node is present', () => {
    assert.equal(eventId('web1', 1795833557313, 4294967295), 'web1:1795833557.313:4294967295');
  });
});

describe('splitFields', () => {
  test('keeps quoted, unquoted, hex and (null) tokens raw, quotes included', () => {
    const f = splitFields('item=1 name=2F746D702F686C2D7265632F737020616365 inode=2147298 dev=fe:00 comm="rm" key=(null) tty=(none) x=');
    assert.deepEqual(Object.fromEntries(f), {
      item: '1',
      name: '2F746D702F686C2D7265632F737020616365',
      inode: '2147298',
      dev: 'fe:00',
      comm: '"rm"',
      key: '(null)',
      tty: '(none)',
      x: '',
    });
  });

  test("flattens a user-space msg='…' payload into the same map; the outer field wins on a repeated name", () => {
    const body = `pid=8800 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:setcred grantors=pam_rootok acct="nobody" exe="/usr/sbin/runuser" hostname=? addr=? terminal=? res=success pid=1'`;
    const f = splitFields(body);
    assert.equal(f.get('pid'), '8800');
    assert.equal(f.get('op'), 'PAM:setcred');
    assert.equal(f.get('acct'), '"nobody"');
    assert.equal(f.get('exe'), '"/usr/sbin/runuser"');
    assert.equal(f.get('hostname'), '?');
    assert.equal(f.get('res'), 'success');
    assert.equal(f.get('msg'), body.slice(body.indexOf("'")));
  });

  test('a quoted value may hold spaces and = signs', () => {
    const f = splitFields('a="x y=z" b=2');
    assert.equal(f.get('a'), '"x y=z"');
    assert.equal(f.get('b'), '2');
  });

  test('skips free-text tokens without =, and an unterminated quote runs to the end', () => {
    assert.deepEqual(Object.fromEntries(splitFields('text=start of things key=al_x')), { text: 'start', key: 'al_x' });
    assert.deepEqual(Object.fromEntries(splitFields('a=1 b="open c=3')), { a: '1', b: '"open c=3' });
    assert.deepEqual(Object.fromEntries(splitFields("msg='a=1 b=2")), { a: '1', b: '2', msg: "'a=1 b=2" });
  });

  test('the first occurrence of a repeated field wins', () => {
    assert.equal(splitFields('k="one" k="two"').get('k'), '"one"');
  });

  test('reads the raw value of a real SOCKADDR record whose translation is a { … } block', () => {
    const line = REAL.find((l) => l.startsWith('type=SOCKADDR'))!;
    const f = new Fields(parseRecord(line, SRC)!);
    assert.equal(f.plain('saddr'), '100000000000000000000000');
    assert.equal(f.translated('saddr_fam'), 'netlink');
  });
});

describe('Fields, plainValue, untrustedBytes, bytesToText', () => {
  const f = new Fields(parseRecord(SYSCALL_46, SRC)!);

  test('reads plain, integer, hex and translated fields of a real SYSCALL record', () => {
    assert.equal(f.plain('arch'), 'c000003e');
    assert.equal(f.int('syscall'), 263);
    assert.equal(f.int('auid'), 4294967295);
    assert.equal(f.int('arch'), null);
    assert.equal(f.hexInt('a0'), 0xffffff9c);
    assert.equal(f.hexInt('a1'), 0x561f324b3bf0);
    assert.equal(f.plain('tty'), null);
    assert.equal(f.plain('missing'), null);
    assert.equal(f.translated('SYSCALL'), 'unlinkat');
    assert.equal(f.translated('UID'), 'root');
    assert.equal(f.bytes('comm')!.toString('latin1'), 'rm');
    assert.equal(f.bytes('key')!.toString('latin1'), 'hl_a\x01hl_b');
  });

  test('hexInt keeps the low 53 bits of a 64-bit argument', () => {
    const g = new Fields(parseRecord('type=SYSCALL msg=audit(1.000:1): a3=ff30d1bd8684b30f a2=0x10 a1=', SRC)!);
    assert.equal(g.hexInt('a3'), Number(0xff30d1bd8684b30fn & 0x1fffffffffffffn));
    assert.equal(g.hexInt('a2'), null);
    assert.equal(g.hexInt('a1'), null);
  });

  test('plainValue strips quotes and maps (null), (none) and ? to null', () => {
    assert.equal(plainValue('"abc"'), 'abc');
    assert.equal(plainValue("'abc'"), 'abc');
    assert.equal(plainValue('"abc'), 'abc');
    assert.equal(plainValue('abc'), 'abc');
    assert.equal(plainValue('""'), '');
    assert.equal(plainValue('(null)'), null);
    assert.equal(plainValue('(none)'), null);
    assert.equal(plainValue('?'), null);
    assert.equal(plainValue(undefined), null);
  });

  test('untrustedBytes: quoted text is its bytes, upper-case even-length hex is decoded, anything else is taken literally', () => {
    const hex = (b: Buffer | null) => (b === null ? null : b.toString('hex'));
    assert.equal(hex(untrustedBytes('"/tmp/a b"')), Buffer.from('/tmp/a b').toString('hex'));
    assert.equal(hex(untrustedBytes('"caf\xc3\xa9"')), '636166c3a9');
    assert.equal(hex(untrustedBytes('2F746D702F626164FFFE')), '2f746d702f626164fffe');
    assert.equal(hex(untrustedBytes('2f74')), Buffer.from('2f74').toString('hex'));
    assert.equal(hex(untrustedBytes('ABC')), Buffer.from('ABC').toString('hex'));
    assert.equal(hex(untrustedBytes('"unterminated')), Buffer.from('unterminated').toString('hex'));
    assert.equal(hex(untrustedBytes('')), '');
    assert.equal(untrustedBytes('(null)'), null);
    assert.equal(untrustedBytes('(none)'), null);
    assert.equal(untrustedBytes(undefined), null);
  });

  test('bytesToText: ASCII and valid UTF-8 pass through; each byte of an invalid sequence becomes \\xNN', () => {
    const t = (...b: number[]) => bytesToText(Buffer.from(b));
    assert.deepEqual(t(0x61, 0x62), { text: 'ab', valid: true });
    assert.deepEqual(bytesToText(Buffer.from('café 😀', 'utf8')), { text: 'café 😀', valid: true });
    assert.deepEqual(t(0x62, 0x61, 0x64, 0xff, 0xfe, 0x6e), { text: 'bad\\xFF\\xFEn', valid: false });
    // A valid é next to an invalid byte survives as é.
    assert.deepEqual(t(0xc3, 0xa9, 0xe9), { text: 'é\\xE9', valid: false });
    // A UTF-16 surrogate encoded in UTF-8, an overlong '/', a cut-off 3-byte sequence.
    assert.deepEqual(t(0x61, 0xed, 0xa0, 0x80), { text: 'a\\xED\\xA0\\x80', valid: false });
    assert.deepEqual(t(0xc0, 0xaf), { text: '\\xC0\\xAF', valid: false });
    assert.deepEqual(t(0xe2, 0x82), { text: '\\xE2\\x82', valid: false });
    assert.deepEqual(t(0x00, 0x1d), { text: '\x00\x1d', valid: true });
  });
});

describe('LineSplitter', () => {
  /** Bytes with CRLF, empty lines, a non-ASCII byte, a \x1d, a line over 64 KB and a last line without newline. */
  const INPUT = Buffer.concat([
    Buffer.from(REAL.slice(0, 3).join('\n') + '\n', 'latin1'),
    Buffer.from('a\r\n\r\n\nb\xffc\x1dd\n', 'latin1'),
    Buffer.alloc(70_000, 0x78),
    Buffer.from('\n\rx\r\rlast', 'latin1'),
  ]);

  function split(chunks: Buffer[]): { lines: Line[]; diags: Diagnostic[]; position: number } {
    const lines: Line[] = [];
    const diags: Diagnostic[] = [];
    const s = new LineSplitter('f.log', (l) => lines.push(l), (d) => diags.push(d));
    for (const c of chunks) s.push(c);
    s.end();
    return { lines, diags, position: s.position };
  }

  /** Lines computed directly from the bytes, independently of the splitter. */
  function reference(buf: Buffer): Line[] {
    const out: Line[] = [];
    let start = 0;
    let n = 0;
    while (start < buf.length) {
      let end = buf.indexOf(10, start);
      const truncated = end < 0;
      if (end < 0) end = buf.length;
      n++;
      let text = buf.toString('latin1', start, end);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text !== '' || truncated) out.push({ text, source: { file: 'f.log', line: n, offset: start }, truncated });
      start = end + 1;
    }
    return out;
  }

  test('gives each line its 1-based number, its byte offset and strips one \\r before the \\n', () => {
    const { lines, diags, position } = split([INPUT]);
    assert.deepEqual(lines, reference(INPUT));
    assert.deepEqual(
      lines.slice(3, 5).map((l) => l.text),
      ['a', 'b\xffc\x1dd'],
    );
    assert.deepEqual(lines.at(-1), { text: '\rx\r\rlast', source: { file: 'f.log', line: 9, offset: INPUT.length - 8 }, truncated: true });
    assert.deepEqual(diags, []);
    assert.equal(position, INPUT.length);
  });

  test('fed one byte at a time, it gives exactly what it gives for the whole buffer', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < INPUT.length; i++) chunks.push(INPUT.subarray(i, i + 1));
    assert.deepEqual(split(chunks), split([INPUT]));
  });

  test('fed in chunks cut at random places (and at every \\r and \\n), it gives the same lines', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < INPUT.length; ) {
        const n = 1 + Math.floor(rnd() * (round % 2 ? 40 : 90_000));
        chunks.push(INPUT.subarray(i, i + n));
        i += n;
      }
      assert.deepEqual(split(chunks), split([INPUT]), `round ${round}`);
    }
    const cuts: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < INPUT.length; i++) {
      if (INPUT[i] === 10 || INPUT[i] === 13) {
        cuts.push(INPUT.subarray(from, i), INPUT.subarray(i, i + 1));
        from = i + 1;
      }
    }
    cuts.push(INPUT.subarray(from));
    assert.deepEqual(split(cuts), split([INPUT]));
  });

  test('push(buf, len) uses only the first len bytes of a reused buffer', () => {
    const lines: string[] = [];
    const s = new LineSplitter('f', (l) => lines.push(l.text), () => {});
    const buf = Buffer.from('one\ntw\nGARBAGE');
    s.push(buf, 6);
    s.push(Buffer.from('o\n'));
    s.end();
    assert.deepEqual(lines, ['one', 'two']);
  });

  test('continues numbering from a start offset and line (a live tail resuming a file)', () => {
    const lines: Line[] = [];
    const s = new LineSplitter('f', (l) => lines.push(l), () => {}, 1000, 41);
    s.push(Buffer.from('x\ny\n'));
    assert.deepEqual(
      lines.map((l) => l.source),
      [
        { file: 'f', line: 42, offset: 1000 },
        { file: 'f', line: 43, offset: 1002 },
      ],
    );
    assert.equal(s.position, 1004);
  });

  test('a line over MAX_LINE_BYTES fed in small chunks is skipped and reported once with its line and offset', () => {
    const big = Buffer.concat([Buffer.from('first\n'), Buffer.alloc(MAX_LINE_BYTES + 10, 0x41), Buffer.from('\nafter\n')]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length; i += 65536) chunks.push(big.subarray(i, i + 65536));
    const { lines, diags } = split(chunks);
    assert.deepEqual(
      lines.map((l) => [l.text, l.source.line, l.source.offset]),
      [
        ['first', 1, 0],
        ['after', 3, MAX_LINE_BYTES + 17],
      ],
    );
    assert.deepEqual(
      diags.map((d) => [d.kind, d.source?.line, d.source?.offset]),
      [['oversized-line', 2, 6]],
    );
  });

  test(
    'a line over MAX_LINE_BYTES that arrives inside one chunk is skipped and reported too',
    () => {
      const big = Buffer.concat([Buffer.from('first\n'), Buffer.alloc(MAX_LINE_BYTES + 10, 0x41), Buffer.from('\nafter\n')]);
      const { lines, diags } = split([big]);
      assert.deepEqual(lines.map((l) => l.text), ['first', 'after']);
      assert.deepEqual(diags.map((d) => d.kind), ['oversized-line']);
    },
  );

  test('an empty input gives no lines and no diagnostics', () => {
    assert.deepEqual(split([]), { lines: [], diags: [], position: 0 });
    assert.deepEqual(split([Buffer.alloc(0)]), { lines: [], diags: [], position: 0 });
  });
});

describe('rotatedOrder', () => {
  test('orders audit.log.N oldest (highest N) first, numerically, then audit.log, and ignores other names', () => {
    assert.deepEqual(
      rotatedOrder(['audit.log', 'audit.log.1', 'audit.log.10', 'audit.log.2', 'audit.log.9', 'notes.txt', 'audit.log.1.gz', 'audit.logx', 'xaudit.log']),
      ['audit.log.10', 'audit.log.9', 'audit.log.2', 'audit.log.1', 'audit.log'],
    );
  });
  test('gives nothing for a folder without audit logs', () => {
    assert.deepEqual(rotatedOrder(['a', 'b.log']), []);
  });
});
