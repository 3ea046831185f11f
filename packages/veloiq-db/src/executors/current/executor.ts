import type { ExecutorContext } from '@nx/devkit';
import { current } from '../../commands/current';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

export default function currentExecutor(options: Schema, context: ExecutorContext) {
  return runCommand(current, options, context);
}
