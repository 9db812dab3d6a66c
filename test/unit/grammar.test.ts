/**
 * The audit.log TextMate grammar (what colours the text editor) over real recorded records, run by vscode-textmate
 * and oniguruma as VS Code runs it; and its agreement with the core tokenizer (what colours the big-log viewer).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { tokenizeLine, type TokenKind } from '../../src/core/tokenize';
import { loadGrammar, type LoadedGrammar } from '../support/grammar';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const RECORDED = path.join(FIXTURES, 'recorded');

/** The scope (a prefix of the innermost one) each tokenizer kind must get from the grammar. */
const SCOPE_OF: Record<TokenKind, string> = {
  node: 'entity.name.tag.node.auditlog',
  type: 'entity.name.type.record.auditlog',
  alert: 'keyword.control.alert.auditlog',
  time: 'constant.numeric.time.auditlog',
  serial: 'constant.numeric.serial.auditlog',
  field: 'variable.other.field.auditlog',
  string: 'string.quoted.',
  hex: 'constant.character.escape.hex.auditlog',
  number: 'constant.numeric.value.auditlog',
  null: 'constant.language.null.auditlog',
  value: 'constant.other.value.auditlog',
  failure: 'invalid.illegal.failure.auditlog',
  key: 'variable.other.constant.key.auditlog',
  separator: 'punctuation.separator.enriched.auditlog',
  'enriched-field': 'comment.line.enriched.field.auditlog',
  'enriched-value': 'comment.line.enriched.value.auditlog',
  invalid: 'invalid.illegal.unrecognized.auditlog',
};

function logLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
}

/** Lines to check of a log: all of a small one, an even sample of a big one (the grammar keeps no state across lines). */
const MAX_SAMPLE = 1000;
function sampleLines(file: string): string[] {
  const lines = logLines(file);
  if (lines.length <= MAX_SAMPLE) return lines;
  const step = lines.length / MAX_SAMPLE;
  return Array.from({ length: MAX_SAMPLE }, (_, i) => lines[Math.floor(i * step)]);
}

/** Every real record we have: the recorded cases, the undamaged hostile extracts and the viewer's recordings. */
function realLogs(): string[] {
  const cases = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((c) => c.isDirectory())
      .map((c) => path.join(dir, c.name, 'audit.log'));
  const files = cases(RECORDED);
  files.push(...['real-0.log', 'real-1.log', 'real-2.log'].map((f) => path.join(FIXTURES, 'hostile', f)));
  files.push(...cases(path.join(FIXTURES, 'viewer')));
  return files;
}

let grammar: LoadedGrammar;
/** Sampled lines of every real log with their scopes, tokenized once for the tests that read them. */
let corpus: { file: string; lines: string[]; scopes: string[][][] }[];

/** The innermost scope at each character of one line. */
function leafScopes(line: string): string[] {
  return grammar.tokenizeLines([line])[0].map((s) => s.at(-1) ?? '');
}

/** The innermost scope of the first occurrence of `needle` (at its first character, or at `at` within it). */
function scopeOf(line: string, needle: string, at = 0): string {
  const i = line.indexOf(needle);
  assert.ok(i >= 0, `${JSON.stringify(needle)} is in the line`);
  return leafScopes(line)[i + at];
}

function findLine(file: string, re: RegExp): string {
  const line = logLines(file).find((l) => re.test(l));
  assert.ok(line, `${path.relative(FIXTURES, file)} has a line matching ${re}`);
  return line;
}

