import { AmbiguousRevisionError, UnknownRevisionError, UserError } from './errors';

/**
 * The revisions as Alembic sees them: a graph in which each revision names its parent(s). Two
 * children of one parent are two heads (a branchpoint); a revision with two parents joins them
 * (a mergepoint). Pure: no files, no database. The record of a database is a set of applied
 * names; its "applied heads" are the applied revisions none of whose children is applied.
 */
export interface GraphRevision {
  id: string;
  name: string;
  description: string;
  /** Parent ids; empty for a revision that starts from base. */
  parents: string[];
  /** Branch labels declared on this revision (`--branch-label`). */
  labels: string[];
}

export interface RevisionGraph<R extends GraphRevision = GraphRevision> {
  /** Parents before children; among revisions free to go, in id order. */
  revisions: R[];
  byId: Map<string, R>;
  children: Map<string, R[]>;
  heads: R[];
  /** Revision ids carrying each label: the labelled revision, its descendants, and its ancestors down to a branchpoint. */
  labelMembers: Map<string, Set<string>>;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ids = (revisions: readonly GraphRevision[]) => revisions.map((r) => r.id).join(', ');

export function buildGraph<R extends GraphRevision>(revisions: readonly R[]): RevisionGraph<R> {
  const byId = new Map(revisions.map((r) => [r.id, r]));
  if (byId.size < revisions.length) {
    // A copied file (or two branches that drew the same id): every parent line naming the id would be ambiguous.
    const twice = revisions.find((r) => byId.get(r.id) !== r)!;
    const names = revisions.filter((r) => r.id === twice.id).map((r) => r.name);
    throw new UserError(
      `${names.length} revision files have the id ${twice.id} (${names.join(', ')}); an id names one revision. Delete the copy, or give one of them a new id (in its file name, its 'Revision:' line and its class name).`,
    );
  }
  const children = new Map<string, R[]>(revisions.map((r) => [r.id, []]));
  for (const r of revisions) {
    for (const parent of r.parents) {
      if (!byId.has(parent)) {
        throw new UserError(
          `Revision ${r.id} (${r.name}) names parent ${parent}, which no revision file has. Restore that revision's file (git), or fix the 'Parent:' line of ${r.id}.`,
        );
      }
      children.get(parent)!.push(r);
    }
  }
  // Kahn's algorithm; ids sort in creation order, so the result is the id order whenever it can be.
  const waiting = new Map(revisions.map((r) => [r.id, new Set(r.parents).size]));
  const ordered: R[] = [];
  const ready = revisions.filter((r) => r.parents.length === 0);
  while (ready.length > 0) {
    ready.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const next = ready.shift()!;
    ordered.push(next);
    for (const child of new Set(children.get(next.id))) {
      const left = waiting.get(child.id)! - 1;
      waiting.set(child.id, left);
      if (left === 0) ready.push(child);
    }
  }
  if (ordered.length < revisions.length) {
    const stuck = revisions.filter((r) => !ordered.includes(r));
    throw new UserError(`The revisions ${ids(stuck)} name each other as parents (a cycle). Fix their 'Parent:' lines so that each names an older revision.`);
  }
  const graph: RevisionGraph<R> = {
    revisions: ordered,
    byId,
    children,
    heads: ordered.filter((r) => children.get(r.id)!.length === 0),
    labelMembers: new Map(),
  };
  for (const r of ordered) {
    for (const label of r.labels) {
      const members = graph.labelMembers.get(label) ?? new Set<string>();
      if (graph.labelMembers.has(label) && !members.has(r.id)) {
        throw new UserError(`The branch label '${label}' is on two unrelated revisions (${[...members][0]} and ${r.id}). Keep it on one of them.`);
      }
      for (const id of [...descendants(graph, [r.id]), ...branchAncestors(graph, r)]) members.add(id);
      graph.labelMembers.set(label, members);
    }
  }
  return graph;
}

/**
 * The revision's ancestors down to (not including) a branchpoint or a mergepoint: the rest of its
 * branch. Only while the line from it on is unbranched, as Alembic 1.8 spreads a label (a label
 * on a branchpoint, or above a later branch or merge, stays on the revision and what follows).
 */
function branchAncestors(graph: RevisionGraph, r: GraphRevision): string[] {
  const forks = (at: GraphRevision) => isBranchpoint(graph, at) || isMergepoint(at);
  if ([...descendants(graph, [r.id])].some((id) => forks(graph.byId.get(id)!))) return [];
  const found: string[] = [];
  let at = r;
  while (at.parents.length === 1 && !forks(graph.byId.get(at.parents[0])!)) {
    at = graph.byId.get(at.parents[0])!;
    found.push(at.id);
  }
  return found;
}

function walk(start: Iterable<string>, next: (id: string) => Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...next(id));
  }
  return seen;
}

