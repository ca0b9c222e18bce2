/**
 * `npm start` (run the workflow offline) and `npm run simulator` (the simulated world, standalone).
 * Exit codes: 0 success, 1 the workflow failed, 2 bad options or input (nothing ran), 130 interrupted (Ctrl-C).
 *
 * The commands live in local/cli/: run.ts (`npm start`), simulator.ts, and their parts (options, display,
 * input, event, resources, requests).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CliIo, processIo } from './cli/io.ts';
import { didYouMean, UsageError } from './cli/options.ts';
import { EXIT_INTERRUPTED, runCommand } from './cli/run.ts';
import { simulatorCommand } from './cli/simulator.ts';

export { statusNote } from './cli/display.ts';
export { exampleRequestFile } from './cli/input.ts';

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> = {
  run: runCommand,
  simulator: simulatorCommand,
};

/**
 * Whether the module at `moduleUrl` is the script node was started with (`argv1`). Compares real file system
 * paths, so a checkout path with spaces (percent-encoded in the URL) or reached through a symlink (node
 * resolves the main module's symlinks, not argv[1]) still counts.
 */
export function isMainModule(moduleUrl: string, argv1: string | undefined): boolean {
  if (argv1 === undefined) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(argv1);
  } catch {
    return false;
  }
}

/** Prints a usage error: text on stderr, and with --json also a JSON error document on stdout. */
function reportUsageError(err: UsageError, argv: readonly string[], io: CliIo): void {
  io.stderr.write(`error: ${err.message}\nRun with --help for the options.\n`);
  if (argv.some((a) => a === '--json' || a.startsWith('--json='))) {
    const document = {
      status: 'REFUSED',
      exitCode: 2,
      error: {
        name: err.name,
        message: err.message,
        ...(err.issues.length > 0 ? { issues: err.issues } : {}),
      },
    };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const run = command === undefined ? undefined : COMMANDS[command];
    if (!run) {
      throw new UsageError(
        `unknown command "${command ?? ''}" (expected ${Object.keys(COMMANDS).join(' or ')})${didYouMean(command ?? '', Object.keys(COMMANDS))}`,
      );
    }
    return await run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      reportUsageError(err, rest, io);
      return 2;
    }
    throw err;
  }
}

if (isMainModule(import.meta.url, process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      // An interrupted run leaves its execution going in the background: end the process now.
      if (code === EXIT_INTERRUPTED) process.exit(code);
      process.exitCode = code;
    },
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
