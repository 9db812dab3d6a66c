/**
 * The manifest and the VSIX, checked without a workbench: every identifier the code uses is contributed (and the
 * other way round), every title is translated, and the package holds exactly what runs (bundle + node-pty runtime).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { buildVsix } from '../../scripts/code-server';
import { AuditLogLanguage, AuditRulesLanguage, Commands, ContextKeys, ContextValues, CustomEditors, Settings, Views } from '../../src/constants';
import { repoRoot } from './support/server';

interface Manifest {
  engines: { vscode: string };
  activationEvents?: string[];
  extensionKind?: string[];
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command?: string; submenu?: string; when?: string }[]>;
    submenus?: { id: string; label: string }[];
    views: Record<string, { id: string; name: string; type?: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string; when?: string }[];
    configuration: { properties: Record<string, unknown> };
    languages: { id: string; filenamePatterns?: string[]; filenames?: string[]; firstLine?: string }[];
    grammars: { language?: string; scopeName: string; path: string; injectTo?: string[] }[];
    customEditors: { viewType: string; selector: { filenamePattern: string }[]; priority: string }[];
  };
}

const manifestText = readFileSync(path.join(repoRoot, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Manifest;
const read = (f: string): Record<string, string> => JSON.parse(readFileSync(path.join(repoRoot, f), 'utf8')) as Record<string, string>;

/** File names in a zip, from its central directory (a VSIX is a zip; no unzip binary needed). */
function zipEntries(file: string): string[] {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, `${file} is not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const nameLen = buf.readUInt16LE(at + 28);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLen));
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return names;
}

/** Every `vscode.l10n.t('…')` message in the extension sources. */
function l10nMessages(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) out.add(m[1]);
    }
  };
  walk(path.join(repoRoot, 'src'));
  return out;
}

describe('manifest', () => {
  it('contributes exactly the commands the code registers, and menus name only contributed commands and submenus', () => {
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    const submenus = (manifest.contributes.submenus ?? []).map((s) => s.id);
    for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
      if (menu.startsWith('auditLens.')) assert.ok(submenus.includes(menu), `${menu} is a contributed submenu`);
      for (const item of items) {
        if (item.submenu) assert.ok(submenus.includes(item.submenu), `${menu}: submenu ${item.submenu} is contributed`);
        else assert.ok(contributed.includes(item.command!), `${menu}: ${item.command} is contributed`);
      }
    }
    assert.deepEqual(contributed, Object.values(Commands).sort());
    for (const c of manifest.contributes.commands) assert.match(c.command, /^auditLens\.[a-z]+\.[a-zA-Z]+$/);
  });

  it('links welcome buttons only to contributed commands', () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const en = read('package.nls.json');
    for (const w of manifest.contributes.viewsWelcome) {
      const text = en[w.contents.replace(/^%|%$/g, '')] ?? w.contents;
      for (const [, cmd] of text.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(contributed.has(cmd), `welcome links ${cmd}`);
    }
  });

  it('uses only context keys from src/constants.ts in when clauses', () => {
    const known = new Set<string>(Object.values(ContextKeys));
    const values = new Set<string>(Object.values(ContextValues));
    const used = new Set(
      [...manifestText.matchAll(/auditLens:[A-Za-z.]+(?::[A-Za-z]+)*/g)]
        .map((m) => m[0])
        // Tree item context values (and the prefixes `viewItem =~ /^auditLens:event:/` matches them by) are not keys.
        .filter((k) => !values.has(k) && ![...values].some((v) => v.startsWith(`${k}:`))),
    );
    for (const k of used) assert.ok(known.has(k), `${k} is declared in ContextKeys`);
    for (const k of known) assert.ok(used.has(k), `${k} is used by the manifest`);
  });

  it('declares the views, the setting and the language the code uses', () => {
    assert.deepEqual(manifest.contributes.viewsContainers.activitybar.map((c) => c.id), [Views.Container]);
    assert.deepEqual(manifest.contributes.views[Views.Container].map((v) => v.id), [Views.Timeline, Views.Events]);
    assert.equal(manifest.contributes.views[Views.Container][0].type, 'webview');
    assert.ok(manifest.contributes.viewsWelcome.every((w) => w.view === Views.Events));
    const settings = Object.entries(Settings)
      .filter(([k]) => k !== 'Section')
      .map(([, v]) => `${Settings.Section}.${v}`);
    assert.deepEqual(Object.keys(manifest.contributes.configuration.properties).sort(), settings.sort());
    assert.deepEqual(manifest.contributes.languages.map((l) => l.id), [AuditLogLanguage, AuditRulesLanguage]);
    const log = manifest.contributes.languages[0];
    assert.deepEqual(log.filenamePatterns, ['audit.log', 'audit.log.*', '*.audit.log']);
    assert.ok(new RegExp(log.firstLine!).test('node=web1 type=SYSCALL msg=audit(1795833700.185:1042): arch=c000003e'));
    assert.ok(!new RegExp(log.firstLine!).test('Dec  3 00:00:01 host sshd[1]: Accepted publickey'));
  });

  it('ships a grammar per language (and the auditctl injection for shell scripts) and the viewer as an optional editor', () => {
    for (const g of manifest.contributes.grammars) {
      const grammar = JSON.parse(readFileSync(path.join(repoRoot, g.path), 'utf8')) as { scopeName: string };
      assert.equal(grammar.scopeName, g.scopeName, g.path);
    }
    assert.deepEqual(manifest.contributes.grammars.filter((g) => g.language).map((g) => g.language), [AuditLogLanguage, AuditRulesLanguage]);
    assert.deepEqual(manifest.contributes.grammars.find((g) => g.injectTo)?.injectTo, ['source.shell']);
    const [viewer] = manifest.contributes.customEditors;
    assert.equal(viewer.viewType, CustomEditors.Viewer);
    assert.equal(viewer.priority, 'option');
    assert.deepEqual(viewer.selector.map((s) => s.filenamePattern), manifest.contributes.languages[0].filenamePatterns);
  });

  it('activates on its own views and language, or after startup (to offer resuming watches), runs in the workspace, and targets VS Code 1.100', () => {
    assert.ok(!(manifest.activationEvents ?? []).includes('*'));
    for (const e of manifest.activationEvents ?? []) assert.match(e, /^(onView:auditLens\.|onLanguage:(auditlog|auditrules)$|onStartupFinished$)/);
    assert.deepEqual(manifest.extensionKind, ['workspace']);
    assert.equal(manifest.engines.vscode, '^1.100.0');
    const typesVersion = (JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', '@types', 'vscode', 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(typesVersion, /^1\.100\./);
  });

  it('has every %title% in English and Chinese, and every runtime message in the Chinese bundle', () => {
    const en = read('package.nls.json');
    const zh = read('package.nls.zh-cn.json');
    const keys = [...new Set([...manifestText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]))];
    assert.ok(keys.length > 5);
    for (const k of keys) {
      assert.ok(en[k], `package.nls.json has ${k}`);
      assert.ok(zh[k], `package.nls.zh-cn.json has ${k}`);
    }
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
    const bundle = read('l10n/bundle.l10n.zh-cn.json');
    for (const m of l10nMessages()) assert.ok(bundle[m], `l10n/bundle.l10n.zh-cn.json translates ${JSON.stringify(m)}`);
  });
});

describe('VSIX', () => {
  let vsix: string;
  let entries: string[];
  before(() => {
    vsix = buildVsix(() => undefined);
    entries = zipEntries(vsix);
  });

  it('holds the bundle and node-pty runtime (lib, native binary, package.json) and nothing from src, test or node_modules', () => {
    for (const f of [
      'extension/package.json',
      'extension/out/extension.js',
      'extension/out/analysisWorker.js',
      'extension/out/timeline.js',
      'extension/media/timeline/timeline.css',
      'extension/out/helper.js',
      'extension/out/node_modules/node-pty/package.json',
      'extension/out/node_modules/node-pty/lib/index.js',
      'extension/out/node_modules/node-pty/lib/unixTerminal.js',
      'extension/out/node_modules/node-pty/build/Release/pty.node',
      'extension/media/audit-lens.svg',
      'extension/media/icon.png',
      'extension/package.nls.zh-cn.json',
      'extension/l10n/bundle.l10n.zh-cn.json',
      'extension/LICENSE.txt',
      'extension/out/webview/viewer.js',
      'extension/media/viewer/viewer.css',
      'extension/media/syntaxes/auditlog.tmLanguage.json',
      'extension/media/syntaxes/auditrules.tmLanguage.json',
      'extension/media/syntaxes/auditctl.injection.json',
      'extension/media/auditrules.language-configuration.json',
    ]) {
      assert.ok(entries.includes(f), `${f} is in the VSIX`);
    }
    const stray = entries.filter((e) => /^extension\/(src|test|scripts|node_modules)\//.test(e) || /\.(ts|map)$/.test(e) || e.includes('screenshot'));
    assert.deepEqual(stray, []);
  });

  it('stays small (under 1 MiB)', () => {
    assert.ok(statSync(vsix).size < 1024 * 1024, `${vsix} is ${statSync(vsix).size} bytes`);
  });
});
