import { openFolder } from './folder';
import { isBranchpoint } from '../core/revision-graph';
import type { CommandOptions } from './session';
import { graphEntry, markersOf, revisionDetail, type GraphEntry, type Markers, type RevisionDetail, type VerboseOption } from './heads';

export interface BranchesResult {
  kind: 'branches';
  /** Each revision two or more revisions name as parent, with those children. */
  branchpoints: (GraphEntry & { children: GraphEntry[] })[];
  /** With `verbose`: each branchpoint in full. */
  details?: RevisionDetail[];
  /** For the text: the markers of each branchpoint and child (not in the JSON). */
  markers: Markers;
}

/** The branchpoints of the revision graph and their children, as `alembic branches` (reads files only). */
export async function branches(options: CommandOptions & VerboseOption): Promise<BranchesResult> {
  const { graph, show } = await openFolder(options);
  const points = graph.revisions.filter((r) => isBranchpoint(graph, r));
  return {
    kind: 'branches',
    branchpoints: points.map((r) => ({ ...graphEntry(graph, r), children: graph.children.get(r.id)!.map((c) => graphEntry(graph, c)) })),
    ...(options.verbose ? { details: points.map((r) => revisionDetail(graph, r, show)) } : {}),
    markers: markersOf(graph, [...points, ...points.flatMap((r) => graph.children.get(r.id)!)]),
  };
}
