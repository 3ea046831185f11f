import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A target as Nx's own project graph has it, when nx.json lists plugins besides ours: only Nx
 * knows what they add, so the fast path reads what Nx computed last (`.nx/workspace-data/`,
 * written by every `nx run`, `nx show` and by the daemon) and uses it only when it is fresh by
 * the rule Nx's daemon applies: no workspace file changed since. Nx's own hasher (its native
 * WorkspaceContext) hashes every workspace file it sees now; the graph is fresh when that list
 * equals the file map Nx wrote with the graph (nx.json, project files, the lockfile included),
 * with the same Nx version and plugin list and no graph errors.
 */

interface FileData {
  file: string;
  hash: string;
}

interface FileMapCache {
  nxVersion?: string;
  nxJsonPlugins?: { name: string }[];
  fileMap?: { nonProjectFiles: FileData[]; projectFileMap: Record<string, FileData[]> };
}

interface GraphCache {
  nodes?: Record<string, { data?: { root?: string; targets?: Record<string, unknown> } }>;
  errors?: unknown[];
}

const pluginName = (entry: unknown) => (typeof entry === 'string' ? entry : (entry as { plugin?: unknown })?.plugin);

/** The files and hashes Nx's hasher sees in the workspace now. */
function currentFiles(workspaceRoot: string, dataDir: string): FileData[] {
  const native = require.resolve('nx/src/native', { paths: [workspaceRoot] });
  const { WorkspaceContext } = require(native) as { WorkspaceContext: new (root: string, cacheDir: string) => { allFileData(): FileData[] } };
  return new WorkspaceContext(workspaceRoot, dataDir).allFileData();
}

/**
 * `target` of `projectName` (at `projectRoot`) from Nx's cached project graph, or why that graph
 * cannot be trusted (a string). `plugins` is nx.json's plugin list.
 */
export function cachedGraphTarget(
  workspaceRoot: string,
  projectName: string,
  projectRoot: string,
  target: string,
  plugins: unknown[],
): { target: unknown } | string {
  const dataDir = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? join(workspaceRoot, '.nx/workspace-data');
  const graphFile = join(dataDir, 'project-graph.json');
  const mapFile = join(dataDir, 'file-map.json');
  if (!existsSync(graphFile) || !existsSync(mapFile)) return 'Nx has no cached project graph yet';
  let map: FileMapCache;
  let graph: GraphCache;
  let nxVersion: string;
  try {
    map = JSON.parse(readFileSync(mapFile, 'utf8'));
    graph = JSON.parse(readFileSync(graphFile, 'utf8'));
    nxVersion = JSON.parse(readFileSync(require.resolve('nx/package.json', { paths: [workspaceRoot] }), 'utf8')).version;
  } catch (error) {
    return `Nx's cached project graph is unreadable (${(error as Error).message})`;
  }
  if (map.nxVersion !== nxVersion) return 'the cached project graph is from another Nx version';
  const cachedPlugins = (map.nxJsonPlugins ?? []).map((p) => p.name);
  if (JSON.stringify(cachedPlugins) !== JSON.stringify(plugins.map(pluginName))) return 'the cached project graph has other plugins';
  if (!map.fileMap || (graph.errors?.length ?? 0) > 0) return 'the cached project graph has errors';
  const node = graph.nodes?.[projectName];
  if (!node?.data || node.data.root !== projectRoot) return `the cached project graph has no project ${projectName} at ${projectRoot || '.'}`;

  const cached = new Map([...map.fileMap.nonProjectFiles, ...Object.values(map.fileMap.projectFileMap).flat()].map((f) => [f.file, f.hash]));
  let files: FileData[];
  try {
    files = currentFiles(workspaceRoot, dataDir);
  } catch (error) {
    return `Nx's file hasher did not load (${(error as Error).message})`;
  }
  const changed = files.length !== cached.size ? 'files were added or removed' : files.find((f) => cached.get(f.file) !== f.hash)?.file;
  if (changed) return `the cached project graph is stale (${changed})`;
  return { target: node.data.targets?.[target] };
}
