import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

/**
 * Files of `.veloiq/` are acted on (compiled revisions run as code, remembered config facts
 * choose the server and its password): a file counts only when no other user could have
 * written it.
 */

/** Owned by this user and writable by no one else (where the platform has owners). */
export function ownedSafely(stat: Stats): boolean {
  const uid = process.getuid?.();
  return uid === undefined || (stat.uid === uid && (stat.mode & 0o022) === 0);
}

/**
 * The text of a regular file owned safely (see ownedSafely), opened without following links;
 * undefined when it is missing or anyone else could have written it.
 */
export function readOwnFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() && ownedSafely(stat) ? readFileSync(fd, 'utf8') : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
