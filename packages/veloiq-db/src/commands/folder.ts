import { readOnlyConfig } from '../core/config-facts';
import { revisionLanguage, type RevisionLanguage } from '../core/migration-options';
import { migrationsDirOf } from '../core/orm';
import { shownPath } from '../core/paths';
import { buildGraph, type RevisionGraph } from '../core/revision-graph';
import { listRevisions, type Revision } from '../core/revisions';
import { prepare, withEnvironment, type CommandOptions } from './session';

/** The migrations folder and its revision graph, read without connecting to any database. */
export interface Folder {
  migrationsDir: string;
  show: (path: string) => string;
  revisions: Revision[];
  graph: RevisionGraph<Revision>;
  /** What a revision written here is written in (the config's migrations.emit). */
  language: RevisionLanguage;
}

export function openFolder(options: CommandOptions): Promise<Folder> {
  return withEnvironment(options.env, () => readFolder(options));
}

async function readFolder(options: CommandOptions): Promise<Folder> {
  const project = prepare(options);
  const { config } = await readOnlyConfig(project);
  const migrationsDir = migrationsDirOf(config, project);
  const revisions = listRevisions(migrationsDir);
  return {
    migrationsDir,
    show: (path) => shownPath(path, options.projectRoot, options.cwd),
    revisions,
    graph: buildGraph(revisions),
    language: revisionLanguage(config),
  };
}
