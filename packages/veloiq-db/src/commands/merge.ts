import { join } from 'node:path';
import { UserError } from '../core/errors';
import { openFolder } from './folder';
import { writeHeadFile } from '../core/head-file';
import { resolveTarget, type RevisionGraph } from '../core/revision-graph';
import { assertWritableFolder, descriptionLine, renderRevision, writeRevisionFile } from '../core/revision-file';
import { nextRevisionId, slugOf, type Revision } from '../core/revisions';
import type { CommandOptions } from './session';
import { requireMessage, type MigrateOptions } from './migrate';

export interface MergeOptions extends CommandOptions {
  message?: MigrateOptions['message'];
  /** The revisions to join (default: every head); words as upgrade takes them. */
  revisions?: string | number | (string | number)[];
}

export interface MergeResult {
  kind: 'merge';
  revision: { id: string; description: string; path: string; parents: string[] };
}

/** The parents to join: each word names revisions, all of them heads. */
function parentsOf(graph: RevisionGraph<Revision>, words: string[]): Revision[] {
  const parents = [...new Set(words.flatMap((word) => resolveTarget(graph, new Set(), word).revisions))];
  if (parents.length < 2) {
    throw new UserError(
      words.length === 0 || words[0] === 'heads'
        ? `Nothing to merge: the revisions have one head (${parents.map((r) => r.id).join('') || 'none'}). Merge joins branches, when 'veloiq db heads' shows several.`
        : `A merge needs two or more revisions; '${words.join(' ')}' names ${parents.length}. Give the heads to join, or none for all of them.`,
    );
  }
  for (const r of parents) {
    // As Alembic (without --splice): a merge joins heads; a revision with children would start yet another branch.
    if (!graph.heads.includes(r)) {
      const after = graph.children.get(r.id)!.map((c) => c.id);
      throw new UserError(
        `Revision ${r.id} is not a head (${after.join(', ')} come${after.length === 1 ? 's' : ''} after it): a merge joins heads. Give the heads to join ('veloiq db heads' lists them), or none for all of them.`,
      );
    }
  }
  return parents;
}

/**
 * Writes a revision whose parents are the given heads (default all), with no schema change, as
 * `alembic merge`: afterwards the graph has one head again and `upgrade` applies both branches.
 */
export async function merge(options: MergeOptions): Promise<MergeResult> {
  const message = requireMessage(options.message, 'merge');
  const folder = await openFolder(options);
  assertWritableFolder(folder.migrationsDir, folder.show(folder.migrationsDir));
  const given =
    options.revisions === undefined
      ? []
      : [options.revisions]
          .flat()
          .flatMap((w) => String(w).trim().split(/\s+/))
          .filter(Boolean);
  const parents = parentsOf(folder.graph, given.length > 0 ? given : ['heads']);
  const id = nextRevisionId(folder.revisions);
  // In the config's emit language, as migrate writes: a JavaScript-only app has no TypeScript loader of its own.
  const path = join(folder.migrationsDir, `${id}_${slugOf(message)}.${folder.language}`);
  const parentIds = parents.map((r) => r.id);
  writeRevisionFile(path, renderRevision({ id, message, up: [], down: [], parents: parentIds }, folder.language), folder.show(folder.migrationsDir));
  writeHeadFile(folder.migrationsDir, [...folder.graph.heads.map((r) => r.id).filter((h) => !parentIds.includes(h)), id]);
  return { kind: 'merge', revision: { id, description: descriptionLine(message), path: folder.show(path), parents: parentIds } };
}
