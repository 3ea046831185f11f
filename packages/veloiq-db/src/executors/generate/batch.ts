import { join } from 'node:path';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { checkEntitiesTogether, generate } from '../../commands/generate';
import { runCommand } from '../run-command';
import type { Schema } from './schema';

interface TaskDone {
  task: string;
  result: { success: boolean; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * Nx's batch form of `generate` (executors.json `batchImplementation`): every `generate` task
 * of a run-many in one process, so TypeScript, MikroORM and the typings load once, and the
 * entity files of all the projects are type-checked in one program. Each task still runs
 * `generate` on its own and reports its own result and output, as the one-task executor does.
 */
export default async function* generateBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, Schema>,
  _overrides: Schema,
  context: ExecutorContext,
): AsyncGenerator<TaskDone> {
  const tasks = Object.keys(inputs).map((id) => taskGraph.tasks[id]);
  const rootOf = (project: string) => join(context.root, context.projectsConfigurations.projects[project].root);
  checkEntitiesTogether(tasks.map((task) => rootOf(task.target.project)));
  for (const task of tasks) {
    const { project, target, configuration } = task.target;
    const lines: string[] = [];
    const startTime = Date.now();
    const { success } = await runCommand(
      generate,
      inputs[task.id],
      {
        ...context,
        projectName: project,
        targetName: target,
        configurationName: configuration,
        target: context.projectsConfigurations.projects[project].targets?.[target],
      },
      { out: (line) => lines.push(line), err: (line) => lines.push(line) },
    );
    yield { task: task.id, result: { success, terminalOutput: lines.map((line) => `${line}\n`).join(''), startTime, endTime: Date.now() } };
  }
}
