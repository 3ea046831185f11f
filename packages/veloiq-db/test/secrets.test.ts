// Secrets never reach any output: connection passwords (right or wrong, encoded or not) and
// env-file values, in results, errors, driver errors, config and migration failures, through the
// engine and through `nx run` / `veloiq`. Wrong passwords need a server that checks them: an
// embedded PostgreSQL in a temporary folder (password auth); the rest use the system one.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type EmbeddedServer } from '../src/core/embedded';
import { redact, redactResult, rememberEnvValue, rememberEnvironmentSecrets, rememberSecret } from '../src/core/errors';
import { runEngine, writeRevision } from './safety-fixtures';
import { SAMPLE, copySample, createTestDatabase, missingSystemPg, nx, veloiq, type RunResult, type TestDatabase, type TestProject } from './support';

const TOKEN = 'tok-4f9a2c7e1b3d5a6f';
const SIGNING = 'zq9-very-private-signing-value';
const WRONG = 'Wr0ng-Pa55word-XYZ';

/** Neither stream holds any of the secrets, nor a telling piece of one. */
/** For runs whose DATABASE_URL comes from an env file: one set in the environment would win over it. */
const FROM_ENV_FILE = { DATABASE_URL: undefined };

function assertClean(result: RunResult, secrets: string[]): void {
  const output = result.stdout + result.stderr;
  for (const secret of secrets) {
    assert.ok(!output.includes(secret), `output leaks '${secret}':\n${output}`);
    for (const piece of secret.split(/[@#/:%!]/).filter((p) => p.length >= 6)) {
      assert.ok(!output.includes(piece), `output leaks '${piece}' of '${secret}':\n${output}`);
    }
  }
}

describe('secrets stay out of every output', async () => {
  const skip = await missingSystemPg();
  const dir = mkdtempSync(join(tmpdir(), 'veloiq-secrets-'));
  chmodSync(dir, 0o777); // the embedded server runs as the postgres user when we are root
  // A server that checks passwords (the system one trusts every login): ours, so failing to start fails.
  const server: EmbeddedServer = await startEmbedded(join(dir, 'pg'));
  let project: TestProject;
  let db: TestDatabase;
  /** The embedded server's URL with a chosen password. */
  const embeddedUrl = (password: string) => server.url('postgres').replace(/:[^:@/]*@/, `:${password}@`);
  const envFile = (name: string, lines: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, lines.join('\n') + '\n');
    return path;
  };

  before(async () => {
    project = copySample();
    if (!skip) db = await createTestDatabase('vq_secret');
  });
  after(async () => {
    await server?.stop();
    if (!skip) await db.drop();
    project?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong password from an env file: the login is refused, neither it nor other env values shown', async () => {
    const file = envFile('.env.wrong', [`DATABASE_URL=${embeddedUrl(WRONG)}`, `API_TOKEN=${TOKEN}`, `SIGNING_KEY="${SIGNING}"`]);
    const result = await runEngine('current', project.root, { envFile: file }, FROM_ENV_FILE);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /PostgreSQL at 127\.0\.0\.1:\d+\/postgres refused the login: password authentication failed for user "postgres"/);
    assertClean(result, [WRONG, TOKEN, SIGNING]);
  });

  test('a wrong password with URL-encoded characters: neither its raw nor its decoded form is shown', async () => {
    const raw = 'p%40ss%2Fw0rd%23Z9!';
    const result = await runEngine('upgrade', project.root, {}, { DATABASE_URL: embeddedUrl(raw) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /refused the login/);
    assertClean(result, [raw, decodeURIComponent(raw)]);
  });

  test('the right password: results (text and JSON) never show it', async () => {
    const url = server.url('postgres');
    const password = decodeURIComponent(new URL(url).password);
    const text = await runEngine('history', project.root, {}, { DATABASE_URL: url });
    assert.equal(text.code, 0, text.stderr);
    assertClean(text, [password]);
    const json = await nx(['run', 'sample:db-current', '--json'], { env: { DATABASE_URL: url } });
    assert.equal(json.code, 0, json.stderr);
    assertClean(json, [password]);
  });

  test('a wrong password through `nx run` and `veloiq` with an env file', async () => {
    const file = envFile('.env.nx', [`DATABASE_URL=${embeddedUrl(WRONG)}`, `API_TOKEN=${TOKEN}`]);
    const viaNx = await nx(['run', 'sample:db-upgrade', `--envFile=${file}`], { env: FROM_ENV_FILE });
    assert.notEqual(viaNx.code, 0);
    assert.match(viaNx.stderr + viaNx.stdout, /refused the login/);
    assertClean(viaNx, [WRONG, TOKEN]);
    const viaVeloiq = await veloiq(['db', 'current', '-e', file, '--json'], { cwd: SAMPLE, env: FROM_ENV_FILE });
    assert.notEqual(viaVeloiq.code, 0);
    assert.match(viaVeloiq.stderr, /refused the login/);
    assertClean(viaVeloiq, [WRONG, TOKEN]);
  });

  test('unreachable host, unknown host, malformed URL: the password is not in the error', async () => {
    const refused = await runEngine('current', project.root, {}, { DATABASE_URL: 'postgresql://app:S3cret-unreachable@127.0.0.1:1/app' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/app: connection refused/);
    assertClean(refused, ['S3cret-unreachable']);
    const unknown = await runEngine('current', project.root, {}, { DATABASE_URL: 'postgresql://app:S3cret-nohost@no-such-host.invalid/app' });
    assert.equal(unknown.code, 1);
    assertClean(unknown, ['S3cret-nohost']);
    // An unencoded @ and # in the password: not a valid URL any more, and still hidden.
    const malformed = await runEngine('current', project.root, {}, { DATABASE_URL: 'postgresql://app:Bad@Pass#word99@127.0.0.1:1/app' });
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /The database URL \(clientUrl in .*\) is not valid: the password seems to hold an unencoded @ or #: percent-encode/);
    assertClean(malformed, ['Bad@Pass#word99', 'Pass#word99']);
    assert.doesNotMatch(malformed.stderr, /\n.+\n/, 'one line, no stack');
  });

  test('a config that throws with the connection string or an env value in its message', { skip }, async () => {
    const copy = copySample();
    try {
      writeFileSync(
        join(copy.backend, 'mikro-orm.config.ts'),
        `throw new Error('cannot use ' + process.env.DATABASE_URL + ' with ' + process.env.API_TOKEN);\n`,
      );
      const file = envFile('.env.config', [`API_TOKEN=${TOKEN}`]);
      const url = db.url.replace('postgres@', 'postgres:Cfg-Secret-77@');
      const result = await runEngine('current', copy.root, { envFile: file }, { DATABASE_URL: url });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /Cannot load .*mikro-orm\.config\.ts(:\d+:\d+)?: cannot use postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1/);
      assertClean(result, ['Cfg-Secret-77', TOKEN]);
    } finally {
      copy.remove();
    }
  });

  test('a migration whose error echoes the password or an env value', { skip }, async () => {
    const copy = copySample();
    try {
      // The system server trusts every login, so any password works and ends up in errors.
      const url = db.url.replace('postgres@', 'postgres:Mig-Secret-88@');
      writeRevision(copy.migrations, 'mx000001', 'echoes_secret', [`select 'Mig-Secret-88'::int`]);
      const sqlError = await runEngine('upgrade', copy.root, {}, { DATABASE_URL: url });
      assert.equal(sqlError.code, 1);
      assert.match(sqlError.stderr, /Revision mx000001 \(echoes secret\) failed to apply: .*invalid input syntax for type integer: "\*\*\*"/);
      assertClean(sqlError, ['Mig-Secret-88']);
      writeRevision(copy.migrations, 'mx000001', 'echoes_secret', [], { body: `    throw new Error('token is ' + process.env.API_TOKEN);` });
      const file = envFile('.env.mig', [`API_TOKEN=${TOKEN}`]);
      const thrown = await runEngine('upgrade', copy.root, { envFile: file }, { DATABASE_URL: url });
      assert.equal(thrown.code, 1);
      assert.match(thrown.stderr, /failed to apply: token is \*\*\*/);
      assertClean(thrown, [TOKEN, 'Mig-Secret-88']);
    } finally {
      copy.remove();
    }
  });

  test('results hide passwords but not ordinary words that equal an env value', { skip }, async () => {
    const file = envFile('.env.words', [`DATABASE_URL=${db.url}`, 'APP_MODULE=orders', `API_TOKEN=${TOKEN}`]);
    const result = await runEngine('history', project.root, { envFile: file }, FROM_ENV_FILE);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /create orders table/);
  });

  test('redaction rules, in process', () => {
    rememberSecret('abc-secret');
    rememberSecret('abc-secret-longer');
    rememberEnvValue('orders-service');
    rememberEnvValue('production');
    rememberEnvironmentSecrets({ SKIP_PASSWORD_CHECK: 'false', OTHER_URL: 'postgres://u:Env%40Url-Pw@h/d', MY_API_KEY: 'key-0123456789' });
    // The longer secret goes whole, not as '***-longer'.
    assert.equal(redact('x abc-secret-longer y abc-secret'), 'x *** y ***');
    // A URL password up to the last @, and key/value connection strings.
    assert.equal(redact('postgres://bob:p@ss@db:5432/app'), 'postgres://bob:***@db:5432/app');
    assert.equal(redact("host=db password='a b c' user=x"), 'host=db password=*** user=x');
    // Passwords inside URLs in the environment, raw and decoded, and secret-named variables.
    assert.equal(redact('Env@Url-Pw Env%40Url-Pw key-0123456789'), '*** *** ***');
    // Errors hide env-file values; results keep ordinary words (and JSON stays JSON).
    assert.equal(redact('orders-service failed in production'), '*** failed in production');
    assert.equal(redactResult('{"head":false,"name":"orders-service","pw":"abc-secret"}'), '{"head":false,"name":"orders-service","pw":"***"}');
  });
});
