import { openFolder } from './folder';
import { isBranchpoint, isMergepoint, labelsOf, type RevisionGraph } from '../core/revision-graph';
import type { CommandOptions } from './session';
import type { Revision } from '../core/revisions';

/** A revision as the graph commands show it. */
export interface GraphEntry {
  id: string;
  description: string;
  parents: string[];
  labels: string[];
}

export function graphEntry(graph: RevisionGraph<Revision>, r: Revision): GraphEntry {
  return { id: r.id, description: r.description, parents: r.parents, labels: labelsOf(graph, r) };
}

/** A revision in full, as `show` and the `--verbose` listings print it (Alembic's verbose form). */
export interface RevisionDetail extends GraphEntry {
  name: string;
  path: string;
  children: string[];
  head: boolean;
  branchpoint: boolean;
  mergepoint: boolean;
}

export function revisionDetail(graph: RevisionGraph<Revision>, r: Revision, shown: (path: string) => string): RevisionDetail {
  return {
    ...graphEntry(graph, r),
    name: r.name,
    path: shown(r.path),
    children: graph.children.get(r.id)!.map((c) => c.id),
    head: graph.heads.includes(r),
    branchpoint: isBranchpoint(graph, r),
    mergepoint: isMergepoint(r),
  };
}

/**
 * Alembic's markers of each listed revision (`head`, `branchpoint`, `mergepoint`), by id, for the
 * text lines only: the JSON already carries them where it has them, and keeps its shape.
 */
export type Markers = Record<string, string[]>;

export function markersOf(graph: RevisionGraph<Revision>, revisions: readonly Revision[]): Markers {
  return Object.fromEntries(
    revisions.map((r) => [
      r.id,
      [graph.heads.includes(r) && 'head', isBranchpoint(graph, r) && 'branchpoint', isMergepoint(r) && 'mergepoint'].filter((m) => m !== false),
    ]),
  );
}

/** Alembic's `--verbose` of current, heads, branches and history: each revision in full. */
export interface VerboseOption {
  verbose?: boolean;
}

export interface HeadsResult {
  kind: 'heads';
  /** The revisions no other names as parent; more than one waits for 'veloiq db merge'. */
  heads: GraphEntry[];
  /** With `verbose`: each head in full. */
  details?: RevisionDetail[];
}

/**
 * The heads of the revision graph, as `alembic heads` (reads files only). Alembic's
 * `--resolve-dependencies` changes nothing here: revisions have no `depends_on`.
 */
export async function heads(options: CommandOptions & VerboseOption): Promise<HeadsResult> {
  const { graph, show } = await openFolder(options);
  return {
    kind: 'heads',
    heads: graph.heads.map((r) => graphEntry(graph, r)),
    ...(options.verbose ? { details: graph.heads.map((r) => revisionDetail(graph, r, show)) } : {}),
  };
}
