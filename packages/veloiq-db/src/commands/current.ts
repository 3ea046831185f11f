import { shownPath } from '../core/paths';
import { markersOf, revisionDetail, type Markers, type RevisionDetail, type VerboseOption } from './heads';
import { notifier, withReadOnlyDatabase, readPosition, type CommandOptions } from './session';

export interface AppliedHead {
  id: string;
  description: string;
  /** True when it is also a head of the revision graph (nothing after it on its branch). */
  head: boolean;
}

export interface CurrentResult {
  kind: 'current';
  /** The newest applied revision's id; null at base. */
  id: string | null;
  description: string | null;
  /** True when every revision is applied. */
  head: boolean;
  /** The newest head of the graph (see `graphHeads` when there are several). */
  headId: string | null;
  /** Revisions not applied yet. */
  pending: number;
  /** Every applied head: one per branch the database is on (several before a merge). */
  heads: AppliedHead[];
  /** The heads of the revision graph; more than one means branches wait for 'veloiq db merge'. */
  graphHeads: string[];
  /** With `verbose`: each applied head in full. */
  details?: RevisionDetail[];
  /** For the text: each applied head's markers (not in the JSON). */
  markers: Markers;
}

/** The revisions applied now (one per branch), and whether the database is at head. */
export function current(options: CommandOptions & VerboseOption): Promise<CurrentResult> {
  return withReadOnlyDatabase(options, async (db) => {
    const position = await readPosition(db, notifier(options));
    const { revisions, graph } = position;
    const applied = revisions[position.current];
    const pending = revisions.filter((r) => !position.appliedNames.has(r.name)).length;
    return {
      kind: 'current',
      id: applied?.id ?? null,
      description: applied?.description ?? null,
      head: pending === 0,
      headId: graph.heads.at(-1)?.id ?? null,
      pending,
      heads: position.heads.map((r) => ({ id: r.id, description: r.description, head: graph.heads.includes(r) })),
      graphHeads: graph.heads.map((r) => r.id),
      markers: markersOf(graph, position.heads),
      ...(options.verbose ? { details: position.heads.map((r) => revisionDetail(graph, r, (path) => shownPath(path, options.projectRoot, options.cwd))) } : {}),
    };
  });
}
