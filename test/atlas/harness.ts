/**
 * The simulated world (Atlas + EC2 fronts on loopback, frozen virtual clock, `instant` timeline; every
 * Atlas answer checked against the OpenAPI subset) with the production Atlas client pointed at it. Waits between retries advance the virtual clock instead of
 * sleeping, and are recorded, so retry tests take milliseconds and can assert the delays.
 */
import { CreateVpcEndpointCommand, EC2Client } from '@aws-sdk/client-ec2';
import { expect } from 'vitest';
import {
  ApiKeyCredentials,
  type AtlasCredentials,
  resetAtlasAuthCaches,
  ServiceAccountCredentials,
} from '../../lambdas/atlas/auth.ts';
import { type AtlasClient, type AtlasClientOptions, createAtlasClient } from '../../lambdas/atlas/client.ts';
import type { EndpointKindClient, EndpointTarget } from '../../lambdas/atlas/endpoint-kind.ts';
import { endpointKindClient } from '../../lambdas/atlas/kinds.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import type { RunningWorld, StartWorldOptions } from '../../local/cloud/index.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';

export type AuthMethod = 'service-account' | 'api-key';
export const AUTH_METHODS: readonly AuthMethod[] = ['service-account', 'api-key'];
export const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];

export interface AtlasHarness {
  readonly running: TestWorld;
  readonly world: RunningWorld['world'];
  readonly demo: RunningWorld['world']['demo'];
  /** Every wait the clients asked for (ms), in order. */
  readonly sleeps: number[];
  credentials(method: AuthMethod): AtlasCredentials;
  /** A client with test defaults: virtual clock, recorded instant sleeps, fixed jitter, 2 s timeout. */
  client(method: AuthMethod, overrides?: Partial<AtlasClientOptions>): AtlasClient;
  kind(kind: EndpointKind, method: AuthMethod, overrides?: Partial<AtlasClientOptions>): EndpointKindClient;
  target(kind: EndpointKind, comment?: string): EndpointTarget;
  /** Creates an interface VPC endpoint in the AWS model through the EC2 front; returns its id. */
  createVpcEndpoint(serviceName: string): Promise<string>;
  /** Moves the virtual clock (lets the instant timeline's transitions run). */
  tick(ms?: number): void;
  /** Operation names of the Atlas request log, with status, e.g. `getCluster 200`. */
  calls(): string[];
  /** Closes the world and fails the test if any Atlas answer broke the OpenAPI contract. */
  close(): Promise<void>;
}

export async function startAtlasHarness(options: StartWorldOptions = {}): Promise<AtlasHarness> {
  resetAtlasAuthCaches();
  const running = await startTestWorld({ preset: 'instant', timeScale: 0, ...options });
  const { world } = running;
  const sleeps: number[] = [];
  const ec2 = new EC2Client({
    endpoint: running.ec2Url,
    region: DEMO_AWS.region,
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
  });
  const credentials = (method: AuthMethod): AtlasCredentials =>
    method === 'service-account'
      ? new ServiceAccountCredentials(
          world.demo.serviceAccount.clientId,
          world.demo.serviceAccount.clientSecret,
        )
      : new ApiKeyCredentials(world.demo.apiKey.publicKey, world.demo.apiKey.privateKey);
  const client = (method: AuthMethod, overrides: Partial<AtlasClientOptions> = {}): AtlasClient =>
    createAtlasClient({
      baseUrl: running.atlasUrl,
      auth: credentials(method),
      now: () => world.clock.now(),
      sleep: async (ms) => {
        sleeps.push(ms);
        world.clock.advance(ms);
      },
      random: () => 0.5,
      timeoutMs: 2000,
      ...overrides,
    });
  return {
    running,
    world,
    demo: world.demo,
    sleeps,
    credentials,
    client,
    kind: (kind, method, overrides) => endpointKindClient(kind, client(method, overrides)),
    target: (kind, comment) => ({
      groupId: world.demo.groupId,
      instanceName: kind === 'serverless' ? world.demo.serverlessInstanceName : world.demo.clusterName,
      region: world.demo.awsRegion,
      ...(comment === undefined ? {} : { comment }),
    }),
    async createVpcEndpoint(serviceName) {
      const out = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: world.demo.vpcId,
          ServiceName: serviceName,
          SubnetIds: [...world.demo.subnetIds],
          SecurityGroupIds: [...world.demo.securityGroupIds],
        }),
      );
      const id = out.VpcEndpoint?.VpcEndpointId;
      if (!id) throw new Error('CreateVpcEndpoint returned no id');
      world.clock.advance(1);
      return id;
    },
    tick: (ms = 1000) => world.clock.advance(ms),
    calls: () =>
      world.log.entries.filter((e) => e.service === 'atlas').map((e) => `${e.operation} ${e.status}`),
    close: async () => {
      ec2.destroy();
      await running.close();
      expect(running.contractViolations()).toEqual([]);
    },
  };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function thrown(
  fn: () => Promise<unknown>,
): Promise<Error & { details: Record<string, unknown> }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { details: Record<string, unknown> };
  }
  throw new Error('expected the call to throw');
}
