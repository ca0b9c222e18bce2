/**
 * Helpers for the delete / check / repair / audit scenarios: run an action through the local engine, and read
 * what the world holds of one connection.
 */
import { expect } from 'vitest';
import type { EndpointKind, WorkflowOutput } from '../../lambdas/core/state.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import type { CheckOutput, DeleteOutput } from '../../lambdas/workflow/lifecycle.ts';
import type { LocalRunResult } from '../../local/engine.ts';
import { causeText, live, requestFor, run, type TestWorld } from './harness.ts';

let executions = 0;

/** A fresh execution name (each action runs under its own, as it would from the console or EventBridge). */
export function nextName(prefix: string): string {
  executions += 1;
  return `${prefix}-${executions}`;
}

/** Creates the kind's demo connection; returns the create's output. */
export async function createConnection(
  w: TestWorld,
  kind: EndpointKind,
  extra: Record<string, unknown> = {},
): Promise<WorkflowOutput> {
  const result = await run(w, requestFor(kind, w, { tags: { team: 'orders' }, ...extra }), {
    executionName: nextName('create'),
  });
  expect(result.status, causeText(result)).toBe('SUCCEEDED');
  return result.output as WorkflowOutput;
}

export async function runAction(
  w: TestWorld,
  input: Record<string, unknown>,
  prefix: string = String(input.action ?? 'run'),
): Promise<LocalRunResult> {
  return run(w, input, { executionName: nextName(prefix) });
}

export function checkOutput(result: LocalRunResult): CheckOutput {
  expect(result.status, causeText(result)).toBe('SUCCEEDED');
  return result.output as CheckOutput;
}

export function deleteOutput(result: LocalRunResult): DeleteOutput {
  expect(result.status, causeText(result)).toBe('SUCCEEDED');
  expect(result.events.map((e) => e.detailType)).toEqual([DetailTypes.Deleted]);
  const output = result.output as DeleteOutput;
  expect((result.events[0]!.detail as { output: unknown }).output).toEqual(output);
  return output;
}

/** The drift events a run published. */
export function driftEvents(result: LocalRunResult): CheckOutput[] {
  return result.events
    .filter((e) => e.detailType === DetailTypes.DriftDetected)
    .map((e) => (e.detail as { report: CheckOutput }).report);
}

/** What the world holds that belongs to the connection of `kind` (its instance or cluster, its VPC). */
export function heldBy(w: TestWorld, kind: EndpointKind, vpcId: string = w.world.demo.vpcId) {
  const inv = live(w);
  const instance = kind === 'serverless' ? w.world.demo.serverlessInstanceName : w.world.demo.clusterName;
  const vpcEndpoints = inv.vpcEndpoints.filter(
    (v) => v.vpcId === vpcId && v.tags['atlas-private-endpoint-workflow:atlas-instance-name'] === instance,
  );
  // The demo project has one cluster: every endpoint service (and its interface endpoints) serves it.
  return {
    vpcEndpoints,
    serverlessEndpoints: inv.serverlessEndpoints.filter((e) => e.instanceName === instance),
    endpointServices: kind === 'dedicated' ? inv.endpointServices : [],
    interfaceEndpoints: kind === 'dedicated' ? inv.interfaceEndpoints : [],
  };
}

/** Asserts the world holds nothing at all (both sides, every resource type). */
export function expectWorldEmpty(w: TestWorld): void {
  const inv = live(w);
  expect(
    {
      serverlessEndpoints: inv.serverlessEndpoints,
      endpointServices: inv.endpointServices,
      interfaceEndpoints: inv.interfaceEndpoints,
      vpcEndpoints: inv.vpcEndpoints.map((v) => [v.id, v.state]),
    },
    'the world should hold nothing',
  ).toEqual({ serverlessEndpoints: [], endpointServices: [], interfaceEndpoints: [], vpcEndpoints: [] });
}

/**
 * Asserts the world holds exactly one healthy connection of the kind: an AVAILABLE Atlas side and link and an
 * available VPC endpoint, nothing else of it.
 */
export function expectOneHealthyConnection(w: TestWorld, kind: EndpointKind): void {
  const held = heldBy(w, kind);
  expect(held.vpcEndpoints.map((v) => v.state)).toEqual(['available']);
  if (kind === 'serverless') {
    expect(held.serverlessEndpoints.map((e) => e.status)).toEqual(['AVAILABLE']);
  } else {
    expect(held.endpointServices.map((s) => s.status)).toEqual(['AVAILABLE']);
    expect(held.interfaceEndpoints.map((e) => e.connectionStatus)).toEqual(['AVAILABLE']);
  }
}
