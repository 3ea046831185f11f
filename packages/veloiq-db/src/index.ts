// The package entry point is what Nx loads for `"plugin": "@veloiq/db"` in nx.json, on every
// project-graph computation: keep it light (no MikroORM, no database code at import time).
export { createNodes, createNodesV2, MIKRO_ORM_CONFIG_GLOB, DEFAULT_TARGET_NAMES } from './plugin/plugin';
export type { VeloiqDbPluginOptions } from './plugin/plugin';
