import { existsSync, readFileSync, statSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import type { CompilerOptions } from 'typescript';
import { UserError } from './errors';
import { shownPath } from './paths';

export type TypeScript = typeof import('typescript');

/** The project's own TypeScript compiler, or undefined when it has none. */
export function projectTypeScript(fromDir: string): TypeScript | undefined {
  try {
    return require(require.resolve('typescript', { paths: [fromDir] })) as TypeScript;
  } catch {
    return undefined;
  }
}

/** The tsconfig.json nearest to `dir` (that folder or one above it), as tsc finds it. */
export function nearestTsconfig(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'tsconfig.json'))) return join(current, 'tsconfig.json');
    if (dirname(current) === current) return undefined;
  }
}

/** Parsed options by tsconfig path and modification time (a long-lived process sees edits). */
const optionsByTsconfig = new Map<string, CompilerOptions>();

/** A tsconfig's compiler options, `extends` followed, read with the project's TypeScript. */
export function tsconfigOptions(path: string, ts: TypeScript): CompilerOptions {
  const key = `${path}\0${statSync(path).mtimeMs}`;
  const known = optionsByTsconfig.get(key);
  if (known) return known;
  const read = ts.readConfigFile(path, (file) => ts.sys.readFile(file));
  if (read.error) throw new UserError(`Cannot read ${path}: ${ts.flattenDiagnosticMessageText(read.error.messageText, ' ')}. Fix the tsconfig and run again.`);
  const { options, errors } = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(path), undefined, path);
  // 18003: no file matches `include`, which says nothing about how a file compiles.
  const error = errors.find((e) => e.category === ts.DiagnosticCategory.Error && e.code !== 18003);
  if (error)
    throw new UserError(`Cannot read ${path}: ${ts.flattenDiagnosticMessageText(error.messageText, ' ').replace(/\.$/, '')}. Fix the tsconfig and run again.`);
  optionsByTsconfig.set(key, options);
  return options;
}

/**
 * A decorator at the start of a line (`@Entity()`, `@Property({...})`, `@ManyToOne(() => A)`).
 * JSDoc tags (` * @param`) do not match; a false match only costs that file a slower compile.
 */
const DECORATOR = /^[ \t]*(export[ \t]+)?@[A-Za-z_$][\w$.]*[ \t]*(\(|$)/m;

/**
 * The project's TypeScript and the options of the tsconfig nearest to `filename`, which uses
 * decorators; a UserError naming the file, the tsconfig and the fix when they cannot compile it.
 */
function decoratorSetting(filename: string): { ts: TypeScript; options: CompilerOptions } {
  const tsconfig = nearestTsconfig(dirname(filename));
  const ts = projectTypeScript(dirname(filename));
  const shown = shownPath(filename, dirname(filename), process.cwd());
  const fix = 'MikroORM 6 decorators need "experimentalDecorators": true (and "emitDecoratorMetadata": true unless every property names its type)';
  if (!tsconfig || !ts) {
    const missing = !ts ? 'TypeScript is not installed for it (npm install -D typescript)' : 'no tsconfig.json is above it';
    throw new UserError(`${shown} uses decorators, but ${missing}: ${fix} in a tsconfig.json beside the MikroORM config.`);
  }
  const options = tsconfigOptions(tsconfig, ts);
  if (!options.experimentalDecorators) {
    throw new UserError(
      `${shown} uses decorators, but ${shownPath(tsconfig, dirname(tsconfig), process.cwd())} does not enable them: ${fix} in its compilerOptions.`,
    );
  }
  return { ts, options };
}

/** Refuses, before anything compiles them, files whose decorators the project's tsconfig cannot compile. */
export function assertDecoratorsCompile(files: string[]): void {
  for (const file of files) {
    if (DECORATOR.test(readFileSync(file, 'utf8'))) decoratorSetting(file);
  }
}

/**
 * Compiles a file that uses decorators as `tsc` does, with the project's own TypeScript and
 * tsconfig: legacy decorators, and, when the tsconfig asks (`emitDecoratorMetadata`), the
 * `design:type` metadata MikroORM's ReflectMetadataProvider reads (esbuild, tsx's compiler,
 * emits none). tsc's own output, not another compiler's: entities that import each other (every
 * two-way relation) read a class not yet defined while their metadata is built, which tsc's
 * CommonJS reads as undefined (the type becomes Object) and other compilers' live export
 * bindings turn into "Cannot access 'X' before initialization". Without
 * `experimentalDecorators` the file is refused with the fix instead (decoratorSetting). An
 * inline source map keeps stack traces on the lines written.
 */
function compileDecorated(source: string, filename: string): string {
  const { ts, options } = decoratorSetting(filename);
  const compilerOptions: CompilerOptions = {
    ...options,
    // Loaded by Node's CommonJS loader, whatever the tsconfig builds for.
    module: ts.ModuleKind.CommonJS,
    moduleResolution: undefined,
    verbatimModuleSyntax: false,
    sourceMap: false,
    inlineSourceMap: true,
    inlineSources: true,
    declaration: false,
    noEmit: false,
  };
  return ts.transpileModule(source, { fileName: filename, compilerOptions }).outputText;
}

type Loader = (module: Module, filename: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

/**
 * Runs `load` with project `.ts` files that use decorators compiled by SWC; every other file
 * stays with the loader registered before (tsx), so `defineEntity` projects keep its speed
 * (one read and one regular expression per file more). Call it with tsx registered: tsx still
 * resolves extensionless imports and tsconfig paths for every file.
 */
export function withDecoratorSupport<T>(load: () => T): T {
  const previous = extensions['.ts'];
  const loader: Loader = function (this: unknown, module, filename) {
    if (!filename.includes('/node_modules/')) {
      const source = readFileSync(filename, 'utf8');
      if (DECORATOR.test(source)) {
        (module as Module & { _compile(code: string, filename: string): void })._compile(compileDecorated(source, filename), filename);
        return;
      }
    }
    previous.call(this, module, filename);
  };
  extensions['.ts'] = loader;
  try {
    return load();
  } catch (error) {
    // The stack is rendered on first read: read it while source maps are on, so its frames
    // point at the lines of the TypeScript file as written.
    void (error as Error)?.stack;
    throw error;
  } finally {
    if (extensions['.ts'] === loader) extensions['.ts'] = previous;
  }
}
