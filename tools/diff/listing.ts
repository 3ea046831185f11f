// What the listings (current, heads, branches, history) say, in a form both tools' text reduces
// to: per revision line, its id, parents, labels and the markers (head), (branchpoint),
// (mergepoint) and, where asked, (current). Descriptions, our extra markers ((pending),
// (applied #N)) and summary lines are left out.

/** Markers Alembic prints; anything else in parentheses is a branch label. */
const MARKERS = new Set(['head', 'effective head', 'branchpoint', 'mergepoint', 'current']);
/** Ours only: where the database stands against each revision, beyond Alembic's markers. */
const OURS_ONLY = /^(pending|applied #\d+)$/;

/**
 * Sorted entries such as `a1b2c3d4 <- a0000000 [head,feat]`; branches' child lines start `->`.
 * Lines whose revision is no known id (summaries, hints) are skipped. Order is not compared:
 * the two tools walk sibling branches in different orders.
 */
export function listingEntries(text: string, ids: ReadonlySet<string>, keepCurrent: boolean): string[] {
  const entries: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const verbose = /^Rev: (\S+)(.*)$/.exec(line);
    const plain = /^(-> )?(?:(.+?) -> )?(\S+?)((?: \([^()]*\))*)(?:, .*)?$/.exec(line);
    let [child, parents, id, rest] = ['', '', '', ''];
    if (verbose) [id, rest] = [verbose[1], verbose[2]];
    else if (plain) [child, parents, id, rest] = [plain[1] ?? '', plain[2] ?? '', plain[3], plain[4]];
    if (!ids.has(id)) continue;
    const marks = [...rest.matchAll(/\(([^()]*)\)/g)]
      .map((m) => m[1])
      .filter((mark) => !OURS_ONLY.test(mark) && (keepCurrent || mark !== 'current'))
      .flatMap((mark) => (MARKERS.has(mark) ? [mark] : mark.split(', ').map((label) => `label:${label}`)))
      .sort();
    entries.push(`${child}${id}${parents ? ` <- ${parents.split(', ').sort().join(',')}` : ''} [${marks.join(',')}]`);
  }
  return entries.sort();
}
