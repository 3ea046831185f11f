/**
 * What the revision graph costs on top of listing the folder: 1,000 revision files (a chain,
 * with Parent: lines as migrate writes them), listed and built into a graph, best of 20 runs.
 * Run: node --import tsx tools/bench/graph.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRevision } from '../../packages/veloiq-db/src/core/revision-file';
import { buildGraph } from '../../packages/veloiq-db/src/core/revision-graph';
import { listRevisions, positionOf } from '../../packages/veloiq-db/src/core/revisions';

const COUNT = 1000;
const dir = mkdtempSync(join(tmpdir(), 'veloiq-graph-bench-'));
try {
  for (let i = 0; i < COUNT; i++) {
    const id = (1_700_000_000_000 + i).toString(36).padStart(8, '0');
    const parent = i === 0 ? [] : [(1_700_000_000_000 + i - 1).toString(36).padStart(8, '0')];
    const sql = [`create table t${i} (id serial primary key)`];
    writeFileSync(join(dir, `${id}_table_${i}.ts`), renderRevision({ id, message: `table ${i}`, up: sql, down: [`drop table t${i}`], parents: parent }));
  }
  const best = (run: () => unknown) => {
    let min = Infinity;
    for (let round = 0; round < 20; round++) {
      const start = performance.now();
      run();
      min = Math.min(min, performance.now() - start);
    }
    return min;
  };
  const revisions = listRevisions(dir);
  const listing = best(() => listRevisions(dir));
  const graph = best(() => buildGraph(revisions));
  const names = revisions.map((r) => r.name);
  const position = best(() => positionOf(revisions, names));
  console.log(`${COUNT} revisions: listing ${listing.toFixed(1)} ms; graph ${graph.toFixed(1)} ms; position (graph + applied heads) ${position.toFixed(1)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
