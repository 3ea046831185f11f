// Random command steps for the differential run: every revision word form Alembic reads
// (symbols, relative steps, labels, prefixes, ranges), the wrong way round and invalid ones too.
import { headsOf, type FuzzRevision, type Rng } from './graph-spec';

export interface Step {
  command: 'upgrade' | 'downgrade' | 'stamp' | 'current' | 'heads' | 'branches' | 'history' | 'merge';
  words?: string[];
  sql?: boolean;
  purge?: boolean;
  verbose?: boolean;
  /** history -i (Alembic's --indicate-current). */
  indicate?: boolean;
  /** history -r start:end. */
  range?: string;
}

/** One revision word in any form, now and then an invalid one. */
export function randomWord(random: Rng, revisions: readonly FuzzRevision[]): string {
  const r = random.pick(revisions);
  const labels = revisions.flatMap((x) => x.labels);
  const label = labels.length ? random.pick(labels) : r.id;
  const n = 1 + random.int(3);
  const forms: (() => string)[] = [
    () => 'head',
    () => 'heads',
    () => 'base',
    () => `+${n}`,
    () => `-${n}`,
    () => r.id,
    () => r.id,
    () => r.id.slice(0, 4 + random.int(4)),
    () => r.id.slice(0, 2 + random.int(2)),
    () => `${label}@head`,
    () => `${label}@heads`,
    () => `${label}@base`,
    () => `${label}@+${n}`,
    () => `${label}@-${n}`,
    () => `${r.id}@+${n}`,
    () => `${r.id}@-${n}`,
    () => `${r.id}@head`,
    () => `${r.id}@base`,
    () => `${r.id}+${n}`,
    () => `${r.id}-${n}`,
    () => `head-${n}`,
    () => `base+${n}`,
    () => label,
    () => `${label}@${random.pick(revisions).id}`,
    () => random.pick(['zzzz1234', '+0', '-0', r.id.toUpperCase(), `${r.id}:${random.pick(revisions).id}`, 'nolabel@head', '']),
  ];
  return random.pick(forms)();
}

function rangeWord(random: Rng, revisions: readonly FuzzRevision[]): string {
  const r = random.pick(revisions);
  const labels = revisions.flatMap((x) => x.labels);
  return random.pick([
    '',
    '',
    'base',
    'head',
    'heads',
    'current',
    `-${1 + random.int(2)}`,
    r.id,
    r.id.slice(0, 4),
    labels.length ? `${random.pick(labels)}@head` : r.id,
    labels.length ? `${random.pick(labels)}@base` : 'base',
  ]);
}

export function randomStep(random: Rng, revisions: readonly FuzzRevision[]): Step {
  const roll = random.next();
  const word = () => randomWord(random, revisions);
  if (roll < 0.24) return { command: 'upgrade', words: [random.chance(0.3) ? random.pick(['head', 'heads']) : word()] };
  if (roll < 0.44) return { command: 'downgrade', words: [random.chance(0.2) ? random.pick(['-1', 'base']) : word()] };
  if (roll < 0.56) {
    const words = random.chance(0.2) ? [word(), word()].filter(Boolean) : [word()];
    return { command: 'stamp', words: words.length ? words : ['head'], purge: random.chance(0.25) };
  }
  if (roll < 0.68) {
    return {
      command: 'history',
      ...(random.chance(0.5) ? { range: `${rangeWord(random, revisions)}:${rangeWord(random, revisions)}` } : {}),
      verbose: random.chance(0.3),
      indicate: random.chance(0.5),
    };
  }
  if (roll < 0.76) return { command: 'current', verbose: random.chance(0.3) };
  if (roll < 0.81) return { command: 'heads', verbose: random.chance(0.3) };
  if (roll < 0.85) return { command: 'branches', verbose: random.chance(0.3) };
  if (roll < 0.9) {
    const heads = headsOf(revisions);
    const words = random.chance(0.6) || heads.length < 2 ? [] : random.chance(0.8) ? heads.slice(0, 2).map((h) => h.id) : [random.pick(revisions).id, random.pick(heads).id];
    return { command: 'merge', words };
  }
  const a = random.pick(revisions).id;
  const b = random.pick(revisions).id;
  const sqlRoll = random.next();
  if (sqlRoll < 0.45) return { command: 'upgrade', sql: true, words: [random.pick(['head', 'heads', `base:${b}`, `${a}:head`, `${a}:${b}`, `${a}:heads`, b])] };
  if (sqlRoll < 0.85) return { command: 'downgrade', sql: true, words: [random.pick([`head:base`, `heads:base`, `${a}:base`, `${b}:${a}`, `${a}:${b}`, '-1', a])] };
  return { command: 'stamp', sql: true, words: [random.pick(['head', 'heads', a, `${a}:${b}`, 'base'])] };
}
