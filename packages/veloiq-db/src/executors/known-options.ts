import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { UserError } from '../core/errors';
import { rawWords } from './revision-argument';

/** The package root: executors.json sits there, beside src/ (in this workspace) or dist/ (published). */
const PACKAGE_ROOT = join(__dirname, '../..');

interface OptionSpec {
  type?: string | string[];
  alias?: string;
  $default?: { $source?: string };
  /** Ours: the positional option takes every loose word (merge's revisions). */
  'x-variadic'?: boolean;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The executor's options from its schema (by name, kebab-case name and alias), or undefined when unreadable. */
function declaredOptions(executor: string): Map<string, OptionSpec> | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'executors.json'), 'utf8'));
    const schemaPath = manifest.executors?.[executor]?.schema;
    if (typeof schemaPath !== 'string') return undefined;
    const schema = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, schemaPath), 'utf8'));
    const options = new Map<string, OptionSpec>();
    for (const [name, spec] of Object.entries((schema.properties ?? {}) as Record<string, OptionSpec>)) {
      for (const key of [name, kebab(name), spec.alias]) if (key) options.set(key, spec);
    }
    return options;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a `--option` the command does not declare. Nx passes unknown options through and the
 * command would ignore them: `--sq` for `--sql` would run the migrations it was meant to print,
 * `--transaction-per-migratoin` would quietly run one transaction. (`additionalProperties:
 * false` in the schema would make Nx refuse them too, but also the raw revision words `-0` and
 * `-abc` that typedRevision reads back.) Single-dash words are left to the revision logic.
 */
export function assertKnownOptions(context: ExecutorContext): void {
  const words = rawWords(context);
  const executor = context.target?.executor?.split(':')[1];
  if (!words || !executor) return;
  const options = declaredOptions(executor);
  if (!options) return;
  // Words that fill positional options (the revision): more than there are is a mistake.
  const positional = [...new Set([...options.entries()].filter(([, spec]) => spec.$default?.$source === 'argv').map(([name]) => kebab(name)))];
  const loose: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--') break;
    if (!word.startsWith('--')) {
      if (/^-[a-zA-Z]$/.test(word) && options.has(word.slice(1))) {
        if (options.get(word.slice(1))?.type !== 'boolean') i++; // -e FILE, -m MESSAGE
      } else {
        loose.push(word); // a revision: `head`, `+1`, `-1`, `-abc`
      }
      continue;
    }
    const [name, value] = word.slice(2).split(/=(.*)/s);
    const spec = options.get(name) ?? (name.startsWith('no-') ? options.get(name.slice(3)) : undefined);
    if (!spec) {
      const known = [...new Set([...options.keys()].filter((key) => key.length > 1 && key === kebab(key)))].map((key) => `--${key}`);
      throw new UserError(`Unknown option '--${name}' for veloiq db ${executor}. Its options: ${known.join(', ')}.`);
    }
    if (value === undefined && spec.type !== 'boolean' && !name.startsWith('no-')) i++; // --env-file FILE
  }
  const variadic = [...options.values()].some((spec) => spec['x-variadic']);
  if (positional.length > 0 && !variadic && loose.length > positional.length) {
    throw new UserError(
      `veloiq db ${executor} takes one ${positional.join(' and one ')}, and got ${loose.length} words: ${loose.map((w) => `'${w}'`).join(', ')}. Give one.`,
    );
  }
}
