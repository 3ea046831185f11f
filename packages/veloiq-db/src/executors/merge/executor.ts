import type { ExecutorContext } from '@nx/devkit';
import { merge } from '../../commands/merge';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function mergeExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(merge, options, context);
}
