import type { ExecutorContext } from '@nx/devkit';
import { merge } from '../../commands/merge';
import { runCommand } from '../run-command';
import { looseWords } from '../revision-argument';
import type { Schema } from './schema';

export default function mergeExecutor(options: Schema, context: ExecutorContext) {
  // Nx fills one positional option per index; a merge takes any number of revisions.
  return runCommand(merge, { ...options, revisions: looseWords(context) ?? options.revisions }, context);
}
