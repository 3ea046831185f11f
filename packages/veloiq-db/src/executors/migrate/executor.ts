import type { ExecutorContext } from '@nx/devkit';
import { migrate } from '../../commands/migrate';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function migrateExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(migrate, options, context);
}
