import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { MetadataStorage, type EntityMetadata, type EntitySchema } from '@mikro-orm/core';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { firstLine, UserError } from './errors';
import { loadErrorLine } from './load-error';
import { loadModule } from './loader';
import { asGiven, loadConfig } from './orm';
import { forgetModulesUnder } from './module-cache';
import type { Project } from './project';

/** Where entity modules live, relative to the backend folder: one `models.ts` per module. */
export const MODULES_DIR = 'src/modules';
export const MODELS_FILE = 'models.ts';

/** A class decorated with `@Entity()` or `@Embeddable()`. */
type EntityClass = abstract new (...args: never[]) => unknown;

export interface EntityExport {
  /** The name the module exports it under: what the registry imports. */
  exportName: string;
  /** A `defineEntity`/`EntitySchema` value, or a decorated class. */
  schema: EntitySchema | EntityClass;
}

export interface EntityModule {
  /** The module folder's name (`products`). */
  name: string;
  /** Absolute path of its models.ts. */
  path: string;
  entities: EntityExport[];
}

export interface DiscoveredEntities {
  modules: EntityModule[];
  /** MikroORM's discovered metadata for every entity, sorted by class name. */
  metadata: EntityMetadata[];
}

/** The models.ts of every module folder, sorted by module name. */
export function modelFiles(project: Project): { name: string; path: string }[] {
  const dir = join(project.backendDir, MODULES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, MODELS_FILE)))
    .map((entry) => ({ name: entry.name, path: join(dir, entry.name, MODELS_FILE) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `defineEntity` and `new EntitySchema` values; compared by shape, as the project may load its own copy of MikroORM. */
function isEntitySchema(value: unknown): value is EntitySchema {
  const candidate = value as { constructor?: { name?: string }; meta?: unknown; init?: unknown } | null;
  return (
    !!candidate && typeof candidate === 'object' && candidate.constructor?.name === 'EntitySchema' && !!candidate.meta && typeof candidate.init === 'function'
  );
}

/** The decorators' metadata of every class loaded so far, shared by every copy of MikroORM. */
function decoratedMetadata(): EntityMetadata[] {
  return Object.values(MetadataStorage.getMetadata());
}

/** A class an `@Entity()` or `@Embeddable()` decorator registered (a bare base class is not one). */
function isEntityClass(value: unknown): value is EntityClass {
  return typeof value === 'function' && decoratedMetadata().some((meta) => meta.class === value);
}

/**
 * Forgets what decorators registered from the project's files: a file loaded again registers
 * its classes under the same keys, and a property deleted since would otherwise stay.
 */
function forgetDecoratedUnder(dir: string): void {
  const storage = MetadataStorage.getMetadata();
  for (const [key, meta] of Object.entries(storage)) {
    if (meta.path && !meta.path.includes('/node_modules/') && meta.path.startsWith(dir + sep)) delete storage[key];
  }
}

/** Why a models.ts yields no entity, from what it does export. */
function noEntityMessage(shown: string, exports: Record<string, unknown>): string {
  const names = Object.keys(exports).filter((key) => key !== '__esModule');
  const classes = names.filter((key) => typeof exports[key] === 'function' && /^class\b/.test(Function.prototype.toString.call(exports[key])));
  const why =
    names.length === 0
      ? 'it exports nothing'
      : classes.length > 0
        ? `its classes (${classes.join(', ')}) carry no @Entity() or @Embeddable() decorator that ran`
        : `none of its exports (${names.join(', ')}) is an entity`;
  return `${shown} defines no entity: ${why}. Export each entity from it (defineEntity, new EntitySchema, or a class decorated with @Entity()), or delete the file.`;
}

/**
 * Loads every module's models.ts afresh. A file that fails to compile or run is a UserError that
 * names the file and the line, so the user knows where to look.
 */
export function loadEntityModules(project: Project, show: (path: string) => string): EntityModule[] {
  forgetModulesUnder(project.root);
  const files = modelFiles(project);
  // An app without models.ts: its entities are the classes its config (loaded once for the
  // command) imported, and their decorators' metadata must stay with them.
  if (files.length === 0) return [];
  forgetDecoratedUnder(project.root);
  return files.map(({ name, path }) => {
    let exports: Record<string, unknown>;
    try {
      exports = loadModule<Record<string, unknown>>(path);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`Cannot load entities from ${loadErrorLine(error, path, show)}. Fix the entity file and run again.`, { cause: error });
    }
    const entities = Object.entries(exports)
      .filter((entry): entry is [string, EntitySchema | EntityClass] => isEntitySchema(entry[1]) || isEntityClass(entry[1]))
      .map(([exportName, schema]) => ({ exportName, schema }))
      .sort((a, b) => (a.exportName < b.exportName ? -1 : a.exportName > b.exportName ? 1 : 0));
    if (entities.length === 0) throw new UserError(noEntityMessage(show(path), exports));
    return { name, path, entities };
  });
}

/**
 * Discovers the entities of every module with MikroORM's own metadata discovery (no database,
 * no connection), so names, columns and types are what the ORM and the migrator will see.
 */
export async function discoverEntities(project: Project, show: (path: string) => string): Promise<DiscoveredEntities> {
  const modules = loadEntityModules(project, show);
  const seen = new Map<string, string>();
  for (const module of modules) {
    for (const { exportName } of module.entities) {
      const other = seen.get(exportName);
      if (other) {
        throw new UserError(`Two modules export an entity named ${exportName} (${show(other)} and ${show(module.path)}). Rename one of them.`);
      }
      seen.set(exportName, module.path);
    }
  }
  const schemas = modules.flatMap((m) => m.entities.map((e) => e.schema));
  if (schemas.length === 0) return { modules, metadata: [] };
  const classes = schemas.filter((schema): schema is EntityClass => typeof schema === 'function');
  // Decorated classes are read by the config's metadata provider (TsMorphMetadataProvider, when
  // it names one); a config that cannot load now leaves MikroORM's default, ReflectMetadataProvider.
  const config = classes.length > 0 ? await loadConfig(project).catch(() => undefined) : undefined;
  let orm: MikroORM;
  try {
    orm = asGiven(() =>
      MikroORM.initSync({
        driver: PostgreSqlDriver,
        entities: schemas,
        ...(config?.metadataProvider ? { metadataProvider: config.metadataProvider, baseDir: config.baseDir ?? project.backendDir } : {}),
        ...(config?.metadataCache ? { metadataCache: config.metadataCache } : {}),
        dbName: 'veloiq_generate',
        connect: false,
        debug: false,
        discovery: { warnWhenNoEntities: false },
      }),
    );
  } catch (error) {
    const where = relative(project.root, join(project.backendDir, MODULES_DIR)) || MODULES_DIR;
    throw new UserError(`Invalid entity definitions in ${where}: ${firstLine(error)} Fix the entity and run again.`);
  }
  const metadata = Object.values(orm.getMetadata().getAll())
    .filter((meta) => !meta.pivotTable || schemas.some((s) => (typeof s === 'function' ? s.name : s.meta.className) === meta.className))
    .sort((a, b) => (a.className < b.className ? -1 : a.className > b.className ? 1 : 0));
  await orm.close(true);
  return { modules, metadata };
}
