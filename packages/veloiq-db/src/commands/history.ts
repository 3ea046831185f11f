import { historyRange, isBranchpoint, isMergepoint, labelsOf } from '../core/revision-graph';
import { shownPath } from '../core/paths';
import { revisionDetail, type RevisionDetail, type VerboseOption } from './heads';
import { notifier, withReadOnlyDatabase, readPosition, type CommandOptions } from './session';

export interface HistoryEntry {
  id: string;
  description: string;
  name: string;
  applied: boolean;
  /** An applied head: where the database stands on this revision's branch. */
  current: boolean;
  /** A head of the graph (no revision names it as parent). */
  head: boolean;
  /** Parent ids; empty for a revision that starts from base. */
  parents: string[];
  /** Branch labels it carries (declared on it or inherited along its branch). */
  labels: string[];
  /** Two or more revisions name it as parent. */
  branchpoint: boolean;
  /** It has two or more parents (written by 'veloiq db merge'). */
  mergepoint: boolean;
  /** Its place (1 = first) in the order this database applied revisions; null when not applied. */
  appliedOrder: number | null;
}

export interface HistoryResult {
  kind: 'history';
  /** Oldest first: parents before children. */
  revisions: HistoryEntry[];
  /** With `verbose`: each shown revision in full, in the same order. */
  details?: RevisionDetail[];
}

export interface HistoryOptions extends CommandOptions, VerboseOption {
  /** Alembic's `history -r start:end`: only the revisions in that range. */
  revRange?: string;
}

/** Every revision (or those in revRange), parents first, with what is applied, current and head, branchpoints, mergepoints and labels. */
export function history(options: HistoryOptions): Promise<HistoryResult> {
  return withReadOnlyDatabase(options, async (db) => {
    const position = await readPosition(db, notifier(options));
    const { graph } = position;
    const order = new Map([...position.appliedNames].map((name, i) => [name, i + 1]));
    const shown = options.revRange === undefined ? graph.revisions : historyRange(graph, position.appliedNames, options.revRange);
    return {
      kind: 'history',
      ...(options.verbose ? { details: shown.map((r) => revisionDetail(graph, r, (path) => shownPath(path, options.projectRoot, options.cwd))) } : {}),
      revisions: shown.map((r) => ({
        id: r.id,
        description: r.description,
        name: r.name,
        applied: position.appliedNames.has(r.name),
        current: position.heads.includes(r),
        head: graph.heads.includes(r),
        parents: r.parents,
        labels: labelsOf(graph, r),
        branchpoint: isBranchpoint(graph, r),
        mergepoint: isMergepoint(r),
        appliedOrder: order.get(r.name) ?? null,
      })),
    };
  });
}