describe('auditlog grammar', () => {
  before(async () => {
    grammar = await loadGrammar('source.auditlog');
    corpus = realLogs().map((file) => {
      const lines = sampleLines(file);
      return { file, lines, scopes: grammar.tokenizeLines(lines) };
    });
  });

  it('agrees with the core tokenizer on every character class of every recorded line', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const { file, lines, scopes } of corpus) {
      lines.forEach((line, n) => {
        for (const t of tokenizeLine(line)) {
          // The first character, and the last unless it is punctuation the grammar scopes on its own (`=`, `(`).
          const probes = [t.start];
          if (t.end - 1 > t.start && !/[=(:'"]/.test(line[t.end - 1])) probes.push(t.end - 1);
          for (const p of probes) {
            const leaf = scopes[n][p]?.at(-1) ?? '';
            checked++;
            if (!leaf.startsWith(SCOPE_OF[t.kind]) && mismatches.length < 10) {
              mismatches.push(`${path.relative(FIXTURES, file)} (sampled line ${n + 1}) col ${p} ${JSON.stringify(line.slice(t.start, t.end).slice(0, 40))}: tokenizer ${t.kind}, grammar ${leaf}`);
            }
          }
        }
      });
    }
    assert.deepEqual(mismatches, []);
    assert.ok(checked > 50_000, `checked ${checked} positions`);
  });

  it('ends every scope it assigns in .auditlog, so themes and users can retarget them', () => {
    const seen = new Set<string>();
    for (const { scopes } of corpus) for (const perChar of scopes) for (const s of perChar) for (const x of s ?? []) seen.add(x);
    seen.delete('source.auditlog');
    assert.ok(seen.size > 15);
    for (const s of seen) assert.match(s, /\.auditlog$/, s);
  });

  it('scopes the header of a real SYSCALL record: type, time, serial, field names, and the dimmed ENRICHED part after \\x1d', () => {
    const line = findLine(path.join(RECORDED, 'unlink-absolute', 'audit.log'), /^type=SYSCALL .*syscall=263 .*\x1d/);
    assert.equal(scopeOf(line, 'SYSCALL'), 'entity.name.type.record.auditlog');
    const time = /audit\((\d+\.\d+):(\d+)\)/.exec(line)!;
    assert.equal(scopeOf(line, time[1]), 'constant.numeric.time.auditlog');
    assert.equal(scopeOf(line, `:${time[2]})`, 1), 'constant.numeric.serial.auditlog');
    assert.equal(scopeOf(line, ' syscall=', 1), 'variable.other.field.auditlog');
    assert.equal(scopeOf(line, '263'), 'constant.numeric.value.auditlog');
    assert.equal(scopeOf(line, 'comm="rm"', 5), 'string.quoted.double.auditlog');
    assert.equal(scopeOf(line, '\x1d'), 'punctuation.separator.enriched.auditlog');
    assert.equal(scopeOf(line, 'SYSCALL=unlinkat'), 'comment.line.enriched.field.auditlog');
    assert.equal(scopeOf(line, 'SYSCALL=unlinkat', 8), 'comment.line.enriched.value.auditlog');
    const key = /key=("[^"]+")/.exec(line)![1];
    assert.equal(scopeOf(line, key), 'variable.other.constant.key.auditlog');
  });

  it('marks failed calls: success=no and a negative exit are errors', () => {
    const line = findLine(path.join(RECORDED, 'fail-eacces', 'audit.log'), /success=no exit=-13 /);
    assert.equal(scopeOf(line, 'success=no', 8), 'invalid.illegal.failure.auditlog');
    assert.equal(scopeOf(line, 'exit=-13', 5), 'invalid.illegal.failure.auditlog');
    const ok = findLine(path.join(RECORDED, 'unlink-absolute', 'audit.log'), /success=yes exit=0 /);
    assert.equal(scopeOf(ok, 'success=yes', 8), 'constant.other.value.auditlog');
    assert.equal(scopeOf(ok, 'exit=0', 5), 'constant.numeric.value.auditlog');
  });

  it('scopes hex-encoded names and proctitles as encoded text, and (null) as a constant', () => {
    const file = path.join(RECORDED, 'odd-names', 'audit.log');
    const path1 = findLine(file, /^type=PATH .* name=[0-9A-F]{6,} /);
    const hex = / name=([0-9A-F]+) /.exec(path1)![1];
    assert.equal(scopeOf(path1, hex), 'constant.character.escape.hex.auditlog');
    assert.equal(scopeOf(path1, hex, hex.length - 1), 'constant.character.escape.hex.auditlog');
    const title = findLine(file, /^type=PROCTITLE proctitle=|^type=PROCTITLE .*proctitle=[0-9A-F]+/);
    assert.equal(scopeOf(title, 'proctitle=', 10), 'constant.character.escape.hex.auditlog');
    const sys = findLine(file, /key=\(null\)/);
    assert.equal(scopeOf(sys, 'key=(null)', 4), 'constant.language.null.auditlog');
  });

  it('scopes the node= prefix of records auditd wrote with name_format set', () => {
    const line = findLine(path.join(FIXTURES, 'viewer', 'node-prefixed', 'audit.log'), /^node=\S+ type=SYSCALL /);
    assert.equal(scopeOf(line, 'node='), 'entity.name.tag.node.auditlog');
    assert.equal(scopeOf(line, 'SYSCALL'), 'entity.name.type.record.auditlog');
    const serial = /:(\d+)\)/.exec(line)![1];
    assert.equal(scopeOf(line, `:${serial})`, 1), 'constant.numeric.serial.auditlog');
  });

  it('scopes the fields inside a user-space msg=\'…\' payload', () => {
    const line = findLine(path.join(RECORDED, 'odd-names', 'audit.log'), /^type=USER .*msg='/);
    assert.equal(scopeOf(line, "msg='", 4), 'string.quoted.single.auditlog');
    assert.equal(scopeOf(line, ' exe=', 1), 'variable.other.field.auditlog');
    assert.equal(scopeOf(line, 'res=success', 4), 'constant.other.value.auditlog');
  });

  it('makes anomaly records stand out and marks lines that are not records', () => {
    // auditd cannot be made to write these on demand: the header shapes are taken from real records.
    const anom = 'type=ANOM_ABEND msg=audit(1795833700.185:1050): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=1 comm="x" exe="/x" sig=11 res=1';
    assert.equal(scopeOf(anom, 'ANOM_ABEND'), 'keyword.control.alert.auditlog');
    assert.equal(tokenizeLine(anom)[1].kind, 'alert');
    assert.equal(scopeOf('\x00\x01 not a record', 'not'), 'invalid.illegal.unrecognized.auditlog');
  });
});

describe('auditrules grammar', () => {
  let rules: LoadedGrammar;
  before(async () => {
    rules = await loadGrammar('source.auditrules');
  });
  const leaf = (line: string, needle: string, at = 0): string => {
    const i = line.indexOf(needle);
    assert.ok(i >= 0, needle);
    return rules.tokenizeLines([line])[0][i + at]?.at(-1) ?? '';
  };

  it('scopes options, lists and actions, fields, operators, values, syscalls, keys, paths and permissions', () => {
    // The rule shapes the fixture recorder adds (test/fixtures/recorded/README.md).
    const exit = '-a always,exit -F arch=b64 -S unlinkat,renameat2 -F path=/tmp/vol -F perm=wa -F auid!=4294967295 -k al_case_1';
    assert.equal(leaf(exit, '-a'), 'keyword.other.option.auditrules');
    assert.equal(leaf(exit, 'always'), 'constant.language.list.auditrules');
    assert.equal(leaf(exit, 'exit'), 'constant.language.list.auditrules');
    assert.equal(leaf(exit, 'arch'), 'variable.other.field.auditrules');
    assert.equal(leaf(exit, '!='), 'keyword.operator.comparison.auditrules');
    assert.equal(leaf(exit, '4294967295'), 'constant.numeric.auditrules');
    assert.equal(leaf(exit, 'b64'), 'string.unquoted.value.auditrules');
    assert.equal(leaf(exit, 'renameat2'), 'entity.name.function.syscall.auditrules');
    assert.equal(leaf(exit, 'al_case_1'), 'variable.other.constant.key.auditrules');
    const watch = '-w /tmp/vol -p wa -k al_case_1';
    assert.equal(leaf(watch, '/tmp/vol'), 'string.unquoted.path.auditrules');
    assert.equal(leaf(watch, 'wa'), 'constant.character.permission.auditrules');
    assert.equal(leaf('## audit.rules', 'audit'), 'comment.line.number-sign.auditrules');
    assert.equal(leaf('-b 8192', '8192'), 'constant.numeric.auditrules');
    assert.equal(leaf('--backlog_wait_time 60000', '--backlog'), 'keyword.other.option.auditrules');
  });
});