/** The revisions and all their ancestors. */
export function ancestors(graph: RevisionGraph, from: Iterable<string>): Set<string> {
  return walk(from, (id) => graph.byId.get(id)!.parents);
}

/** The revisions and all their descendants. */
export function descendants(graph: RevisionGraph, from: Iterable<string>): Set<string> {
  return walk(from, (id) => graph.children.get(id)!.map((c) => c.id));
}

export const isBranchpoint = (graph: RevisionGraph, r: GraphRevision) => graph.children.get(r.id)!.length > 1;
export const isMergepoint = (r: GraphRevision) => r.parents.length > 1;

/** The labels a revision carries (declared on it or inherited along its branch). */
export function labelsOf(graph: RevisionGraph, r: GraphRevision): string[] {
  return [...graph.labelMembers].filter(([, members]) => members.has(r.id)).map(([label]) => label);
}

/**
 * Applied revisions below which no applied revision descends: where the database stands, one per
 * branch. (A gap, c applied but its parent b not, still stands at c alone.)
 */
export function appliedHeads<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>): R[] {
  const present = graph.revisions.filter((r) => applied.has(r.name));
  const below = walk(
    present.flatMap((r) => r.parents),
    (id) => graph.byId.get(id)!.parents,
  );
  return present.filter((r) => !below.has(r.id));
}

/** The fix for several heads, in Alembic's words. */
export function multipleHeadsError(graph: RevisionGraph, spec: string): UserError {
  const labels = graph.heads.map((h) => labelsOf(graph, h)[0]).find(Boolean) ?? '<label>';
  return new UserError(
    `Multiple head revisions are present (${ids(graph.heads)}) for '${spec}': specify a target revision, '${labels}@head' to narrow to one head, or 'heads' for all of them; or join them with 'veloiq db merge -m "merge heads"'.`,
  );
}

/** `[label@][symbol]±N`, Alembic's relative word: label, symbol (an id, head, base...), sign, count. */
const RELATIVE = /^(?:([^@]+)@)?(\w+)?([+-])(\d+)$/;

export const REVISION_HINT =
  "Use head, base, -N, +N, heads, <label>@head, <label>@base, <label>@<rev>, <rev>@+N, <rev>@-N, <rev>+N, head-N, a revision id or unique prefix, or a branch label (see 'veloiq db history').";

/** What a revision word names: a set of revisions (empty for base). */
export interface Target<R extends GraphRevision = GraphRevision> {
  revisions: R[];
  /** The word as typed, for messages. */
  spec: string;
  /**
   * For words that walk a branch (`c@-1`, `feat@base`, `-1`): the revisions on that branch.
   * A downgrade reverts only those, as Alembic does, and keeps the other branches.
   */
  within?: Set<string>;
  /**
   * For `X@rev`: the revisions on X's line and on rev's (ancestors and descendants of each).
   * `stamp X@rev` replaces every applied head there once rev is above or below one of them, as
   * Alembic's stamp filters heads by both halves of the word: with a label on a branchpoint, the
   * label's other branch goes too (its revisions carry the label).
   */
  stampLine?: Set<string>;
}

