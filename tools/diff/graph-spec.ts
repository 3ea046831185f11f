// Random revision graphs for the differential run, seeded so a mismatch can be replayed: a first
// line of revisions, branches off a head or an older revision (`--head`), merges of two heads,
// a second root, and branch labels. Each revision creates the table named for it.

/** A revision as both sides write it. */
export interface FuzzRevision {
  id: string;
  message: string;
  slug: string;
  parents: string[];
  labels: string[];
  /** The table its upgrade creates; none for a merge revision. */
  table?: string;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)],
  };
}
export type Rng = ReturnType<typeof rng>;

const LABELS = ['feat', 'fix', 'ops'];
const ALPHABET = '0123456789abcdefghijkl';

/**
 * Ids of eight characters from a narrow alphabet whose first two often repeat, so that short
 * prefixes are ambiguous and four-character ones usually are not. They stay below the ids
 * `merge` writes (base 36 milliseconds, 'm...' until 2029).
 */
function newId(random: Rng, taken: Set<string>): string {
  for (;;) {
    const id = random.pick(['a', 'b', 'c']) + random.pick(['1', '2']) + Array.from({ length: 6 }, () => random.pick([...ALPHABET])).join('');
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

export const headsOf = (revisions: readonly FuzzRevision[]) => revisions.filter((r) => !revisions.some((c) => c.parents.includes(r.id)));

/** 3 to 9 revisions in one of a few shapes, with labels on some. */
export function randomGraph(random: Rng): FuzzRevision[] {
  const taken = new Set<string>();
  const revisions: FuzzRevision[] = [];
  const labels = [...LABELS];
  const count = 3 + random.int(7);
  let roots = 0;
  for (let i = 0; i < count; i++) {
    const heads = headsOf(revisions);
    const roll = random.next();
    let parents: string[];
    if (revisions.length === 0 || (roll < 0.07 && roots < 2)) parents = [];
    else if (roll < 0.2 && heads.length >= 2) {
      const a = random.pick(heads);
      const b = random.pick(heads.filter((h) => h !== a));
      parents = [a.id, b.id];
    } else if (roll < 0.42) parents = [random.pick(revisions).id];
    else parents = [random.pick(heads).id];
    if (parents.length === 0) roots++;
    const id = newId(random, taken);
    const merge = parents.length > 1;
    const label = !merge && labels.length > 0 && random.chance(0.25) ? labels.splice(random.int(labels.length), 1) : [];
    const message = merge ? `merge ${parents.join(' ')}` : `create t_${id}`;
    revisions.push({ id, message, slug: message.replace(/ /g, '_'), parents, labels: label, ...(merge ? {} : { table: `t_${id}` }) });
  }
  return revisions;
}
