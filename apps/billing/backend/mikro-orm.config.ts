import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/generated/entities';

// DATABASE_URL selects the server; without it, `veloiq db` uses an embedded PostgreSQL whose
// data stays in backend/.veloiq/ (git-ignored). Billing has its own database, apart from sample's.
export default defineConfig({
  entities,
  clientUrl: process.env.DATABASE_URL,
  dbName: process.env.DATABASE_URL ? undefined : 'billing',
  baseDir: __dirname,
  migrations: { path: './migrations', snapshot: false },
  extensions: [Migrator],
});