/**
 * One revision by id, name or unique prefix of an id (labels are not ids). Given `onLine` (the
 * `rev` of `X@rev`), a prefix counts only the revisions on X's line when any is, as Alembic
 * narrows it: one that starts ids on two branches names the one on X's.
 */
export function findRevision<R extends GraphRevision>(graph: RevisionGraph<R>, text: string, onLine?: (revision: R) => boolean): R {
  if (!/^[0-9A-Za-z_]+$/.test(text)) throw new UnknownRevisionError(text, `Invalid revision '${text}'. ${REVISION_HINT}`);
  const exact = graph.revisions.find((r) => r.id === text || r.name === text);
  if (exact) return exact;
  // Case counts, as in Alembic: 'A1B2' is no revision of 'a1b2...' (the message says so).
  const starting = graph.revisions.filter((r) => r.id.startsWith(text)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const narrowed = onLine ? starting.filter(onLine) : [];
  const matches = narrowed.length > 0 ? narrowed : starting;
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new AmbiguousRevisionError(
      text,
      matches.map((r) => r.id),
      `Ambiguous revision '${text}': it starts ${matches.length} ids${narrowed.length > 0 ? ' on that branch' : ''} (${ids(matches)}). Type more of the id.`,
    );
  }
  const cased = graph.revisions.some((r) => r.id.startsWith(text.toLowerCase()));
  throw new UnknownRevisionError(
    text,
    cased
      ? `Unknown revision '${text}': revision ids are lowercase; type '${text.toLowerCase()}'.`
      : `Unknown revision '${text}': no revision id starts with it. Run 'veloiq db history' to see the ids.`,
  );
}

/** N steps from `from` (ids; empty = base) towards the heads (+) or base (-), never across a fork. */
function step<R extends GraphRevision>(
  graph: RevisionGraph<R>,
  from: R[],
  steps: number,
  spec: string,
  applied?: ReadonlySet<string>,
  lineage?: ReadonlySet<string>,
): R[] {
  let at = from;
  for (let taken = 0; taken < Math.abs(steps); taken++) {
    if (steps < 0) {
      if (at.length === 0) {
        const where = applied
          ? `only ${plural(taken, 'revision')} ${taken === 1 ? 'is' : 'are'} applied`
          : `only ${plural(taken, 'revision')} ${taken === 1 ? 'is' : 'are'} below ${ids(from)}`;
        throw new UserError(`Cannot go ${plural(-steps, 'step')} back: ${where}. Use 'base' to revert everything.`);
      }
      const [r] = at;
      if (r.parents.length > 1) {
        throw new UserError(
          `Ambiguous revision '${spec}': ${r.id} is a mergepoint of ${r.parents.join(', ')}, so a step back has two ways. Name the revision to go back to (e.g. '${r.parents[0]}', which keeps ${r.parents.slice(1).join(', ')}).`,
        );
      }
      at = r.parents.map((id) => graph.byId.get(id)!);
    } else {
      const next = (at.length === 0 ? graph.revisions.filter((r) => r.parents.length === 0) : graph.children.get(at[0].id)!).filter(
        (r) => !lineage || lineage.has(r.id),
      );
      if (next.length === 0) {
        const pending = applied ? graph.revisions.filter((r) => !applied.has(r.name)).length : taken;
        throw new UserError(
          `Cannot go ${plural(steps, 'step')} forward: only ${plural(applied ? pending : taken, 'revision')} ${(applied ? pending : taken) === 1 ? 'is' : 'are'} pending. Use 'head' to apply them all.`,
        );
      }
      if (next.length > 1) {
        throw new UserError(
          `Ambiguous revision '${spec}': ${at[0]?.id ?? 'base'} has ${next.length} children (${ids(next)}), one per branch. Name the branch: '<label>@+N', '<rev>@+N', or a revision id.`,
        );
      }
      at = next;
    }
  }
  return at;
}

