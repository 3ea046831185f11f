import type { ExecutorContext } from '@nx/devkit';
import { status } from '../../commands/status';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function statusExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(status, options, context);
}
