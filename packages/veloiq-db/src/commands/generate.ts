import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR, renderGenerated, writeGenerated } from '../core/codegen';
import { discoverEntities, modelFiles, MODELS_FILE, MODULES_DIR } from '../core/entities';
import { shownPath } from '../core/paths';
import { findProject, localStatePath, type Project } from '../core/project';
import type { CommandOptions } from './session';
import { assertDecoratorsCompile } from '../core/transpile';
import { assertNoTypeErrors } from '../core/typecheck';
import { checkTogether } from '../core/typecheck-together';

export interface GenerateResult {
  kind: 'generate';
  /** Entity class names, sorted. */
  entities: string[];
  /** Module folders that define entities, sorted. */
  modules: string[];
  /** Every file generate owns, relative to the workspace, with whether this run changed it. */
  files: { path: string; changed: boolean }[];
  /** Why nothing was generated, when nothing was. */
  skipped?: string;
}

/**
 * Reads every `backend/src/modules/<module>/models.ts` and writes `backend/src/generated/`: the
 * entity registry the MikroORM config imports, TypeScript types and JSON Schemas per entity.
 * The entity files are type-checked first (with the project's TypeScript), and nothing is
 * written until every file is rendered, so an entity error leaves the old files. Needs no
 * database and no env file.
 */
export async function generate(options: CommandOptions): Promise<GenerateResult> {
  const project = findProject(options.projectRoot);
  const show = (path: string) => shownPath(path, options.projectRoot, options.cwd);
  const modelPaths = modelFiles(project).map((file) => file.path);
  const generatedDir = join(project.backendDir, GENERATED_DIR);
  if (modelPaths.length === 0 && !existsSync(generatedDir)) {
    // An existing MikroORM app lists its entities in its config (a glob, an import): there is
    // no registry to keep, and writing one would only add files the app never reads.
    const skipped = `Nothing to generate: no ${MODULES_DIR}/*/${MODELS_FILE} in ${show(project.backendDir) || '.'} and no ${show(generatedDir)}/; the MikroORM config lists the entities.`;
    return { kind: 'generate', entities: [], modules: [], files: [], skipped };
  }
  assertDecoratorsCompile(modelPaths);
  assertNoTypeErrors(modelPaths, show, typeCheckState(project));
  const found = await discoverEntities(project, show);
  const files = renderGenerated(found, project);
  const written = new Set(writeGenerated(files, show).map((file) => file.path));
  return {
    kind: 'generate',
    entities: found.metadata.filter((meta) => !meta.pivotTable).map((meta) => meta.className),
    modules: found.modules.filter((m) => m.entities.length > 0).map((m) => m.name),
    files: files.map((file) => ({ path: show(file.path), changed: written.has(file.path) })),
  };
}

const typeCheckState = (project: Project) => localStatePath(project, 'entities.tsbuildinfo');

/**
 * For many `generate` runs in one process (Nx's batch): the entity files of every project are
 * type-checked together first, and each project whose check that settles skips its own. A
 * project this cannot read is left to its own `generate`, which says what is wrong.
 */
export function checkEntitiesTogether(projectRoots: string[]): void {
  checkTogether(
    projectRoots.flatMap((root) => {
      try {
        const project = findProject(root);
        return [{ files: modelFiles(project).map((file) => file.path), buildInfoFile: typeCheckState(project) }];
      } catch {
        return [];
      }
    }),
  );
}