/**
 * Resolves a revision word, as Alembic reads it, against a database's record (`applied` names).
 * Relative words (-N, +N, label@-N) count from where the database stands on that branch.
 */
export function resolveTarget<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>, spec: string | number): Target<R> {
  const text = String(spec).trim();
  const target = (revisions: R[], within?: Set<string>): Target<R> => ({ revisions, spec: text, ...(within ? { within } : {}) });
  if (text === '') throw new UserError(`Invalid revision '': a revision word must not be empty. ${REVISION_HINT}`);
  if (text.includes(':')) {
    throw new UserError(
      `A range such as '${text}' is for --sql only (offline, where no database says where to start). Online, give one revision: '${text.slice(text.indexOf(':') + 1) || 'head'}'.`,
    );
  }
  if (text === 'heads') return target(graph.heads);
  if (text === 'head') {
    if (graph.heads.length > 1) throw multipleHeadsError(graph, text);
    return target(graph.heads);
  }
  if (text === 'base') return target([]);
  const relative = RELATIVE.exec(text);
  const anchored = /^([^@]+)@([^@]+)$/.exec(text);
  if (relative) {
    const [, label, symbol, sign, count] = relative;
    const steps = Number(count) * (sign === '-' ? -1 : 1);
    if (steps === 0) throw new UserError(`Invalid revision '${text}': a relative step must not be zero. ${REVISION_HINT}`);
    if (symbol !== undefined) {
      // `head-1`, `abc+2`: a revision like any other (a downgrade to it reverts all above it).
      const lineage = label !== undefined ? lineageOf(graph, label) : undefined;
      const from = symbolAnchor(graph, applied, label, symbol, text);
      return target(step(graph, from, steps, text, undefined, lineage));
    }
    if (label !== undefined) {
      const lineage = lineageOf(graph, label);
      const from = standingOn(graph, applied, lineage, text);
      return target(
        step(graph, from, steps, text, applied, lineage),
        ancestors(
          graph,
          from.map((r) => r.id),
        ),
      );
    }
    const heads = appliedHeads(graph, applied);
    if (heads.length > 1) {
      const labelled = heads.map((h) => labelsOf(graph, h)[0] ?? h.id);
      throw new UserError(
        `Ambiguous revision '${text}': the database stands on ${heads.length} branches (${ids(heads)}). Say which: '${labelled[0]}@${sign}${count}', or a revision id.`,
      );
    }
    return target(
      step(graph, heads, steps, text, applied),
      ancestors(
        graph,
        heads.map((h) => h.id),
      ),
    );
  }
  if (anchored) {
    const [, branch, symbol] = anchored;
    if (symbol === 'head' || symbol === 'heads') {
      const members = branchOf(graph, branch);
      const heads = graph.heads.filter((h) => members.has(h.id));
      if (heads.length > 1 && symbol === 'head') throw multipleHeadsError({ ...graph, heads }, text);
      return target(heads);
    }
    const from = branchRevision(graph, branch);
    if (symbol === 'base') {
      // Alembic reads `X@base` as base itself, for the revisions on X's line: `stamp X@base`
      // unrecords X's branch only; a downgrade to it reverts the root below X and so everything
      // applied above that root, other branches off it included.
      return target([], lineageOf(graph, branch));
    }
    // `X@rev`: rev, on X's line. Downgrading to it reverts only the child branch leading to X.
    const r = findRevision(graph, symbol, (candidate) => sharesLineage(graph, candidate, from));
    if (!sharesLineage(graph, r, from)) {
      throw new UserError(`Revision ${r.id} is not on the branch of '${branch}'. Name a revision on that branch, or the revision alone ('${r.id}').`);
    }
    const children = graph.children.get(r.id)!;
    const onLine = children.length > 1 ? children.filter((c) => ancestors(graph, [from.id]).has(c.id)) : children;
    return {
      ...target(
        [r],
        descendants(
          graph,
          onLine.map((c) => c.id),
        ),
      ),
      stampLine: new Set([...lineageOf(graph, branch), ...lineageOf(graph, r.id)]),
    };
  }
  // A bare label names the revision that declares it, as in Alembic (`upgrade feat`).
  return target([branchRevision(graph, text)]);
}

