// Our engine called directly, with no Nx: what `nx run` adds on top is measured separately.
// Usage: node --import tsx tools/bench/engine.ts <upgrade|current> <project root>   (DATABASE_URL set)
import { current } from '../../packages/veloiq-db/src/commands/current';
import { upgrade } from '../../packages/veloiq-db/src/commands/upgrade';

async function main(): Promise<void> {
  const [action, projectRoot] = process.argv.slice(2);
  const options = { projectRoot, cwd: projectRoot };
  const result = action === 'upgrade' ? await upgrade(options) : await current(options);
  const summary = result.kind === 'upgrade' ? `applied ${result.applied.length}, now at ${result.current}` : `at ${result.id}, head ${result.head}`;
  console.log(summary);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
