// The comparison point: MikroORM's own migrator, used the way its docs show, on the same
// project config (TypeScript, so tsx loads it, as ts-node or tsx does for MikroORM's CLI).
// `up` applies every pending migration; `list` reads the executed ones.
// Usage: node --import tsx tools/bench/raw-migrator.ts <up|list> <backend dir>   (DATABASE_URL set)
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { MikroORM as MikroORMClass, Options } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';

async function main(): Promise<void> {
  const [action, backend] = process.argv.slice(2);
  // The project's own MikroORM, the copy its config imports.
  const { MikroORM } = createRequire(join(backend, 'mikro-orm.config.ts'))('@mikro-orm/core') as { MikroORM: typeof MikroORMClass };
  const loaded = await import(join(backend, 'mikro-orm.config.ts'));
  const config = (loaded.default?.default ?? loaded.default ?? loaded) as Options;
  const orm = await MikroORM.init({ ...config, debug: false });
  try {
    const migrator = orm.getMigrator() as Migrator;
    if (action === 'up') {
      const applied = await migrator.up();
      console.log(`applied ${applied.length}`);
    } else {
      const executed = await migrator.getExecutedMigrations();
      console.log(`executed ${executed.length}, last ${executed.at(-1)?.name ?? 'none'}`);
    }
  } finally {
    await orm.close(true);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