/**
 * Where `head-1`, `abc+2`, `base+1` and `feat@head-1` count from (Alembic's `[label@]symbol±N`):
 * the revision the symbol names, not the database's position.
 */
function symbolAnchor<R extends GraphRevision>(
  graph: RevisionGraph<R>,
  applied: ReadonlySet<string>,
  label: string | undefined,
  symbol: string,
  spec: string,
): R[] {
  const word = label !== undefined && (symbol === 'head' || symbol === 'base') ? `${label}@${symbol}` : symbol;
  const anchor = resolveTarget(graph, applied, word).revisions;
  if (anchor.length > 1) throw multipleHeadsError(graph, spec);
  return anchor;
}

/**
 * A bare `-N` for upgrade or `+N` for downgrade counts the wrong way from where the database
 * stands; Alembic refuses both ("Relative revision -1 didn't produce 1 migrations").
 */
export function assertDirection(command: 'upgrade' | 'downgrade', spec: string | number): void {
  const word = String(spec).trim();
  const match = RELATIVE.exec(word);
  if (!match || match[2] !== undefined || Number(match[4]) === 0) return;
  if (command === 'upgrade' && match[3] === '-') {
    throw new UserError(`upgrade goes forward, and '${word}' counts back from the current revision. To revert, run 'veloiq db downgrade -- ${word}'.`);
  }
  if (command === 'downgrade' && match[3] === '+') {
    throw new UserError(`downgrade goes back, and '${word}' counts forward from the current revision. To apply, run 'veloiq db upgrade ${word}'.`);
  }
}

/** The revision a branch word names: the one declaring the label, or the revision itself. */
function branchRevision<R extends GraphRevision>(graph: RevisionGraph<R>, word: string): R {
  return graph.revisions.find((r) => r.labels.includes(word)) ?? findRevision(graph, word);
}

/** A label's members, or a revision and its descendants. */
function branchOf(graph: RevisionGraph, word: string): Set<string> {
  return graph.labelMembers.get(word) ?? descendants(graph, [findRevision(graph, word).id]);
}

/**
 * What shares a line with a label or a revision: the labelled revision's (or the revision's)
 * ancestors and descendants. `label@±N` and `rev@±N` walk only along it, as Alembic does.
 */
function lineageOf(graph: RevisionGraph, word: string): Set<string> {
  const labelled = graph.revisions.filter((r) => r.labels.includes(word)).map((r) => r.id);
  const from = labelled.length > 0 ? labelled : [findRevision(graph, word).id];
  return new Set([...ancestors(graph, from), ...descendants(graph, from)]);
}

/**
 * Where `label@±N` and `rev@±N` count from: where the database stands on that line (base when
 * nothing on it is applied), not the label's revision.
 */
function standingOn<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>, lineage: ReadonlySet<string>, spec: string): R[] {
  const standing = ancestors(
    graph,
    appliedHeads(graph, applied).map((h) => h.id),
  );
  const onLine = new Set([...standing].filter((id) => lineage.has(id)));
  const tips = graph.revisions.filter((r) => onLine.has(r.id) && !graph.children.get(r.id)!.some((c) => onLine.has(c.id)));
  if (tips.length > 1) {
    throw new UserError(
      `Ambiguous revision '${spec}': the database stands at ${ids(tips)} on that line. Name a revision id, or a branch label that covers only one of them.`,
    );
  }
  return tips;
}

