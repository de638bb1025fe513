// Tests run from TypeScript sources, where there is no compiled sqlite-writer-worker.js for the store to
// start (vitest transforms modules in its own loader, which a worker thread does not inherit). This compiles
// the worker script and every module it imports, each file on its own with TypeScript's transpiler, into a
// temporary directory, so the writer-thread mode is tested against the current sources, not a stale build.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(SRC, '..');

export interface CompiledWorker {
  url: URL;
  cleanup(): void;
}

export function compileSqliteWriterWorker(): CompiledWorker {
  const out = mkdtempSync(join(tmpdir(), 'loop-sqlite-worker-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  // Bare imports (better-sqlite3) resolve through the project's dependencies.
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  const todo = [join(SRC, 'store', 'sqlite-writer-worker.ts')];
  const done = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    // Type-only imports are gone from the output, so what is left is what the worker loads.
    for (const m of outputText.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      todo.push(resolve(dirname(file), `${m[1]}.ts`));
    }
    const target = join(out, relative(SRC, file).replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  return {
    url: pathToFileURL(join(out, 'store', 'sqlite-writer-worker.js')),
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}
