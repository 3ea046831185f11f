// The differences from Alembic kept on purpose, each as README.md's "Where this differs from
// Alembic" states it: a mismatch they explain is counted as known, not as a failure.
import { ancestors, buildGraph } from '../../packages/veloiq-db/src/core/revision-graph';
import type { AlembicAnswer } from './alembic-side';
import type { FuzzRevision } from './graph-spec';
import type { Step } from './steps';

interface Outcome {
  ok: boolean;
  error?: string;
}

const RELATIVE = /(^|@|\w)[+-]\d+$/;

/** The README line explaining the mismatch of this step, if one does. */
export function knownDifference(
  step: Step,
  ours: Outcome,
  alembic: AlembicAnswer,
  revisions: readonly FuzzRevision[],
  /** The revisions applied before the step. */
  before: readonly string[],
): string | undefined {
  const words = step.words ?? [];
  const theirs = alembic.error ?? '';
  const shortPrefix = words.some((w) => {
    const id = w
      .split('@')
      .pop()!
      .replace(/[+-]\d+$/, '');
    return id.length > 0 && id.length < 4 && revisions.some((r) => r.id.startsWith(id));
  });
  if (step.command === 'downgrade' && !step.sql && /^-\d+$/.test(words[0]) && !ours.ok && /stands on \d+ branches/.test(ours.error ?? '') && alembic.ok) {
    return '`downgrade -1` with two branches applied is refused as ambiguous';
  }
  if (step.command === 'stamp' && !step.sql && words.some((w) => RELATIVE.test(w))) {
    return '`stamp -1`, `stamp b@-1` count from where the database stands; Alembic 1.8 counts them down from the heads';
  }
  if (step.command === 'stamp' && ours.ok && alembic.kind === 'crash' && words.length > 1) {
    return '`stamp b c` from above their merge stamps both branches; Alembic 1.8 fails there';
  }
  if (step.command === 'stamp' && !step.sql && !step.purge && words.length === 1 && /^([^@]+@)?heads$/.test(words[0]) && ours.ok && alembic.ok && headsDropped(revisions, before, words[0])) {
    return '`stamp heads` and `stamp <label>@heads` record every head and keep what stands on the other lines';
  }
  if (step.command === 'downgrade' && !ours.ok && alembic.ok && /is not on the branch of/.test(ours.error ?? '')) {
    return "`downgrade <label>@<rev>` with a rev off the label's branch is refused";
  }
  if (step.command === 'stamp' && !step.sql && words.length > 1 && ours.ok && alembic.ok) {
    return "`stamp a b` records each word's revision";
  }
  if (step.command === 'merge' && !ours.ok && alembic.ok && /Nothing to merge|is not a head|needs two or more/.test(ours.error ?? '')) {
    return '`merge` refuses a single head and a revision that is not a head';
  }
  if (shortPrefix && ours.ok && /at least four characters/.test(theirs)) {
    return 'a prefix of fewer than four characters names a revision when only one id starts with it';
  }
  if (step.command === 'downgrade' && step.sql && !words[0].includes(':') && ours.ok && /requires <fromrev>:<torev>/.test(theirs)) {
    return '`downgrade --sql` without a `<from>:` assumes the database is at head';
  }
  if (ours.ok && alembic.kind === 'crash') {
    return 'where Alembic 1.8 crashes with a Python exception (`upgrade <rev>-N`: AssertionError), the word does what it says';
  }
  if (step.command === 'downgrade' && !step.sql && ours.ok && /^([^@]+@)?heads?$/.test(words[0]) && /Multiple head revisions are present for given argument/.test(theirs)) {
    return '`downgrade heads` and `downgrade <label>@head` work while there are several heads; Alembic 1.8 refuses them';
  }
  if (step.command === 'history' && /(^|:)current(:|$)/.test(step.range ?? '') && before.length === 0) {
    return '`history -r <rev>:current` on an empty database ends at base; Alembic 1.8 reads it as the heads';
  }
  if (step.command === 'upgrade' && step.sql && !ours.ok && alembic.ok && /is not after the script's starting point/.test(ours.error ?? '')) {
    return 'an `upgrade --sql` range that runs backwards is refused';
  }
  if (step.sql && ours.ok && /Multiple head revisions are present/.test(theirs) && words.some((w) => /(^|:)heads(:|$)/.test(w))) {
    return '`--sql` ranges from several heads (`downgrade heads:base --sql`) work as online';
  }
  return undefined;
}

/**
 * Whether Alembic 1.8's `stamp heads` (or `X@heads`) loses an applied branch from this record: it
 * replaces every applied head on the word's lines with the first head above or below one of them,
 * so an applied head on another line than that head (a second root, a head already applied) is
 * unrecorded.
 */
function headsDropped(revisions: readonly FuzzRevision[], before: readonly string[], word: string): boolean {
  // Only the ancestry of the fuzz graph, which the engine's graph walk answers as Alembic's would.
  const graph = buildGraph(revisions.map((r) => ({ id: r.id, name: r.id, description: r.message, parents: r.parents, labels: r.labels })));
  const below = (id: string) => ancestors(graph, [id]);
  const shares = (a: string, b: string) => below(a).has(b) || below(b).has(a);
  const applied = before.filter((id) => !before.some((other) => other !== id && below(other).has(id)));
  const heads = graph.heads.map((r) => r.id);
  const branch = word.includes('@') ? word.slice(0, word.indexOf('@')) : undefined;
  const anchor = branch === undefined ? undefined : (revisions.find((r) => r.labels.includes(branch)) ?? revisions.find((r) => r.id.startsWith(branch)))?.id;
  if (branch !== undefined && anchor === undefined) return false;
  const dests = anchor === undefined ? heads : heads.filter((h) => shares(h, anchor));
  const onLines = anchor === undefined ? applied : applied.filter((h) => shares(h, anchor) || dests.some((d) => shares(h, d)));
  return dests.some((d) => !applied.includes(d) && onLines.some((h) => shares(h, d)) && onLines.some((h) => !shares(h, d)));
}
