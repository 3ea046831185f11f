/**
 * What a driver error says, for one-line messages. MikroORM's messages read
 * `<sql> - <what PostgreSQL said>`: the SQL is ours (and may be long), the rest is news.
 */
export function driverMessage(error: unknown): string {
  const full = String((error as Error)?.message ?? error);
  const at = full.lastIndexOf(' - ');
  return full.slice(at === -1 ? 0 : at + 3).split('\n')[0];
}

/** Socket errors that mean the server is gone, as Node names them. */
const SOCKET_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error means the connection to PostgreSQL is gone (server restart or crash,
 * pg_terminate_backend, network): SQLSTATE class 08, or 57P01-57P03, or what pg says when the
 * socket closes under a query. Such an error says nothing about the statement that got it.
 */
export function isConnectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const sqlState = String(code ?? '');
  if (/^08|^57P0[123]$/.test(sqlState) || SOCKET_GONE.has(sqlState)) return true;
  return /Connection terminated|terminating connection|connection error and is not queryable|Client was closed/i.test(String(message ?? ''));
}