/** What `upgrade` applies: the targets' ancestors not applied yet, parents first. Empty when the targets are applied. */
export function upgradePlan<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>, target: Target<R>): R[] {
  const wanted = ancestors(
    graph,
    target.revisions.map((r) => r.id),
  );
  return graph.revisions.filter((r) => wanted.has(r.id) && !applied.has(r.name));
}

/** What `downgrade` reverts, children first: the applied descendants of the targets (everything at base). */
export function downgradePlan<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>, target: Target<R>): R[] {
  const heads = appliedHeads(graph, applied);
  for (const r of target.revisions) {
    if (applied.has(r.name)) continue;
    // Not applied, yet below an applied revision: a gap in the record (a revision that arrived late).
    const gap = heads.some((h) => ancestors(graph, [h.id]).has(r.id));
    throw new UserError(
      gap
        ? `Revision ${r.id} is not applied, so the database cannot be left at it. Pick an applied revision (see 'veloiq db history'), or 'veloiq db stamp ${r.id}' to only change the record.`
        : `Revision ${r.id} is ahead of the current revision (${ids(heads) || 'base'}); downgrade only goes back. To apply it use 'veloiq db upgrade ${r.id}'.`,
    );
  }
  const keep = ancestors(
    graph,
    target.revisions.map((r) => r.id),
  );
  const revert =
    target.revisions.length === 0
      ? graph.revisions
      : [
          ...descendants(
            graph,
            target.revisions.map((r) => r.id),
          ),
        ].map((id) => graph.byId.get(id)!);
  const chosen = revert.filter((r) => !keep.has(r.id) && (target.within?.has(r.id) ?? true)).map((r) => r.id);
  // What was applied on top of a reverted revision goes too: the record never keeps a child without its parent.
  const names = new Set([...descendants(graph, chosen)].filter((id) => !keep.has(id)).map((id) => graph.byId.get(id)!.name));
  return graph.revisions.filter((r) => names.has(r.name) && applied.has(r.name)).reverse();
}

/** Whether one revision descends from the other (either way), or they are the same. */
function sharesLineage(graph: RevisionGraph, a: GraphRevision, b: GraphRevision): boolean {
  return ancestors(graph, [a.id]).has(b.id) || ancestors(graph, [b.id]).has(a.id);
}

/**
 * What `stamp` changes, as Alembic stamps: each target replaces the applied heads on its own line
 * (below or above it) and leaves the other branches recorded; a target on no applied line adds
 * a branch; base (a word naming no revision) clears the record. `purge` starts from an empty
 * record, so exactly the targets and their ancestors are recorded afterwards.
 */
export function stampPlan<R extends GraphRevision>(
  graph: RevisionGraph<R>,
  applied: ReadonlySet<string>,
  targets: readonly Target<R>[],
  purge = false,
): { record: R[]; remove: R[] } {
  const before = purge ? [] : appliedHeads(graph, applied);
  // Base among other words (`stamp head feat@base`) adds nothing: the others' ancestors are recorded anyway (Alembic 1.8).
  const words = targets.some((t) => t.revisions.length > 0) ? targets.filter((t) => t.revisions.length > 0) : targets;
  // As Alembic, the heads each target may replace are those on the line of any target; a word
  // that walks one branch (`b@-1`, `feat@base`) replaces only that branch's.
  const onLine = (t: Target<R>, h: R) =>
    t.stampLine
      ? t.stampLine.has(h.id)
      : (!t.within || t.within.has(h.id)) && (t.revisions.length === 0 || t.revisions.some((d) => sharesLineage(graph, h, d)));
  const onLines = before.filter((h) => words.some((t) => onLine(t, h)));
  let heads = new Set<R>(before);
  for (const t of words) {
    for (const dest of t.revisions.length === 0 ? [undefined] : t.revisions) {
      if (!dest) heads = new Set([...heads].filter((h) => !onLines.includes(h)));
      else if (heads.has(dest)) continue;
      else if (t.stampLine) {
        // `X@rev` (Alembic 1.8): rev above or below any head on X's line or its own replaces them
        // all; on none of them, it is a new branch beside them.
        const replaced = [...heads].filter((h) => onLine(t, h));
        const moves = replaced.some((h) => sharesLineage(graph, h, dest));
        heads = new Set([...[...heads].filter((h) => !moves || !replaced.includes(h)), dest]);
      } else heads = new Set([...[...heads].filter((h) => !onLines.includes(h) || !sharesLineage(graph, h, dest)), dest]);
    }
  }
  const wanted = ancestors(
    graph,
    [...heads].map((r) => r.id),
  );
  return {
    record: graph.revisions.filter((r) => wanted.has(r.id) && !applied.has(r.name)),
    remove: graph.revisions.filter((r) => !wanted.has(r.id) && applied.has(r.name)).reverse(),
  };
}

