/**
 * `npm start`: runs the synthesized workflow once, against the built-in simulated world (default) or an
 * external Atlas-compatible API (`--atlas-url`, e.g. a separate `npm run simulator`).
 *
 * The parts: run-plan.ts (options, help, input, checks: everything before the run), run-view.ts (what is
 * printed while it runs), interrupt.ts (Ctrl-C). Extension points: a new option is a row of RUN_OPTIONS and
 * its use in `prepareRun`; another kind of run (an action, a sequence of runs) can build RunPlans and call
 * `executeRun` for each.
 */
import { relative } from 'node:path';
import type { RunningWorld } from '../cloud/index.ts';
import type { LocalTarget } from '../engine.ts';
import { Display } from './display.ts';
import { interruptionReport, onInterrupt } from './interrupt.ts';
import type { CliIo } from './io.ts';
import { choiceOption, parseOptions } from './options.ts';
import { type RequestLine, requestLines } from './requests.ts';
import { inventoryLines } from './resources.ts';
import { EXIT_INTERRUPTED, KINDS, prepareRun, RUN_OPTIONS, type RunPlan, runHelp } from './run-plan.ts';
import { RunView, summaryLines } from './run-view.ts';
import { faultList } from './world-options.ts';

export {
  BUILT_IN_TIME_SCALE,
  EXIT_INTERRUPTED,
  prepareRun,
  RUN_OPTIONS,
  type RunPlan,
  runHelp,
} from './run-plan.ts';

/** Printed when the request is serverless: the flow runs here, but not on today's Atlas. */
export const SERVERLESS_NOTE =
  "Note: MongoDB retired this serverless private endpoint API on 2026-01-22; on today's Atlas use --kind dedicated.";

/** Printed in --retired mode: what the 410 rests on (facts §10: the documented rule, never observed). */
export const RETIRED_NOTE =
  'Retired mode: serverless private endpoint calls answer 410 VERSION_GONE, the documented rule for a sunset API ' +
  "version; what today's Atlas actually answers them was not observed in any source.";

/** Runs a prepared plan: prints as it goes; returns the exit code. */
export async function executeRun(plan: RunPlan, io: CliIo): Promise<number> {
  const display = new Display(io.stdout, io.env);
  const say = (line = '') => {
    if (!plan.json) display.line(line);
  };
  const { runLocalWorkflow } = await import('../engine.ts');
  let running: RunningWorld | undefined;
  let target: LocalTarget;
  if (plan.world) {
    const { startWorld } = await import('../cloud/index.ts');
    const { DEMO_AWS } = await import('../cloud/aws-model.ts');
    const w = plan.world;
    running = await startWorld({
      preset: w.preset,
      timeScale: 0,
      faults: w.faults,
      serverlessRetired: w.retired,
    });
    const demo = running.world.demo;
    target = {
      atlasUrl: running.atlasUrl,
      ec2Url: running.ec2Url,
      stsUrl: running.stsUrl,
      dynamodbUrl: running.dynamodbUrl,
      atlasCredentials: w.auth === 'api-key' ? demo.apiKey : demo.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: demo.awsRegion,
    };
    say(
      `Simulated world: preset ${w.preset}${w.faultName ? `, fault ${w.faultName}` : ''}${w.retired ? ', serverless API retired' : ''}; waits run at ${plan.timeScale === 0 ? 'no real time' : `${plan.timeScale}x`}`,
    );
    if (w.retired) say(RETIRED_NOTE);
  } else {
    const ext = plan.external as NonNullable<RunPlan['external']>;
    target = ext.target;
    say(
      `Running against ${ext.atlasUrl} (EC2: ${io.env.AWS_ENDPOINT_URL_EC2 ?? 'the AWS SDK default endpoint'})`,
    );
    say(
      ext.simulator
        ? `Simulator: preset ${ext.simulator.preset}${ext.simulator.fault ? `, fault ${ext.simulator.fault}` : ''}; waits run at its time scale, ${ext.simulator.timeScale}x`
        : `Waits run at ${plan.timeScale === 1 ? 'real time' : `${plan.timeScale}x`}`,
    );
    if (plan.requestId)
      say(
        `Request id: ${plan.requestId}${plan.executionName ? ' (derived from the input: running the same input again converges on the same resources)' : ''}`,
      );
  }
  const shown = relative(process.cwd(), plan.source.file) || plan.source.file;
  say(
    plan.source.from === 'event'
      ? `Event: ${shown} matches rule ${plan.source.rule}; execution input: ${plan.source.inputPath ?? 'the event'}`
      : `Input: ${shown}`,
  );
  if (plan.kind === 'serverless') say(SERVERLESS_NOTE);
  say();

  const view = new RunView(display, plan, running);
  const interrupt = onInterrupt(io);
  const startedAt = running?.world.clock.now() ?? 0;
  // Ctrl-C aborts the execution (as StopExecution would): the next run for its target takes over its lease.
  const aborted = new AbortController();
  try {
    const execution = runLocalWorkflow({
      input: plan.input,
      target,
      signal: aborted.signal,
      ...(plan.executionName ? { executionName: plan.executionName } : {}),
      ...(running ? { clock: running.world.clock, requestLog: running.world.log } : {}),
      logLevel: plan.verbose ? 'INFO' : 'SILENT',
      onHistory: (entry, info) => view.onHistory(entry, info),
      onWait: (state, seconds) => view.onWait(state, seconds),
    });
    const outcome = await Promise.race([execution, interrupt.promise]);
    if (outcome === 'interrupted') {
      aborted.abort();
      view.stopped = true;
      display.clearProgress();
      // The execution goes on in the background until the process exits; its later failures are not news.
      execution.catch(() => undefined);
      const report = await interruptionReport(view, plan, running);
      if (plan.json) io.stdout.write(`${JSON.stringify(report.document, null, 2)}\n`);
      else {
        io.stdout.write('\n');
        display.line(display.paint(report.lines[0] as string, 'warn'));
        for (const line of report.lines.slice(1)) display.line(line);
      }
      return EXIT_INTERRUPTED;
    }
    const result = outcome;
    if (plan.json) {
      const requests: RequestLine[] | undefined = running
        ? requestLines(running.world.log.entries, startedAt)
        : undefined;
      const document = {
        ...result,
        ...(requests
          ? { requests }
          : { requests: null, requestsNote: 'recorded only in the built-in world' }),
        ...(running ? { leftInTheWorld: inventoryLines(running.world.inventory()) } : {}),
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      display.line(`\n${result.status === 'SUCCEEDED' ? 'Output' : 'Failure'}:`);
      display.line(JSON.stringify(result.status === 'SUCCEEDED' ? result.output : result.error, null, 2));
      display.line();
      for (const line of summaryLines(display, result, running)) display.line(line);
      if (result.status !== 'SUCCEEDED') io.stderr.write(`\nThe workflow failed: ${result.error?.error}\n`);
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    interrupt.dispose();
    await running?.close();
  }
}

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(argv, RUN_OPTIONS);
  if (values.help) {
    io.stdout.write(`${runHelp()}\n`);
    return 0;
  }
  if (values['list-faults']) {
    const kind =
      values.kind === undefined ? undefined : choiceOption('kind', values.kind, KINDS, 'serverless');
    io.stdout.write(`${(await faultList(kind)).join('\n')}\n`);
    return 0;
  }
  if (values.lifecycle) {
    const { lifecycleCommand } = await import('./lifecycle.ts');
    return lifecycleCommand(values, io);
  }
  const plan = await prepareRun(argv, values, io);
  return executeRun(plan, io);
}
