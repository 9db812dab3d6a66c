/**
 * The TreeDataProvider of the Audit Events view: a thin adapter from the model's pages and the pure ItemSpecs
 * (nodes.ts) to VS Code's TreeItems. Tooltips are built only when a row is hovered.
 */
import * as vscode from 'vscode';
import type { ModelNode, TreeModel } from './model';
import { Presenter, tooltipOf, type ItemSpec } from './nodes';

const COLLAPSIBLE: Record<ItemSpec['collapsible'], vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

/** Markdown that shows log text as text: no HTML, no command links, no theme icons. */
export function safeMarkdown(value: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(value, false);
  md.supportHtml = false;
  md.isTrusted = false;
  return md;
}

export class EventsProvider implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The clock of the current render: every row's "2 min ago" agrees. */
  private now = Date.now();
  private readonly presenter: Presenter;

  constructor(private readonly model: TreeModel) {
    this.presenter = new Presenter(model);
  }

  /** Re-renders the whole tree (or one node and its children). */
  refresh(node?: ModelNode): void {
    this.now = Date.now();
    this.changed.fire(node);
  }

  getChildren(node?: ModelNode): ModelNode[] {
    return this.model.page(node);
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const spec = this.presenter.item(node, this.now);
    const item = new vscode.TreeItem(spec.label, COLLAPSIBLE[spec.collapsible]);
    item.id = node.id;
    item.description = spec.description;
    if (spec.icon) item.iconPath = new vscode.ThemeIcon(spec.icon.id, spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined);
    item.contextValue = spec.contextValue;
    item.command = spec.command;
    if (spec.accessibilityLabel) item.accessibilityInformation = { label: spec.accessibilityLabel };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, node: ModelNode): vscode.TreeItem {
    const md = tooltipOf(node, this.now);
    if (md !== undefined) item.tooltip = safeMarkdown(md);
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
