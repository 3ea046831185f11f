import { loadConfig, migrationsDirOf } from './orm';
import { shownPath } from './paths';
import { buildGraph, type RevisionGraph } from './revision-graph';
import { listRevisions, type Revision } from './revisions';
import { prepare, type CommandOptions } from './session';

/** The migrations folder and its revision graph, read without connecting to any database. */
export interface Folder {
  migrationsDir: string;
  show: (path: string) => string;
  revisions: Revision[];
  graph: RevisionGraph<Revision>;
}

export async function openFolder(options: CommandOptions): Promise<Folder> {
  const project = prepare(options);
  const migrationsDir = migrationsDirOf(await loadConfig(project), project);
  const revisions = listRevisions(migrationsDir);
  return {
    migrationsDir,
    show: (path) => shownPath(path, options.projectRoot, options.cwd),
    revisions,
    graph: buildGraph(revisions),
  };
}
