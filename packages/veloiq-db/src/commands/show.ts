import { UserError } from '../core/errors';
import { openFolder } from './folder';
import { findRevision } from '../core/revision-graph';
import type { CommandOptions } from './session';
import { revisionDetail, type RevisionDetail } from './heads';

export interface ShowOptions extends CommandOptions {
  /** A revision id or unique prefix (or its file name). */
  revision?: string | number;
}

export interface ShowResult extends RevisionDetail {
  kind: 'show';
}

/** One revision: parents, children, labels, file, as `alembic show` (reads files only). */
export async function show(options: ShowOptions): Promise<ShowResult> {
  const { graph, show: shown } = await openFolder(options);
  if (options.revision === undefined || String(options.revision).trim() === '') {
    throw new UserError("show needs a revision: an id or a unique prefix of one. Example: 'veloiq db show <id>' (see 'veloiq db history').");
  }
  const r = findRevision(graph, String(options.revision).trim());
  return { kind: 'show', ...revisionDetail(graph, r, shown) };
}
