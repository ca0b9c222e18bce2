/**
 * `startTestWorld()`: the simulated world for tests, with every Atlas response checked against the OpenAPI
 * subset. Each test file asserts `contractViolations()` is empty in afterAll. Per-operation counts of checked
 * responses are also added to a per-process JSON file in this `vitest run`'s folder under os.tmpdir() (see
 * `contract-runs.ts`), which `contract-report.ts` sums for the latest run.
 */
import { afterAll, afterEach, expect, inject } from 'vitest';
import { type RunningWorld, type StartWorldOptions, startWorld } from '../../local/cloud/index.ts';
import { type AtlasContract, loadContract, type ResponseInfo, type Verdict } from './contract.ts';
import { addRunCounts, CONTRACT_REPORT_DIR } from './contract-runs.ts';

export { CONTRACT_REPORT_DIR };

export interface ContractViolation {
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly errors: readonly string[];
}

export interface TestWorld extends RunningWorld {
  /** Responses that broke the contract (should be empty). */
  contractViolations(): ContractViolation[];
  /** Checked responses per `operation status verdict`, e.g. `getPrivateEndpoint 200 valid`. */
  contractCounts(): Record<string, number>;
  /** False when the spec file is absent and validation is skipped. */
  readonly contractEnabled: boolean;
}

let contract: AtlasContract | undefined;
let contractLoaded = false;

function getContract(): AtlasContract | undefined {
  if (!contractLoaded) {
    contract = loadContract();
    contractLoaded = true;
  }
  return contract;
}

/** The run id the globalSetup provided; counts of a run without one go to a folder no report reads. */
function contractRunId(): string {
  try {
    return inject('contractRunId') ?? 'unkeyed';
  } catch {
    return 'unkeyed';
  }
}

/** Adds `delta` to this process's file of this run. */
function appendToReport(delta: Record<string, number>, violations: number): void {
  if (Object.keys(delta).length === 0 && violations === 0) return;
  try {
    addRunCounts(contractRunId(), delta, violations);
  } catch (err) {
    console.warn(`[contract] could not write the contract report: ${(err as Error).message}`);
  }
}

export async function startTestWorld(options: StartWorldOptions = {}): Promise<TestWorld> {
  const validator = getContract();
  const counts: Record<string, number> = {};
  const violations: ContractViolation[] = [];
  const record = (info: ResponseInfo, verdict: Verdict, errors: readonly string[]) => {
    const key = `${info.operation} ${info.status} ${verdict}`;
    counts[key] = (counts[key] ?? 0) + 1;
    if (verdict === 'invalid') {
      violations.push({
        operation: info.operation,
        method: info.method,
        path: info.path,
        status: info.status,
        errors,
      });
    }
  };
  let reported = false;
  const userHook = options.onAtlasResponse;
  const running = await startWorld({
    timeScale: 0,
    preset: 'instant',
    ...options,
    onAtlasResponse: (info) => {
      if (validator) {
        const result = validator.validate(info);
        record(info, result.verdict, result.errors);
      }
      userHook?.(info);
    },
  });
  return {
    ...running,
    contractEnabled: validator !== undefined,
    contractViolations: () => [...violations],
    contractCounts: () => ({ ...counts }),
    close: async () => {
      await running.close();
      if (reported) return;
      reported = true;
      appendToReport(counts, violations.length);
    },
  };
}

/**
 * For one test file: returns a `startTestWorld` whose worlds are closed after each test, and checks after
 * the file that none of them answered outside the contract. Call it at the top level of the file.
 */
export function useTestWorlds(): (options?: StartWorldOptions) => Promise<TestWorld> {
  const worlds: TestWorld[] = [];
  const violations: ContractViolation[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) {
      violations.push(...w.contractViolations());
      await w.close();
    }
  });
  afterAll(() => {
    expect(violations).toEqual([]);
  });
  return async (options = {}) => {
    const w = await startTestWorld(options);
    worlds.push(w);
    return w;
  };
}
