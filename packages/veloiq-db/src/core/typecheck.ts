import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors';
import type { CompilerHost, CompilerOptions, Diagnostic, SourceFile } from 'typescript';
import { nearestTsconfig, projectTypeScript, tsconfigOptions, type TypeScript } from './transpile';

/**
 * Type-checks the entity files with the project's TypeScript, because the loader that runs
 * them only strips types: `p.string().length('40')` would load, and the ORM would see a wrong
 * model. The first error is a UserError naming the file, line and column. Library typings are
 * not checked (skipLibCheck), and only errors in the project's own files count. The project's
 * tsconfig (the nearest one, `extends` followed) sets the rules, decorators included; without
 * one, a lenient CommonJS setting does.
 *
 * The check is incremental, as `tsc --incremental` is: `buildInfoFile` keeps each
 * checked file's signature and diagnostics, and the next run re-checks only the files that
 * changed and those that depend on them (parsing the libraries' typings remains).
 */
export function assertNoTypeErrors(files: string[], show: (path: string) => string, buildInfoFile: string): void {
  if (files.length === 0) return;
  const stampFile = stampFileOf(buildInfoFile);
  if (passedBefore(stampFile, files)) return;
  const setting = checkSetting(files);
  if (!setting) return;
  const { ts, tsconfig, options } = setting;
  const program = ts.createIncrementalProgram({
    rootNames: files,
    options: { ...options, incremental: true, tsBuildInfoFile: buildInfoFile },
    host: sharedHost(ts, options),
  });
  const errors = projectErrors(ts, [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ]);
  try {
    program.emit(); // with noEmit, writes only the build info
  } catch {
    // an unwritable folder only costs the next run a full check
  }
  if (errors.length === 0) {
    rememberPassed(stampFile, files, [...program.getSourceFiles().map((file) => file.fileName), ...(tsconfig ? [tsconfig] : [])]);
    return;
  }
  const [first] = errors;
  const { line, character } = first.file!.getLineAndCharacterOfPosition(first.start ?? 0);
  const message = ts.flattenDiagnosticMessageText(first.messageText, ' ').replace(/\s+/g, ' ').replace(/\.$/, '');
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new UserError(`TypeScript error in ${show(first.file!.fileName)}:${line + 1}:${character + 1}: ${message}${more}. Fix the entity file and run again.`);
}

export interface CheckSetting {
  ts: TypeScript;
  /** The tsconfig whose rules apply, if any. */
  tsconfig?: string;
  /** Its options, made to check only (no emit, library typings not checked). */
  options: CompilerOptions;
}

/** How `files` are checked: the project's TypeScript and tsconfig; undefined without TypeScript. */
export function checkSetting(files: string[]): CheckSetting | undefined {
  const ts = projectTypeScript(dirname(files[0]));
  if (!ts) return undefined;
  const tsconfig = nearestTsconfig(dirname(files[0]));
  const projectOptions = tsconfig
    ? tsconfigOptions(tsconfig, ts)
    : {
        strict: false,
        esModuleInterop: true,
        target: ts.ScriptTarget.ES2022,
        // ES2022 without the DOM typings the target's default library adds: entity files have no
        // use for them, and they are a large share of the declarations parsed for every check.
        lib: ['lib.es2022.d.ts'],
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
      };
  return { ts, tsconfig, options: { ...projectOptions, noEmit: true, skipLibCheck: true, incremental: false, composite: false, declaration: false } };
}

/** The errors that count: those in the project's own files, not in library typings. */
export function projectErrors(ts: TypeScript, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error && d.file && !d.file.fileName.includes('/node_modules/'));
}

/**
 * Parsed declaration files (TypeScript's libraries, the packages' typings) by TypeScript copy
 * and options. They are most of what a check parses, and the same for every project: a process
 * that checks several (Nx's batch, a test run) parses each once. An entry is used only while
 * the file's text is the same; a project's own files are parsed afresh.
 */
const declarationFiles = new WeakMap<TypeScript, Map<string, SourceFile>>();

/** A compiler host that reads declaration files through `declarationFiles` (versioned, as incremental programs need). */
export function sharedHost(ts: TypeScript, options: CompilerOptions): CompilerHost {
  const host = ts.createIncrementalCompilerHost(options);
  // What tsc itself parses: JSDoc only where it carries types (JavaScript files).
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  let parsed = declarationFiles.get(ts);
  if (!parsed) declarationFiles.set(ts, (parsed = new Map()));
  // Binding, which the parsed file keeps, depends on the options: one set per distinct options.
  const optionsKey = JSON.stringify(options);
  const parse = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!/\.d\.[cm]?ts$/.test(fileName)) return parse(fileName, languageVersion, onError, shouldCreate);
    const key = `${fileName}\0${optionsKey}\0${JSON.stringify(languageVersion)}`;
    const known = parsed.get(key);
    if (known && known.text === host.readFile(fileName)) return known;
    const file = parse(fileName, languageVersion, onError, shouldCreate);
    if (file) parsed.set(key, file);
    return file;
  };
  return host;
}

export const stampFileOf = (buildInfoFile: string) => buildInfoFile.replace(/(\.tsbuildinfo)?$/, '.passed.json');

/** A file as the stamp knows it: when the same, its contents are taken to be the same (as tsc -b does). */
const fingerprint = (path: string) => {
  const { size, mtimeMs } = statSync(path);
  return `${size}:${mtimeMs}`;
};

/**
 * Whether the same entity files passed the last check and no file that check read (the entity
 * files, what they import, the typings of the libraries, TypeScript's own) has changed since.
 * Then TypeScript is not even loaded: a `generate` after an edit elsewhere in the backend (or
 * a run whose Nx cache missed for another reason) skips the ~1 s the check costs at least.
 */
export function passedBefore(stampFile: string, files: string[]): boolean {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { roots: string[]; read: Record<string, string> };
    if (stamp.roots.join('\n') !== files.join('\n')) return false;
    return Object.entries(stamp.read).every(([path, print]) => fingerprint(path) === print);
  } catch {
    return false;
  }
}

export function rememberPassed(stampFile: string, roots: string[], read: string[]): void {
  try {
    writeFileSync(stampFile, JSON.stringify({ roots, read: Object.fromEntries(read.map((path) => [path, fingerprint(path)])) }));
  } catch {
    // an unwritable folder only costs the next run a check
  }
}
