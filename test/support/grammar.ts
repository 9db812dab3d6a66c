/**
 * The TextMate grammars as VS Code runs them: vscode-textmate with the oniguruma WASM engine, loaded from the
 * grammar files the extension ships. `scopesAt(line)` gives, for every character, the scope stack Monaco would
 * colour it with.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const repoRoot = path.resolve(__dirname, '..', '..');

/** scopeName → grammar file, as package.json contributes them. */
const GRAMMARS: Record<string, string> = {
  'source.auditlog': 'media/syntaxes/auditlog.tmLanguage.json',
  'source.auditrules': 'media/syntaxes/auditrules.tmLanguage.json',
  'source.shell': '',
};

let registry: vsctm.Registry | undefined;

function getRegistry(): vsctm.Registry {
  if (registry) return registry;
  const wasm = readFileSync(path.join(repoRoot, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer).then(() => ({
    createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
    createOnigString: (s: string) => new oniguruma.OnigString(s),
  }));
  registry = new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      const file = GRAMMARS[scopeName];
      if (!file) return null;
      return vsctm.parseRawGrammar(readFileSync(path.join(repoRoot, file), 'utf8'), path.join(repoRoot, file));
    },
  });
  return registry;
}

/** A loaded grammar with a line tokenizer that keeps state across lines, like an editor. */
export interface LoadedGrammar {
  /** Scope stacks per character of each line, tokenized in order. */
  tokenizeLines(lines: string[]): string[][][];
}

/** Loads a grammar by its scope name. */
export async function loadGrammar(scopeName: string): Promise<LoadedGrammar> {
  const g = await getRegistry().loadGrammar(scopeName);
  if (!g) throw new Error(`grammar ${scopeName} not found`);
  return {
    tokenizeLines(lines) {
      let state = vsctm.INITIAL;
      return lines.map((line) => {
        const r = g.tokenizeLine(line, state);
        state = r.ruleStack;
        const perChar: string[][] = new Array(line.length);
        for (const t of r.tokens) for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) perChar[i] = t.scopes;
        return perChar;
      });
    },
  };
}
