import { openFolder } from './folder';
import { isBranchpoint } from '../core/revision-graph';
import type { CommandOptions } from './session';
import { graphEntry, type GraphEntry } from './heads';

export interface BranchesResult {
  kind: 'branches';
  /** Each revision two or more revisions name as parent, with those children. */
  branchpoints: (GraphEntry & { children: GraphEntry[] })[];
}

/** The branchpoints of the revision graph and their children, as `alembic branches` (reads files only). */
export async function branches(options: CommandOptions): Promise<BranchesResult> {
  const { graph } = await openFolder(options);
  return {
    kind: 'branches',
    branchpoints: graph.revisions
      .filter((r) => isBranchpoint(graph, r))
      .map((r) => ({ ...graphEntry(graph, r), children: graph.children.get(r.id)!.map((c) => graphEntry(graph, c)) })),
  };
}
