import { closeSync, existsSync, openSync, readSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { AmbiguousRevisionError, UnknownRevisionError, UserError } from './errors';

export interface Revision {
  /** Short, unique, sorts in creation order: what users type. */
  id: string;
  /** The file's base name without extension; this is what the record table stores. */
  name: string;
  description: string;
  path: string;
}

const REVISION_FILE = /^(?!.*\.d\.ts$)(.+)\.(ts|js|cjs)$/;
/** Our names (`<id>_<slug>`) and MikroORM's own (`Migration<14 digits>[_name]`). */
const OUR_NAME = /^([0-9a-z]{8})_(.*)$/;
const MIKRO_ORM_NAME = /^Migration(\d{14})(?:_(.*))?$/;
/** How much of a file is read at a time for its header: one read holds the usual doc comment. */
const HEADER_CHUNK = 4096;

/**
 * The file's leading doc comment (and what follows it in the last chunk read): read until the
 * comment ends, so a long message (`migrate -m` of many kilobytes) keeps its description, while
 * listing many revisions still reads one chunk of each, never the SQL below the header.
 */
function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const buffer = Buffer.alloc(HEADER_CHUNK);
      const read = readSync(fd, buffer, 0, HEADER_CHUNK, position);
      chunks.push(buffer.subarray(0, read));
      position += read;
      const text = Buffer.concat(chunks).toString('utf8');
      if (read < HEADER_CHUNK || !text.startsWith('/**') || text.includes('*/', 3)) return text;
    }
  } finally {
    closeSync(fd);
  }
}

/** The first line of the file's leading doc comment, as `migrate` writes it. */
function descriptionOf(path: string, slug: string | undefined): string {
  const match = /^\/\*\*\s*\n\s*\*\s?(.*)\n/.exec(readHeader(path));
  if (match?.[1]?.trim()) return match[1].trim().replace(/\*\\\//g, '*/');
  return (slug ?? '').replace(/_/g, ' ');
}

/** Every revision file in the folder, oldest first. One directory scan per command. */
export function listRevisions(dir: string): Revision[] {
  if (!existsSync(dir)) return [];
  const byName = new Map<string, Revision>();
  for (const file of readdirSync(dir).sort()) {
    const match = REVISION_FILE.exec(file);
    if (!match) continue;
    const name = match[1];
    // A compiled copy beside its source is the same revision; the source wins.
    if (byName.has(name) && extname(file) !== '.ts') continue;
    const ours = OUR_NAME.exec(name) ?? MIKRO_ORM_NAME.exec(name);
    const id = ours ? ours[1] : name;
    const path = join(dir, file);
    byName.set(name, { id, name, path, description: descriptionOf(path, ours?.[2]) });
  }
  return [...byName.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * A new revision id: base 36 milliseconds, eight characters (good until 2059), so ids are short,
 * sort in creation order, and never repeat one that exists (a clock behind the newest file still
 * yields a later id).
 */
export function nextRevisionId(existing: readonly Revision[], now = Date.now()): string {
  const newest = existing.reduce((max, r) => (OUR_NAME.test(r.name) ? Math.max(max, parseInt(r.id, 36)) : max), 0);
  return Math.max(now, newest + 1).toString(36).padStart(8, '0');
}

/** A file-name-safe slug of a message: lowercase words joined by `_`, never a path. */
export function slugOf(message: string, maxLength = 60): string {
  const slug = message
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, maxLength)
    .replace(/_+$/, '');
  return slug || 'revision';
}

/** Where the database stands against the revision files. */
export interface Position {
  revisions: Revision[];
  /** Names recorded as applied, in the order they were applied. */
  appliedNames: Set<string>;
  /** Index of the newest applied revision, -1 at base. */
  current: number;
}

export function positionOf(revisions: Revision[], appliedNames: Iterable<string>): Position {
  const applied = new Set(appliedNames);
  let current = -1;
  revisions.forEach((r, i) => {
    if (applied.has(r.name)) current = i;
  });
  return { revisions, appliedNames: applied, current };
}

export function isApplied(position: Position, index: number): boolean {
  return position.appliedNames.has(position.revisions[index].name);
}

const HINT = "Use head, base, -N, +N, or a revision id or unique prefix (see 'veloiq db history').";

/**
 * Resolves what a user typed (`head`, `base`, `-N`, `+N`, an id or a unique prefix of one) to
 * an index into the revisions: -1 is base. Nx hands `-1` over as a number; that is accepted.
 */
export function resolveRevision(spec: string | number, position: Position): number {
  const text = String(spec).trim();
  const { revisions, current } = position;
  if (text === 'head') return revisions.length - 1;
  if (text === 'base') return -1;
  const relative = /^([+-])(\d+)$/.exec(text);
  if (relative) {
    const steps = Number(relative[2]);
    if (steps === 0) throw new UserError(`Invalid revision '${text}': a relative step must not be zero. ${HINT}`);
    const target = relative[1] === '-' ? current - steps : current + steps;
    if (target < -1) {
      throw new UserError(
        `Cannot go ${steps} step${steps === 1 ? '' : 's'} back: only ${current + 1} revision${current === 0 ? ' is' : 's are'} applied. Use 'base' to revert everything.`,
      );
    }
    if (target >= revisions.length) {
      const ahead = revisions.length - 1 - current;
      throw new UserError(`Cannot go ${steps} step${steps === 1 ? '' : 's'} forward: only ${ahead} revision${ahead === 1 ? ' is' : 's are'} pending. Use 'head' to apply them all.`);
    }
    return target;
  }
  if (!/^[0-9A-Za-z_]+$/.test(text)) throw new UnknownRevisionError(text, `Invalid revision '${text}'. ${HINT}`);
  const exact = revisions.findIndex((r) => r.id === text || r.name === text);
  if (exact !== -1) return exact;
  const matches = revisions.flatMap((r, i) => (r.id.startsWith(text.toLowerCase()) ? [i] : []));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    const ids = matches.map((i) => revisions[i].id).join(', ');
    throw new AmbiguousRevisionError(text, matches.map((i) => revisions[i].id), `Ambiguous revision '${text}': it starts ${matches.length} ids (${ids}). Type more of the id.`);
  }
  throw new UnknownRevisionError(text, `Unknown revision '${text}': no revision id starts with it. Run 'veloiq db history' to see the ids.`);
}
