import 'reflect-metadata';
import { defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/generated/entities';

// Decorator entities: ../tsconfig.json enables experimentalDecorators and emitDecoratorMetadata,
// and MikroORM's default ReflectMetadataProvider reads the property types from that metadata.
export default defineConfig({
  entities,
  clientUrl: process.env.DATABASE_URL,
  dbName: process.env.DATABASE_URL ? undefined : 'fixture_decorators',
  baseDir: __dirname,
  migrations: { path: './migrations', snapshot: false },
  extensions: [Migrator],
});
