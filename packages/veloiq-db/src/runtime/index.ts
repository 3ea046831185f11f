// `@veloiq/db/runtime`: what an app imports. It shares the engine's config loading and
// database rule with the `veloiq db` commands, and imports nothing from Nx.
export { createVeloiqApp, type VeloiqApp, type VeloiqAppConfig, type StartupReport } from './app';
export type { CreatedSchema } from './schema';
export { UserError, describeError } from '../core/errors';
