import { openFolder } from './folder';
import { labelsOf, type RevisionGraph } from '../core/revision-graph';
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

export interface HeadsResult {
  kind: 'heads';
  /** The revisions no other names as parent; more than one waits for 'veloiq db merge'. */
  heads: GraphEntry[];
}

/** The heads of the revision graph, as `alembic heads` (reads files only). */
export async function heads(options: CommandOptions): Promise<HeadsResult> {
  const { graph } = await openFolder(options);
  return { kind: 'heads', heads: graph.heads.map((r) => graphEntry(graph, r)) };
}
