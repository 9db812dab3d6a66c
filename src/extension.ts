/**
 * Wiring only: logging first, then one `register(context)` per feature, each disposable owned by the context.
 * Features that depend on another get what they need here: the watch feeds the Audit Events tree (its EventSink),
 * and the tree's analyses and the viewer read root-only logs through the watch's privileged helper.
 */
import * as vscode from 'vscode';
import { Commands } from './constants';
import { errorText, initLog, log } from './log';
import { register as registerStatus } from './helper/statusCommand';
import { register as registerWatch } from './helper/watchManager';
import { register as registerTree, type AuditEventsTree, type TreeDeps } from './views/tree';
import { register as registerLanguage } from './language/languageFeatures';
import { register as registerViewer } from './editor/viewerProvider';
import { register as registerBenchProbe } from './editor/benchProbe';

let tree: AuditEventsTree | undefined;
/** Filled in once the watch has started: the tree reads it when a log turns out to be root-only. */
const treeDeps: TreeDeps = {};

const features: [name: string, register: (context: vscode.ExtensionContext) => vscode.Disposable][] = [
  ['events tree', (c) => (tree = registerTree(c, treeDeps))],
  ['auditd status', registerStatus],
  // Watch Deletions feeds the tree; its privileged access serves root-only logs to the tree and the viewer.
  [
    'watch deletions',
    (c) => {
      const watch = registerWatch(c, tree!.sink);
      treeDeps.privileged = watch.privileged;
      treeDeps.clearStored = () => watch.clearStored();
      return watch;
    },
  ],
  ['audit log language', registerLanguage],
  ['viewer', (c) => registerViewer(c, { privileged: treeDeps.privileged })],
  // Only under npm run bench:viewer (AUDIT_LENS_BENCH=1): the platform's floor under the viewer's first screen.
  ['bench probes', registerBenchProbe],
];

/** Called by VS Code on the first of our activation events. */
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(initLog());
  context.subscriptions.push(vscode.commands.registerCommand(Commands.LogShow, () => log.show(false)));
  for (const [name, register] of features) {
    // One broken feature must not take the others down with it.
    try {
      context.subscriptions.push(register(context));
    } catch (err) {
      log.error(`could not start ${name}: ${errorText(err)}`);
    }
  }
  const version = (context.extension.packageJSON as { version?: string }).version ?? '?';
  log.info(`Audit Lens ${version} activated (${vscode.env.appName} ${vscode.version}, ${context.extension.extensionKind === vscode.ExtensionKind.Workspace ? 'workspace' : 'ui'} host)`);
}

/** Nothing to do: every resource is in `context.subscriptions`. */
export function deactivate(): void {}
