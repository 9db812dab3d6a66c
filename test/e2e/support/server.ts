/**
 * One code-server per test suite: built VSIX installed into a throwaway extensions dir, a throwaway profile
 * and a workspace with a README.txt, all under one temp directory that `stop()` removes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  buildVsix,
  CODE_SERVER_VERSION,
  ensureCodeServer,
  extensionId,
  freePort,
  installVsix,
  quietSettings,
  repoRoot,
  startCodeServer,
  writeProfile,
} from '../../../scripts/code-server';

export { repoRoot };

/** Settings for tests: quiet, trusted, and a DOM-rendered terminal so its text can be read. */
export const testSettings: Record<string, unknown> = {
  ...quietSettings,
  'security.workspace.trust.enabled': false,
  // The DOM renderer (no WebGL/canvas) puts terminal text in the page, where the tests read it.
  'terminal.integrated.gpuAcceleration': 'off',
  'workbench.editor.enablePreview': false,
  'window.title': 'code-server e2e',
  'files.simpleDialog.enable': true,
  'workbench.reduceMotion': 'on',
  'editor.minimap.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'terminal.integrated.showTerminalConfigPrompt': false,
};

/**
 * Keys the test profile binds for the helpers: terminal Select All and Copy have no default binding on Linux that a
 * test can rely on, and the palette hides Copy Selection once the terminal loses focus to it.
 */
export const SUPPORT_KEYS = {
  terminalSelectAll: { vscode: 'ctrl+alt+shift+f11', playwright: 'Control+Alt+Shift+F11' },
  terminalCopy: { vscode: 'ctrl+alt+shift+f12', playwright: 'Control+Alt+Shift+F12' },
} as const;

const supportKeybindings = [
  { key: SUPPORT_KEYS.terminalSelectAll.vscode, command: 'workbench.action.terminal.selectAll', when: 'terminalFocus' },
  { key: SUPPORT_KEYS.terminalCopy.vscode, command: 'workbench.action.terminal.copySelection', when: 'terminalFocus' },
];

export interface SuiteServer {
  url: string;
  /** The folder code-server opened. */
  workspace: string;
  userDataDir: string;
  /** code-server's own log (stdout/stderr), for failure reports. */
  logFile: string;
  /**
   * Everything the extension wrote to its LogOutputChannel, read from the file VS Code mirrors it to
   * (`logs/<session>/exthost<n>/<publisher.name>/<channel>.log`): complete, unlike the Output view's visible lines.
   */
  extensionLog(channel?: string): string;
  /** Replaces the machine-scoped settings (e.g. `auditLens.auditd.auditctlPath`); the workbench reloads them live. */
  setMachineSettings(settings: Record<string, unknown>): void;
  stop(): Promise<void>;
}

/** Copies a file or folder into the workspace and returns its absolute path there. */
export function addToWorkspace(server: SuiteServer, from: string, rel: string): string {
  const to = path.join(server.workspace, rel);
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
  return to;
}

/**
 * code-server where another user can run it: the cache usually lives in root's home (0700), so the install is
 * mirrored with hard links (instant, no space; a plain copy where links are impossible) into /var/tmp.
 */
function codeServerForOthers(bin: string): string {
  const installDir = path.resolve(bin, '..', '..', '..');
  const shared = path.join('/var/tmp', `audit-lens-code-server-${CODE_SERVER_VERSION}`);
  const sharedBin = path.join(shared, path.relative(installDir, bin));
  if (!existsSync(sharedBin)) {
    const partial = `${shared}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    try {
      execFileSync('cp', ['-al', installDir, partial]);
    } catch {
      execFileSync('cp', ['-a', installDir, partial]);
    }
    execFileSync('chmod', ['-R', 'a+rX', partial]);
    rmSync(shared, { recursive: true, force: true });
    renameSync(partial, shared);
  }
  return sharedBin;
}

/** Installs code-server if needed, packages and installs the extension, starts the server. */
export async function startSuiteServer(
  opts: {
    log?: (m: string) => void;
    keybindings?: { key: string; command: string; args?: unknown }[];
    /** Run code-server (and so the extension host) as this user instead of root. */
    runAs?: { uid: number; gid: number; home: string };
    /** Extra environment for the extension host (e.g. AUDIT_LENS_NO_PTY=1). */
    env?: Record<string, string>;
  } = {},
): Promise<SuiteServer> {
  const log = opts.log ?? ((m: string) => console.error(`# ${m}`));
  const rootBin = ensureCodeServer(log);
  const bin = opts.runAs ? codeServerForOthers(rootBin) : rootBin;
  const vsix = buildVsix(log);
  const base = mkdtempSync(path.join(tmpdir(), 'audit-lens-e2e-'));
  const userDataDir = path.join(base, 'user-data');
  const extensionsDir = path.join(base, 'extensions');
  const workspace = path.join(base, 'workspace');
  const logFile = path.join(base, 'code-server.log');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'README.txt'), 'Audit Lens end-to-end test workspace.\n');
  writeProfile(userDataDir, testSettings);
  writeFileSync(path.join(userDataDir, 'User', 'keybindings.json'), JSON.stringify([...supportKeybindings, ...(opts.keybindings ?? [])], null, 2));
  const started = Date.now();
  installVsix(bin, extensionsDir, vsix, path.join(base, 'install.yaml'));
  log(`installed the VSIX in ${Date.now() - started} ms`);
  if (opts.runAs) {
    execFileSync('chown', ['-R', `${opts.runAs.uid}:${opts.runAs.gid}`, base]);
    execFileSync('chmod', ['0755', base]);
  }
  const port = await freePort();
  const server = await startCodeServer({ bin, host: '127.0.0.1', port, userDataDir, extensionsDir, folder: workspace, logFile, runAs: opts.runAs, env: opts.env });
  log(`code-server ${server.url} (profile ${userDataDir})`);
  return {
    url: server.url,
    workspace,
    userDataDir,
    logFile,
    extensionLog: (channel = 'Audit Lens') => {
      const logs = path.join(userDataDir, 'logs');
      const files: string[] = [];
      for (const session of existsSync(logs) ? readdirSync(logs) : []) {
        for (const host of readdirSync(path.join(logs, session)).filter((h) => h.startsWith('exthost'))) {
          const file = path.join(logs, session, host, extensionId(), `${channel}.log`);
          if (existsSync(file)) files.push(file);
        }
      }
      return files.map((f) => readFileSync(f, 'utf8')).join('');
    },
    setMachineSettings: (settings) => writeProfile(userDataDir, testSettings, settings),
    stop: async () => {
      await server.stop();
      if (!process.env.AUDIT_LENS_KEEP_E2E) rmSync(base, { recursive: true, force: true });
    },
  };
}
