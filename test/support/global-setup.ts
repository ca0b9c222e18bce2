/**
 * vitest globalSetup: starts a contract-report run (see `contract-runs.ts`) and hands its id to the test
 * processes, so the counts they write belong to this run only.
 */
import type { TestProject } from 'vitest/node';
import { startContractRun } from './contract-runs.ts';

export default function setup(project: TestProject): void {
  project.provide('contractRunId', startContractRun());
}
