/**
 * An error the user can fix. Its message is one line that names the problem and the fix;
 * it is printed without a stack trace and the command exits non-zero. Anything else that
 * escapes a command is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The first line of whatever was thrown: what a one-line message quotes of a driver's error. */
export function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

/**
 * What PostgreSQL said, from a driver error: knex reports `<the whole SQL> - <the server's
 * message>`, and the SQL is ours; the user needs the rest (its first line).
 */
export function driverMessage(error: unknown): string {
  const full = String((error as Error)?.message ?? error);
  const at = full.lastIndexOf(' - ');
  return (at === -1 ? full : full.slice(at + 3)).split('\n')[0].trim();
}

/** Socket errors that mean the server is gone, as Node names them. */
const SOCKET_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error means the connection to PostgreSQL is gone (server restart or crash,
 * pg_terminate_backend, network): SQLSTATE class 08, or 57P01-57P03, or what pg says when the
 * socket closes under a query, or what knex says of a statement sent on a transaction the lost
 * connection ended (ours end no other way while statements are still to come). Such an error
 * says nothing about the statement that got it.
 */
export function isConnectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const sqlState = String(code ?? '');
  if (/^08|^57P0[123]$/.test(sqlState) || SOCKET_GONE.has(sqlState)) return true;
  return /Connection terminated|terminating connection|connection error and is not queryable|Client was closed|Transaction query already complete/i.test(
    String(message ?? ''),
  );
}

/** A revision argument that names no revision (`argument` as typed). */
export class UnknownRevisionError extends UserError {
  override readonly name = 'UnknownRevisionError';

  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/** A revision prefix that starts several ids (`candidates`). */
export class AmbiguousRevisionError extends UserError {
  override readonly name = 'AmbiguousRevisionError';

  constructor(
    readonly argument: string,
    readonly candidates: string[],
    message: string,
  ) {
    super(message);
  }
}

/** Another run holds the migration lock (`holderPid` when known) and this one did not get it. */
export class LockHeldError extends UserError {
  override readonly name = 'LockHeldError';

  constructor(
    readonly database: string,
    readonly holderPid: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The server (`server`: host:port/database, never the password) could not be reached or refused the login. */
export class ConnectionFailedError extends UserError {
  override readonly name = 'ConnectionFailedError';

  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A revision's `up()`/`down()` (or loading its file) failed; `cause` is the driver's error. */
export class RevisionFailedError extends UserError {
  override readonly name = 'RevisionFailedError';

  constructor(
    readonly revision: string,
    readonly direction: 'up' | 'down',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Passwords and secret-looking values we have seen: no output of any kind repeats them. */
const secrets = new Set<string>();
/** Every other env-file value: no error, warning or log line repeats them (see redact). */
const envValues = new Set<string>();

export function rememberSecret(value: string | undefined): void {
  // Very short values ("1", "true") would redact ordinary words; they are not secrets anyway.
  if (value && value.length >= 4) secrets.add(value);
}

/** Values that are plainly not secrets; hiding them would only garble messages. */
const HARMLESS = /^(true|false|yes|no|on|off|null|none|undefined|production|development|staging|test|debug|info|warn|error|localhost|127\.0\.0\.1|\d{1,5})$/i;

/** An env-file value: hidden from errors, warnings and logs (not from results: see redactResult). */
export function rememberEnvValue(value: string | undefined): void {
  if (value && value.length >= 4 && !HARMLESS.test(value.trim())) envValues.add(value);
}

/** Environment variables whose values are secrets by their name. */
const SECRET_NAME = /pass(word|wd)?\b|pass(word|wd)?_|secret|token|credential|private_?key|api_?key/i;

/**
 * Remembers the secrets the environment holds before any config is loaded: passwords in URLs
 * (DATABASE_URL=postgres://user:pass@...), PGPASSWORD, and anything named like a secret. So a
 * config that throws, or a driver that echoes what it was given, cannot print them.
 */
export function rememberEnvironmentSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    // SKIP_PASSWORD_CHECK=false is no secret; hiding "false" would break every JSON result.
    if (SECRET_NAME.test(name) && !HARMLESS.test(value.trim())) rememberSecret(value);
    for (const match of value.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^\s]*)@/gi)) {
      const userinfo = match[1];
      const colon = userinfo.indexOf(':');
      if (colon === -1) continue;
      const password = userinfo.slice(colon + 1);
      rememberSecret(password);
      try {
        rememberSecret(decodeURIComponent(password));
      } catch {
        // not percent-encoded: the raw form is remembered
      }
    }
  }
}

function hide(text: string, values: Iterable<string>): string {
  let out = text;
  // Longest first, so no part of a longer secret survives a shorter one's replacement.
  for (const value of [...values].sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  out = out.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^\s]*@/gi, '$1***@');
  return out.replace(/\b(password|passwd|pwd)(\s*=\s*)('[^']*'|"[^"]*"|[^\s;,]+)/gi, '$1$2***');
}

/**
 * For errors, warnings and log lines, which may echo anything a driver or a config saw: removes
 * every remembered secret and env-file value, URL passwords (`scheme://user:pass@host`, up to
 * the last `@`) and `password=...` pairs of key/value connection strings.
 */
export function redact(text: string): string {
  return hide(text, [...secrets, ...envValues]);
}

/**
 * For a command's result (text, JSON, a --sql script), which comes from revision files and the
 * database, not from the environment: removes secrets and passwords, but leaves ordinary words
 * that happen to equal an env-file value (APP_NAME=orders must not turn a table into ***).
 */
export function redactResult(text: string): string {
  return hide(text, secrets);
}

/** The single line a user sees for an error; bugs also get their stack. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return redact(error.message);
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return redact(stack);
}