/**
 * The revisions `history -r start:end` shows, as Alembic's history range: descendants of start
 * and ancestors of end, both included (an empty start is base, an empty end the heads).
 * `current` is where the database stands; a bare `-N` start counts back from the head. A start
 * that is not below the end is refused, as Alembic refuses it.
 */
export function historyRange<R extends GraphRevision>(graph: RevisionGraph<R>, applied: ReadonlySet<string>, range: string): R[] {
  const colon = range.indexOf(':');
  if (colon === -1) throw new UserError(`History range '${range}' needs a colon: [start]:[end], [start]: or :[end] (e.g. 'base:head', '-3:', 'current:').`);
  const [start, end] = [range.slice(0, colon).trim(), range.slice(colon + 1).trim()];
  const word = (text: string): R[] => (text === 'current' ? appliedHeads(graph, applied) : resolveTarget(graph, applied, text).revisions);
  const back = /^-(\d+)$/.exec(start);
  const from = !start ? undefined : back ? fromHead(graph, -Number(back[1]), range) : word(start);
  // A start at base (`base`, `feat@base`) shows everything below the end.
  const lower = from?.length ? from : undefined;
  // A bare `+N`/`-N` end counts from the start (base when there is none), as Alembic's.
  const relativeEnd = /^([+-]\d+)$/.exec(end);
  let upper = relativeEnd ? step(graph, lower ?? [], Number(relativeEnd[1]), range) : end ? word(end) : graph.heads;
  // From `feat@base`, only the end revisions carrying feat (on a revision's line, for `rev@base`),
  // and all below them (Alembic 1.8).
  const labelBase = /^([^@]+)@base$/.exec(start);
  if (labelBase) {
    const line = graph.labelMembers.get(labelBase[1]) ?? lineageOf(graph, labelBase[1]);
    upper = upper.filter((r) => line.has(r.id));
  }
  const below = ancestors(
    graph,
    upper.map((r) => r.id),
  );
  const after = lower?.find((r) => !below.has(r.id));
  if (after) {
    throw new UserError(
      `History range '${range}' runs the wrong way: ${after.id} is not below ${upper.map((r) => r.id).join(', ') || 'base'}. Put the older revision first ([start]:[end], e.g. 'base:${after.id}').`,
    );
  }
  const above = lower
    ? descendants(
        graph,
        lower.map((r) => r.id),
      )
    : undefined;
  return graph.revisions.filter((r) => below.has(r.id) && (!above || above.has(r.id)));
}

/**
 * A bare `-N` start counts back from the heads of the revisions, whatever the end (as Alembic's):
 * with several heads, only when every one of them lands on the same revision.
 */
function fromHead<R extends GraphRevision>(graph: RevisionGraph<R>, steps: number, range: string): R[] {
  const landed = graph.heads.map((head) => step(graph, [head], steps, range));
  const first = landed[0] ?? [];
  if (landed.length > 1 && (first.length === 0 || landed.some((at) => at[0] !== first[0]))) throw multipleHeadsError(graph, range);
  return first;
}
