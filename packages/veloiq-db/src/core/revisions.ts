import { closeSync, existsSync, openSync, readSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ancestors, appliedHeads, buildGraph, resolveTarget, type RevisionGraph, type Target } from './revision-graph';

export interface Revision {
  /** Short, unique, sorts in creation order: what users type. */
  id: string;
  /** The file's base name without extension; this is what the record table stores. */
  name: string;
  description: string;
  path: string;
  /** Parent ids, from the file's `Parent:` line; without one, the previous id (files from before parents existed). */
  parents: string[];
  /** From the file's `Branch labels:` line. */
  labels: string[];
}

const REVISION_FILE = /^(?!.*\.d\.ts$)(.+)\.(ts|js|cjs)$/;
/** Our names (`<id>_<slug>`) and MikroORM's own (`Migration<14 digits>[_name]`). */
const OUR_NAME = /^([0-9a-z]{8})_(.*)$/;
const MIKRO_ORM_NAME = /^Migration(\d{14})(?:_(.*))?$/;
/** How much of a file is read first for its header: one read holds the usual doc comment. */
const HEADER_CHUNK = 4096;

/** The file's leading doc comment (all of it, however long the message in its first line). */
function readHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let read = 0;
    for (let size = HEADER_CHUNK; ; size *= 4) {
      const buffer = Buffer.alloc(size);
      const got = readSync(fd, buffer, 0, size, read);
      read += got;
      chunks.push(buffer.subarray(0, got));
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('*/');
      if (end !== -1) return text.slice(0, end + 2);
      if (got < size || !text.startsWith('/**')) return text;
    }
  } finally {
    closeSync(fd);
  }
}

/** The first line of the file's leading doc comment, as `migrate` writes it. */
function descriptionOf(header: string, slug: string | undefined): string {
  const match = /^\/\*\*\s*\n\s*\*\s?(.*)\n/.exec(header);
  if (match?.[1]?.trim()) return match[1].trim().replace(/\*\\\//g, '*/');
  return (slug ?? '').replace(/_/g, ' ');
}

/**
 * A ` * Key: a, b` line of the header as a list; undefined when the line is absent. Looked for
 * after the description line, which is the user's free text.
 */
function headerList(header: string, key: string): string[] | undefined {
  const rest = header.split('\n').slice(2).join('\n');
  const match = new RegExp(`^\\s*\\*\\s*${key}:[ \\t]*(.*)$`, 'm').exec(rest);
  return match
    ? match[1]
        .split(',')
        .map((word) => word.trim())
        .filter(Boolean)
    : undefined;
}

/** Every revision file in the folder, oldest first. One directory scan per command. */
export function listRevisions(dir: string): Revision[] {
  if (!existsSync(dir)) return [];
  const byName = new Map<string, Omit<Revision, 'parents'> & { declared?: string[] }>();
  for (const file of readdirSync(dir).sort()) {
    const match = REVISION_FILE.exec(file);
    if (!match) continue;
    const name = match[1];
    // A compiled copy beside its source is the same revision; the source wins.
    if (byName.has(name) && extname(file) !== '.ts') continue;
    const ours = OUR_NAME.exec(name) ?? MIKRO_ORM_NAME.exec(name);
    const id = ours ? ours[1] : name;
    const path = join(dir, file);
    const header = readHeader(path);
    byName.set(name, {
      id,
      name,
      path,
      // MikroORM's own `Migration<timestamp>` files carry no message: their class name is what users know them by.
      description: descriptionOf(header, ours?.[2]) || (id === name ? '' : name),
      declared: headerList(header, 'Parent'),
      labels: headerList(header, 'Branch labels') ?? [],
    });
  }
  const sorted = [...byName.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // `Parent: base` starts a new root; no line at all means "the previous revision" (files from before parents).
  return sorted.map(({ declared, ...r }, i) => ({ ...r, parents: declared?.filter((p) => p !== 'base') ?? (i === 0 ? [] : [sorted[i - 1].id]) }));
}

/**
 * A new revision id: base 36 milliseconds, eight characters (good until 2059), so ids are short,
 * sort in creation order, and never repeat one that exists (a clock behind the newest file still
 * yields a later id).
 */
export function nextRevisionId(existing: readonly Revision[], now = Date.now()): string {
  const newest = existing.reduce((max, r) => (OUR_NAME.test(r.name) ? Math.max(max, parseInt(r.id, 36)) : max), 0);
  return Math.max(now, newest + 1)
    .toString(36)
    .padStart(8, '0');
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
  /** Oldest first (by id). */
  revisions: Revision[];
  graph: RevisionGraph<Revision>;
  /** Names recorded as applied. */
  appliedNames: Set<string>;
  /** Applied revisions none of whose children is applied: one per branch the database is on. */
  heads: Revision[];
  /** Index (in `revisions`) of the newest applied head, -1 at base. */
  current: number;
}

export function positionOf(revisions: Revision[], appliedNames: Iterable<string>): Position {
  const applied = new Set(appliedNames);
  const graph = buildGraph(revisions);
  const heads = appliedHeads(graph, applied);
  const current = heads.length === 0 ? -1 : Math.max(...heads.map((h) => revisions.indexOf(h)));
  return { revisions, graph, appliedNames: applied, heads, current };
}

/** The revisions a word names, against this position (see resolveTarget). */
export function resolveRevision(spec: string | number, position: Position) {
  return resolveTarget(position.graph, position.appliedNames, spec);
}

export interface Standing {
  /** The newest applied head's id; null at base. */
  current: string | null;
  /** Every applied head, oldest first: present only when the database stands on several branches. */
  heads?: string[];
  /** True when every revision is applied. */
  head: boolean;
}

/** Where the database stands, in words: its revision, or each branch's when it is on several. */
export function standingText(s: Standing, none = 'base'): string {
  if (s.heads) return `${s.heads.join(' and ')} (${s.heads.length} branches)`;
  return s.current ?? none;
}

/** Where a record (by default the position's own) leaves the database. */
export function standingOf(position: Position, applied: Iterable<string> = position.appliedNames): Standing {
  const after = positionOf(position.revisions, applied);
  return {
    current: after.revisions[after.current]?.id ?? null,
    ...(after.heads.length > 1 ? { heads: after.heads.map((r) => r.id) } : {}),
    head: after.revisions.every((r) => after.appliedNames.has(r.name)),
  };
}

/** A position with exactly the target's revisions and their ancestors applied (offline scripts start there). */
export function positionAt(revisions: Revision[], target: Target<Revision>): Position {
  const graph = buildGraph(revisions);
  const names = ancestors(
    graph,
    target.revisions.map((r) => r.id),
  );
  return positionOf(
    revisions,
    revisions.filter((r) => names.has(r.id)).map((r) => r.name),
  );
}
