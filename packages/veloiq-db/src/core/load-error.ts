import { dirname } from 'node:path';

/**
 * Why a project file (the config, a model file, a revision) failed to load, as one line that
 * points into the user's file: `backend/migrations/x.ts:2:20: Unexpected ";"`. A loader's error
 * puts that place in a second line (esbuild: "Transform failed with 1 error:\n<file>:<line>:<col>:
 * ERROR: <why>") or only in the stack (an error thrown while the module runs); a first line alone
 * would drop it.
 */
/** This package's own files, whose frames are never the user's mistake. */
const OWN_SOURCES = dirname(__dirname);

export function loadErrorLine(error: unknown, file: string, show: (path: string) => string = (path) => path): string {
  const message = String((error as Error)?.message ?? error);
  const esbuild = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(message);
  // esbuild counts columns from 0; editors and tsc, from 1.
  if (esbuild) return `${shownFile(esbuild[1], show)}:${esbuild[2]}:${Number(esbuild[3]) + 1}: ${esbuild[4]}`;
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  // "Something failed:" with the reason on the next line.
  const why = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? String(error));
  const stack = String((error as Error)?.stack ?? '').split('\n');
  const frame = /\(?((?:\/|[A-Za-z]:\\)[^():\s]+\.[cm]?[jt]sx?):(\d+):(\d+)\)?/.exec(
    // The innermost frame in a TypeScript file of the user's (not a package's, not ours): where it
    // broke, which may be a file the loaded one imports; else the loaded file's own frame.
    stack.find((line) => /\.[cm]?tsx?:\d+/.test(line) && !line.includes('node_modules') && !line.includes(OWN_SOURCES)) ??
      stack.find((line) => line.includes(file)) ??
      '',
  );
  return `${frame ? `${shownFile(frame[1], show)}:${frame[2]}:${frame[3]}` : shownFile(file, show)}: ${why}`;
}

function shownFile(path: string, show: (path: string) => string): string {
  return path.startsWith('/') || /^[A-Za-z]:\\/.test(path) ? show(path) : path;
}
