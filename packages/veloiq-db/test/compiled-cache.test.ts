// Compiled revisions are cached in the project's .veloiq/compiled/, and code is never run from a
// place another user can write: a file planted in the old shared temp folder, or in the cache with
// the wrong content, rights, owner or as a symlink, is never run; a folder others may write is
// not used at all. Stale entries are pruned. Real processes, real PostgreSQL.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runEngine, writeRevision } from './safety-fixtures';
import { copySample, createTestDatabase, missingSystemPg, type TestDatabase, type TestProject } from './support';

/** More pending revisions than the loader's threshold for compiling ahead (20). */
const COUNT = 24;
const id = (n: number) => `cc0000${String(n).padStart(2, '0')}`;

describe('compiled-module cache', async () => {
  const skip = await missingSystemPg();
  let project: TestProject;
  let db: TestDatabase;
  let marker: string;
  let cacheDir: string;
  const oldPlace: string[] = [];
  const paths: string[] = [];

  /** A module that notes it ran (with `label`) and still is a working revision. */
  const planted = (n: number, label: string) => `require('fs').appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(`${label}\n`)});
const { Migration } = require('@mikro-orm/migrations');
class Migration_${id(n)} extends Migration {
  async up() { this.addSql('create table "cc_${n}" (id int)'); }
  async down() { this.addSql('drop table "cc_${n}"'); }
}
exports.Migration_${id(n)} = Migration_${id(n)};
`;
  const header = (key: string, code: string) => `// veloiq compiled ${key} ${createHash('sha256').update(code).digest('hex')}`;
  const ran = () => (existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter(Boolean) : []);
  /** The cache entries of this test's revisions, in revision order. */
  const entries = () =>
    readdirSync(cacheDir)
      .filter((f) => f.startsWith('cc') && f.endsWith('.js'))
      .sort();
  const keyOf = (entry: string) => /\.([0-9a-f]{40})\.js$/.exec(entry)![1];
  const engine = (command: string, options: object = {}) => runEngine(command, project.root, options, { DATABASE_URL: db.url });

  before(async () => {
    if (skip) return;
    project = copySample();
    db = await createTestDatabase('vq_cc');
    marker = join(project.root, 'planted-code-ran');
    cacheDir = join(project.backend, '.veloiq', 'compiled');
    for (let n = 1; n <= COUNT; n++)
      paths.push(writeRevision(project.migrations, id(n), `cached_${n}`, [`create table "cc_${n}" (id int)`], { down: [`drop table "cc_${n}"`] }));
  });
  after(async () => {
    for (const file of oldPlace) rmSync(file, { force: true });
    await db?.drop();
    project?.remove();
  });

  test('a file planted in the old shared temp folder is never run', { skip }, async () => {
    // Where and under which name the loader once cached each revision: predictable by anyone.
    const esbuild = createRequire(require.resolve('tsx/package.json'))('esbuild') as { version: string };
    const options = { target: `node${process.versions.node}`, format: 'cjs', platform: 'node', sourcemap: 'inline', keepNames: true };
    const dir = join(tmpdir(), `veloiq-db-${userInfo().username}`, 'modules');
    mkdirSync(dir, { recursive: true });
    paths.forEach((path, i) => {
      const key = createHash('sha1')
        .update([esbuild.version, JSON.stringify(options), path, readFileSync(path, 'utf8')].join('\0'))
        .digest('hex');
      const file = join(dir, `${key}.js`);
      writeFileSync(file, planted(i + 1, 'old place'));
      oldPlace.push(file);
    });
    const result = await engine('upgrade');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(ran(), [], 'no planted code ran');
    const tables = await db.tables();
    assert.ok(paths.every((_, i) => tables.includes(`cc_${i + 1}`)));
    // The cache now lives with the project, private to this user.
    assert.equal(entries().length, COUNT);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    for (const entry of entries()) assert.equal(statSync(join(cacheDir, entry)).mode & 0o777, 0o600, entry);
  });

  test('entries with wrong content, rights, owner, or a symlink are never run; a trusted entry is', { skip }, async () => {
    assert.equal((await engine('downgrade', { revision: 'base' })).code, 0);
    const list = entries();
    const plant = (i: number, label: string, validHeader: boolean) => {
      const file = join(cacheDir, list[i]);
      const code = planted(i + 1, label);
      const first = readFileSync(file, 'utf8').split('\n')[0];
      writeFileSync(file, `${validHeader ? header(keyOf(list[i]), code) : first}\n${code}`);
      return file;
    };
    plant(0, 'trusted', true); // the control: ours, private, intact, so it is run
    plant(1, 'wrong content', false);
    chmodSync(plant(2, 'writable by others', true), 0o666);
    const root = process.getuid?.() === 0;
    if (root) chownSync(plant(3, 'owned by another user', true), 65534, 65534);
    const elsewhere = join(project.root, 'elsewhere.js');
    const code = planted(5, 'through a symlink');
    writeFileSync(elsewhere, `${header(keyOf(list[4]), code)}\n${code}`, { mode: 0o600 });
    unlinkSync(join(cacheDir, list[4]));
    symlinkSync(elsewhere, join(cacheDir, list[4]));

    const result = await engine('upgrade');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(ran(), ['trusted'], 'only the trusted entry ran');
    assert.equal((await db.applied()).filter((name) => name.startsWith('cc')).length, COUNT);
  });

  test('a cache folder that others may write is not used at all', { skip }, async () => {
    rmSync(marker, { force: true });
    entries().forEach((entry, i) => {
      const code = planted(i + 1, 'in a shared folder');
      writeFileSync(join(cacheDir, entry), `${header(keyOf(entry), code)}\n${code}`, { mode: 0o600 });
    });
    chmodSync(cacheDir, 0o777);
    try {
      const result = await engine('downgrade', { revision: 'base' });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(ran(), []);
      assert.deepEqual(await db.tables(), ['mikro_orm_migrations'], 'the real revisions ran');
    } finally {
      chmodSync(cacheDir, 0o700);
    }
  });

  test('entries of edited and deleted revisions are pruned', { skip }, async () => {
    for (const entry of entries()) rmSync(join(cacheDir, entry)); // the planted ones
    assert.equal((await engine('upgrade')).code, 0);
    assert.equal((await engine('downgrade', { revision: 'base' })).code, 0);
    const before = entries();
    writeFileSync(paths[1], readFileSync(paths[1], 'utf8') + '// edited\n');
    rmSync(paths[COUNT - 1]);
    const result = await engine('upgrade');
    assert.equal(result.code, 0, result.stderr);
    const now = entries();
    assert.equal(now.length, COUNT - 1, now.join('\n'));
    assert.ok(!now.some((entry) => entry.startsWith(`${id(COUNT)}_`)), 'the deleted revision is gone');
    assert.equal(now.filter((entry) => entry.startsWith(`${id(2)}_`)).length, 1, 'one entry for the edited revision');
    assert.ok(!now.includes(before[1]), 'its old entry is gone');
  });
});
