import type { ExecutorContext } from '@nx/devkit';
import { upgrade } from '../../commands/upgrade';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function upgradeExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(upgrade, options, context);
}
