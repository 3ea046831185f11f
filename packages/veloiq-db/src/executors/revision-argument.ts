import type { ExecutorContext } from '@nx/devkit';

/**
 * The revision exactly as the user typed it after `nx run <project>:<target>`. Nx parses the
 * command line with yargs before the executor runs, which turns `+1` into 1 (a different
 * revision), `007` into 7, and swallows `-0` and `-abc` as flags, so a mistyped revision would
 * be silently ignored. Nx keeps the raw words (`__overrides_unparsed__`) in the task graph;
 * this reads the revision back from them. When they are absent (another runner, a test calling
 * the executor directly) the parsed value is used as it is.
 */
export function typedRevision(parsed: string | number | undefined, context: ExecutorContext): string | number | undefined {
  if (typeof parsed === 'string') return parsed;
  const words = rawWords(context);
  if (!words) return parsed;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const assigned = /^--revision=(.*)$/.exec(word);
    if (assigned) return assigned[1];
    if (word === '--revision') return words[i + 1] ?? parsed;
    if (TAKES_VALUE.test(word)) {
      i++;
      continue;
    }
    if (word.startsWith('--')) continue;
    // `+1` or `007` that Nx turned into a number; `-0` or `-abc` that it read as flags.
    if (typeof parsed === 'number' ? /^[+-]?\d+(\.\d+)?$/.test(word) && Number(word) === parsed : /^-[^-]/.test(word)) return word;
  }
  return parsed;
}

/** Options of the db targets whose value is the next word. */
const TAKES_VALUE = /^(-e|-m|--env-file|--envFile|--message|--lock-timeout|--lockTimeout|--head|--branch-label|--branchLabel)$/;

export function rawWords(context: ExecutorContext): string[] | undefined {
  const tasks = Object.values(context.taskGraph?.tasks ?? {});
  const task = tasks.find(
    (t) => t.target.project === context.projectName && t.target.target === context.targetName && t.target.configuration === context.configurationName,
  );
  const words = (task?.overrides as { __overrides_unparsed__?: unknown } | undefined)?.__overrides_unparsed__;
  return Array.isArray(words) ? words.map(String) : undefined;
}

/** Every loose word (not an option or its value) the user typed: the revisions of `merge`. */
export function looseWords(context: ExecutorContext): string[] | undefined {
  const words = rawWords(context);
  if (!words) return undefined;
  const loose: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '--') return [...loose, ...words.slice(i + 1)];
    if (TAKES_VALUE.test(words[i])) i++;
    else if (!words[i].startsWith('-')) loose.push(words[i]);
  }
  return loose;
}
