/**
 * `npm start -- --lifecycle`: the whole life of one connection in one built-in world (local/lifecycle.ts runs
 * it; this prints it). The create request is the example of `--kind` or `--input`.
 */
import { Display } from './display.ts';
import { exampleRequestFile, readJsonFile } from './input.ts';
import type { CliIo } from './io.ts';
import { choiceOption, numberOption, type OptionValues, UsageError } from './options.ts';
import { BUILT_IN_TIME_SCALE, KINDS } from './run-plan.ts';
import { presetOption } from './world-options.ts';

/** Options that make no sense for a lifecycle (it makes its own actions, world and faults). */
const REFUSED = ['action', 'repair', 'atlas-url', 'fault', 'retired', 'event'] as const;

export async function lifecycleCommand(values: OptionValues, io: CliIo): Promise<number> {
  for (const name of REFUSED) {
    if (values[name] !== undefined)
      throw new UsageError(`--lifecycle runs its own actions in the built-in world; drop --${name}`);
  }
  const kindOption =
    values.kind === undefined ? undefined : choiceOption('kind', values.kind, KINDS, 'serverless');
  const file =
    typeof values.input === 'string' ? values.input : exampleRequestFile(kindOption ?? 'serverless');
  const input = readJsonFile('input', file);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new UsageError(`--input ${file} must be a create request (a JSON object)`);
  }
  const request = { ...(input as Record<string, unknown>) };
  if (request.action !== undefined && request.action !== 'create') {
    throw new UsageError(
      `--lifecycle needs a create request as input; ${file} asks for "${String(request.action)}"`,
    );
  }
  if (kindOption && request.kind === undefined) request.kind = kindOption;
  const kind = request.kind === 'dedicated' ? 'dedicated' : 'serverless';
  const preset = presetOption(values.preset);
  const timeScale = numberOption('time-scale', values['time-scale'], BUILT_IN_TIME_SCALE);
  const auth = choiceOption('auth', values.auth, ['service-account', 'api-key'] as const, 'service-account');
  const json = values.json === true;

  const display = new Display(io.stdout, io.env);
  if (!json) {
    display.line(
      `Lifecycle of one ${kind} connection in one simulated world (preset ${preset}; waits run at ` +
        `${timeScale === 0 ? 'no real time' : `${timeScale}x`})`,
    );
    display.line();
  }
  // Loaded only now: it brings the engine (and aws-cdk-lib), which a refused option never needs.
  const { formatInventory, formatStep, runLifecycle } = await import('../lifecycle.ts');
  const result = await runLifecycle({
    kind,
    request,
    preset,
    timeScale,
    auth,
    ...(json ? {} : { onStep: (step, index) => display.line(formatStep(step, index)) }),
  });
  if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    display.line();
    display.line(formatInventory(result));
  }
  return result.ok ? 0 : 1;
}
