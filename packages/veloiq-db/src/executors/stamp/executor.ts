import type { ExecutorContext } from '@nx/devkit';
import { stamp } from '../../commands/stamp';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function stampExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(stamp, options, context);
}
