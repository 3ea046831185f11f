/**
 * An error the user can fix. Its message is one line that names the problem and the fix;
 * it is printed without a stack trace and the command exits non-zero. Anything else that
 * escapes a command is a bug and keeps its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Passwords and env-file values we have seen, so no output ever repeats them. */
const secrets = new Set<string>();

export function rememberSecret(value: string | undefined): void {
  // Very short values ("1", "true") would redact ordinary words; they are not secrets anyway.
  if (value && value.length >= 4) secrets.add(value);
}

/** Removes URL passwords (`scheme://user:pass@`) and every remembered secret from text. */
export function redact(text: string): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

/** The single line a user sees for an error; bugs also get their stack. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return redact(error.message);
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return redact(stack);
}
