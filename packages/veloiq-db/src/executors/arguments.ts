import { UserError } from '../core/errors';
import check from './check/schema.json';
import current from './current/schema.json';
import downgrade from './downgrade/schema.json';
import generate from './generate/schema.json';
import heads from './heads/schema.json';
import branches from './branches/schema.json';
import history from './history/schema.json';
import lint from './lint/schema.json';
import merge from './merge/schema.json';
import migrate from './migrate/schema.json';
import show from './show/schema.json';
import stamp from './stamp/schema.json';
import status from './status/schema.json';
import upgrade from './upgrade/schema.json';

/**
 * What each command's words mean, read from the executors' schemas alone: which options take a
 * value, which are flags, which option the bare words fill (the revision), and each option's
 * spellings (`--envFile`, `--env-file`, `-e`). The `veloiq` CLI and the executors both parse
 * with it, so no table of flags is kept by hand anywhere else.
 */

interface OptionSchema {
  type?: string | string[];
  alias?: string;
  $default?: { $source?: string };
  /** Ours: the positional option takes every bare word, joined by spaces (merge's revisions). */
  'x-variadic'?: boolean;
}

const SCHEMAS: Record<string, { properties: Record<string, OptionSchema> }> = {
  branches,
  check,
  current,
  downgrade,
  generate,
  heads,
  history,
  lint,
  merge,
  migrate,
  show,
  stamp,
  status,
  upgrade,
};

export type CommandName =
  'branches' | 'check' | 'current' | 'downgrade' | 'generate' | 'heads' | 'history' | 'lint' | 'merge' | 'migrate' | 'show' | 'stamp' | 'status' | 'upgrade';

export const COMMAND_NAMES = Object.keys(SCHEMAS) as CommandName[];

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export interface CommandArguments {
  /** Each option by every spelling without dashes: `envFile`, `env-file`, `e`. */
  spellings: Map<string, { name: string; flag: boolean }>;
  /** The option the bare words fill (`revision`), if any. */
  positional?: string;
  /** Whether that option takes every bare word (`merge a b`), not just one. */
  variadic: boolean;
  /** The options as `--kebab-case`, in the schema's order: what an error lists. */
  shown: string[];
}

export function argumentsOf(command: CommandName): CommandArguments {
  const spellings = new Map<string, { name: string; flag: boolean }>();
  let positional: string | undefined;
  let variadic = false;
  for (const [name, spec] of Object.entries(SCHEMAS[command].properties)) {
    const option = { name, flag: spec.type === 'boolean' };
    for (const spelling of [name, kebab(name), spec.alias]) if (spelling) spellings.set(spelling, option);
    if (spec.$default?.$source === 'argv' && positional === undefined) {
      positional = name;
      variadic = spec['x-variadic'] === true;
    }
  }
  const shown = Object.keys(SCHEMAS[command].properties).map((name) => `--${kebab(name)}`);
  return { spellings, positional, variadic, shown };
}

export interface ParsedWords {
  /** Options given, by their schema name, as typed (a flag without a value is true). */
  options: Record<string, string | boolean>;
  /** The bare words, in order: after `--` every word is one, however it starts. */
  positional: string[];
  /** `--options` the command does not declare, with the value written after `=`, if any. */
  unknown: string[];
}

/**
 * Reads a command's words: `--name=value`, `--name value` (unless the option is a flag),
 * `--no-flag`, `-x value` for a declared one-letter alias, and `--` ending the options. Any other
 * word is a bare word, so revisions such as `-1`, `+1`, `-0` or `007` stay exactly as typed. A
 * value-taking option with no value left is a usage error.
 */
export function parseWords(command: CommandName, words: readonly string[]): ParsedWords {
  const { spellings } = argumentsOf(command);
  const parsed: ParsedWords = { options: {}, positional: [], unknown: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
      parsed.positional.push(...words.slice(i + 1));
      break;
    }
    const long = /^--([^=]+)(?:=(.*))?$/s.exec(word);
    const short = /^-([a-zA-Z])$/.exec(word);
    const spelling = long?.[1] ?? short?.[1];
    const option = spelling === undefined ? undefined : spellings.get(spelling);
    if (option) {
      let value: string | boolean | undefined = long?.[2];
      if (value === undefined) value = option.flag ? true : words[++i];
      else if (option.flag && /^(true|false)$/.test(value)) value = value === 'true';
      if (value === undefined) throw new UserError(`${word} needs a value.`);
      parsed.options[option.name] = value;
    } else if (long && long[1].startsWith('no-') && spellings.has(long[1].slice(3))) {
      parsed.options[spellings.get(long[1].slice(3))!.name] = false;
    } else if (long) {
      parsed.unknown.push(word);
    } else {
      parsed.positional.push(word);
    }
  }
  return parsed;
}

/**
 * Refuses what the command cannot take: an option it does not declare (`--sq` for `--sql` would
 * run the migrations it was meant to print) and more bare words than it has places for.
 */
export function assertAccepted(command: CommandName, parsed: ParsedWords): void {
  const { positional, variadic, shown } = argumentsOf(command);
  if (parsed.unknown.length > 0) {
    const name = parsed.unknown[0].slice(2).split('=')[0];
    throw new UserError(`Unknown option '--${name}' for veloiq db ${command}. Its options: ${shown.join(', ')}.`);
  }
  if (positional && !variadic && parsed.positional.length > 1) {
    throw new UserError(
      `veloiq db ${command} takes one ${kebab(positional)}, and got ${parsed.positional.length} words: ${parsed.positional.map((w) => `'${w}'`).join(', ')}. Give one.`,
    );
  }
}

/** The revision the words give (`--revision=X` or the bare word; every bare word, for a variadic one), exactly as typed. */
export function revisionOf(command: CommandName, parsed: ParsedWords): string | undefined {
  const { positional, variadic } = argumentsOf(command);
  if (!positional) return undefined;
  const named = parsed.options[positional];
  if (typeof named === 'string') return named;
  return variadic && parsed.positional.length > 0 ? parsed.positional.join(' ') : parsed.positional[0];
}
