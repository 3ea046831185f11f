import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors';
import { nearestTsconfig, projectTypeScript, tsconfigOptions } from './transpile';

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
  const stampFile = buildInfoFile.replace(/(\.tsbuildinfo)?$/, '.passed.json');
  if (passedBefore(stampFile, files)) return;
  const ts = projectTypeScript(dirname(files[0]));
  if (!ts) return;
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
  const program = ts.createIncrementalProgram({
    rootNames: files,
    options: { ...projectOptions, noEmit: true, skipLibCheck: true, incremental: true, tsBuildInfoFile: buildInfoFile, composite: false, declaration: false },
  });
  const errors = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error && d.file && !d.file.fileName.includes('/node_modules/'));
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
function passedBefore(stampFile: string, files: string[]): boolean {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { roots: string[]; read: Record<string, string> };
    if (stamp.roots.join('\n') !== files.join('\n')) return false;
    return Object.entries(stamp.read).every(([path, print]) => fingerprint(path) === print);
  } catch {
    return false;
  }
}

function rememberPassed(stampFile: string, roots: string[], read: string[]): void {
  try {
    writeFileSync(stampFile, JSON.stringify({ roots, read: Object.fromEntries(read.map((path) => [path, fingerprint(path)])) }));
  } catch {
    // an unwritable folder only costs the next run a check
  }
}
