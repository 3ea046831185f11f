import type { Program, SourceFile } from 'typescript';
import type { TypeScript } from './transpile';
import { checkSetting, passedBefore, projectErrors, rememberPassed, sharedHost, stampFileOf, type CheckSetting } from './typecheck';

export interface EntityCheck {
  /** The project's entity files. */
  files: string[];
  /** Where the project's own check keeps its build info (its pass stamp sits beside it). */
  buildInfoFile: string;
}

/**
 * Type-checks the entity files of many projects in one program per TypeScript copy and
 * tsconfig: the typings are parsed, and MikroORM's types resolved, once for all of them instead
 * of once a project, which is most of what a cold check costs. A project is stamped as passed
 * (see `assertNoTypeErrors`, which then skips its own check) only when the result is the one
 * its own program would give: no error in a file that program would hold, and nothing outside
 * it that could change what its files see (a script's globals, `declare global`, a module
 * augmentation, a UMD global). Every other project is left to its own check, which names the
 * error exactly as it would alone. Never throws: what this cannot settle is checked alone.
 */
export function checkTogether(checks: EntityCheck[]): void {
  const groups = new Map<TypeScript, Map<string, { setting: CheckSetting; checks: EntityCheck[] }>>();
  for (const check of checks) {
    if (check.files.length === 0 || passedBefore(stampFileOf(check.buildInfoFile), check.files)) continue;
    let setting: CheckSetting | undefined;
    try {
      setting = checkSetting(check.files);
    } catch {
      continue; // an unreadable tsconfig: the project's own check says so
    }
    if (!setting) continue;
    const byTsconfig = groups.get(setting.ts) ?? new Map();
    groups.set(setting.ts, byTsconfig);
    const group = byTsconfig.get(setting.tsconfig ?? '') ?? { setting, checks: [] };
    byTsconfig.set(setting.tsconfig ?? '', group);
    group.checks.push(check);
  }
  for (const group of [...groups.values()].flatMap((byTsconfig) => [...byTsconfig.values()])) {
    if (group.checks.length < 2) continue;
    try {
      checkGroup(group.setting, group.checks);
    } catch {
      // each project of the group checks alone
    }
  }
}

function checkGroup({ ts, tsconfig, options }: CheckSetting, checks: EntityCheck[]): void {
  const program = ts.createProgram({ rootNames: checks.flatMap((check) => check.files), options, host: sharedHost(ts, options) });
  const graph = includeGraph(ts, program);
  if (!graph) return;
  const failed = new Set(
    projectErrors(ts, [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...program.getSyntacticDiagnostics(),
      ...program.getSemanticDiagnostics(),
    ]).map((d) => d.file!),
  );
  const global = program.getSourceFiles().filter((file) => mayDeclareGlobals(ts, file));
  for (const check of checks) {
    const own = reachable(graph, [...graph.everyone, ...check.files.map((path) => program.getSourceFile(path)!)]);
    if ([...failed].some((file) => own.has(file)) || global.some((file) => !own.has(file))) continue;
    rememberPassed(stampFileOf(check.buildInfoFile), check.files, [...[...own].map((file) => file.fileName), ...(tsconfig ? [tsconfig] : [])]);
  }
}

interface IncludeGraph {
  /** Files every program holds: the libraries the options name, the automatic `@types`. */
  everyone: SourceFile[];
  /** The files each file brings in (imports, references, type and library references). */
  includes: Map<SourceFile, SourceFile[]>;
}

type WithReasons = Program & { getFileIncludeReasons?(): Map<string, readonly { kind: number; file?: string }[]> };

/**
 * Why each file is in the program, as `tsc --explainFiles` tells it, turned into edges.
 * TypeScript does not export this (the program keeps it for its diagnostics): without it, or
 * with a reason this does not know, undefined, and each project is checked alone.
 */
function includeGraph(ts: TypeScript, program: Program): IncludeGraph | undefined {
  const kinds = (ts as unknown as { FileIncludeKind?: Record<string, number> }).FileIncludeKind;
  const reasons = (program as WithReasons).getFileIncludeReasons?.();
  if (!kinds || !(reasons instanceof Map)) return undefined;
  const byPath = new Map(program.getSourceFiles().map((file) => [(file as SourceFile & { path: string }).path, file]));
  const graph: IncludeGraph = { everyone: [], includes: new Map() };
  for (const [path, list] of reasons) {
    const file = byPath.get(path);
    if (!file) return undefined;
    for (const reason of list) {
      if (reason.kind === kinds.RootFile) continue; // each project names its own
      if (reason.kind === kinds.LibFile || reason.kind === kinds.AutomaticTypeDirectiveFile) {
        graph.everyone.push(file);
        continue;
      }
      const by = reason.file === undefined ? undefined : byPath.get(reason.file);
      const edge = [kinds.Import, kinds.ReferenceFile, kinds.TypeReferenceDirective, kinds.LibReferenceDirective].includes(reason.kind);
      if (!edge || !by) return undefined;
      graph.includes.set(by, [...(graph.includes.get(by) ?? []), file]);
    }
  }
  return graph;
}

function reachable(graph: IncludeGraph, from: SourceFile[]): Set<SourceFile> {
  const seen = new Set<SourceFile>();
  const todo = [...from];
  for (let file = todo.pop(); file; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...(graph.includes.get(file) ?? []));
  }
  return seen;
}

/** A file whose declarations reach beyond the files that import it. */
function mayDeclareGlobals(ts: TypeScript, file: SourceFile): boolean {
  if (file.fileName.endsWith('.json')) return false;
  if (!ts.isExternalModule(file)) return true; // a script: its declarations are global
  return file.statements.some(
    (statement) =>
      ts.isNamespaceExportDeclaration(statement) ||
      (ts.isModuleDeclaration(statement) && (ts.isStringLiteral(statement.name) || (statement.flags & ts.NodeFlags.GlobalAugmentation) !== 0)),
  );
}
