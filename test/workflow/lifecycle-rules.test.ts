/**
 * The rules of inspect-connection, on their own (pure): how a found connection is assessed (status and drift),
 * what a delete asks the cleanup to delete, and what a repair removes, keeps or refuses. fast-check generates
 * the connections: every combination of the two sides' states and ownership.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AtlasEndpointView, LinkView } from '../../lambdas/atlas/endpoint-kind.ts';
import type { VpcEndpointView } from '../../lambdas/aws/vpc-endpoints.ts';
import type { EndpointKind, NormalizedAtlasStatus } from '../../lambdas/core/state.ts';
import {
  assess,
  deletionOf,
  type FoundConnection,
  repairOf,
  reportOf,
} from '../../lambdas/workflow/operations/inspect.ts';

const SEED = Number(process.env.FC_SEED ?? 20261203);
const VPCE = 'vpce-0123456789abcdef0';
const ATLAS = '6b0a981073d245e5d74474f9';

const VPCE_STATES = [
  'pending',
  'pendingAcceptance',
  'available',
  'deleting',
  'deleted',
  'rejected',
  'failed',
  'expired',
];
const ATLAS_STATUSES: NormalizedAtlasStatus[] = [
  'pending',
  'ready-for-vpc-endpoint',
  'linking',
  'available',
  'failed',
  'deleting',
  'gone',
];
const LINK_STATUSES: NormalizedAtlasStatus[] = ['linking', 'available', 'failed', 'deleting', 'gone'];
const GONE = new Set(['deleting', 'deleted']);
const DEAD = new Set(['rejected', 'failed', 'expired']);

const foundConnection: fc.Arbitrary<FoundConnection> = fc
  .record({
    kind: fc.constantFrom<EndpointKind>('serverless', 'dedicated'),
    vpce: fc.option(fc.record({ state: fc.constantFrom(...VPCE_STATES), owned: fc.boolean() }), {
      nil: undefined,
    }),
    atlas: fc.option(
      fc.record({ status: fc.constantFrom(...ATLAS_STATUSES), owned: fc.boolean(), linksVpce: fc.boolean() }),
      { nil: undefined },
    ),
    link: fc.constantFrom(...LINK_STATUSES),
    connection: fc.boolean(),
    deploymentState: fc.constantFrom('IDLE', 'UPDATING'),
    pendingRegion: fc.boolean(),
    tagProblems: fc.boolean(),
    others: fc.boolean(),
  })
  .map((g): FoundConnection => {
    const vpce: VpcEndpointView | undefined =
      g.vpce === undefined
        ? undefined
        : {
            vpcEndpointId: VPCE,
            state: g.vpce.state,
            serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
            vpcId: 'vpc-0a1b2c3d4e5f60718',
            vpcEndpointType: 'Interface',
            subnetIds: [],
            securityGroupIds: [],
            privateDnsEnabled: false,
            dnsEntries: [],
            tags: {},
          };
    const atlasLive = g.atlas !== undefined && g.atlas.status !== 'gone' && g.atlas.status !== 'deleting';
    const linked = [
      ...(g.atlas?.linksVpce && vpce ? [VPCE] : []),
      ...(g.others && g.kind === 'dedicated' ? ['vpce-0fedcba9876543210'] : []),
    ];
    const atlas: AtlasEndpointView | undefined =
      g.atlas === undefined
        ? undefined
        : {
            id: ATLAS,
            status: g.atlas.status,
            atlasStatus: g.atlas.status.toUpperCase(),
            endpointServiceName: null,
            errorMessage: null,
            linkedVpcEndpointIds: g.atlas.status === 'gone' ? [] : linked,
            carriesMarker: false,
          };
    const link: LinkView | undefined =
      vpce !== undefined && atlasLive
        ? g.atlas!.linksVpce
          ? { status: g.link, atlasStatus: g.link.toUpperCase(), errorMessage: null }
          : { status: 'gone', atlasStatus: 'DELETED', errorMessage: null }
        : undefined;
    const connection =
      link?.status === 'available'
        ? g.connection
          ? { srvConnectionString: 'mongodb+srv://x' }
          : null
        : undefined;
    const vpceOwned = g.vpce?.owned ?? false;
    return {
      request: {
        kind: g.kind,
        groupId: '5f7cac1adf5d6c6306f4b283',
        instanceName: 'orders',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetIds: [],
        securityGroupIds: [],
        region: 'us-east-1',
        privateDnsEnabled: false,
        tags: {},
        requestId: 'r-1',
        rollbackOnFailure: false,
        action: 'check',
      },
      vpce,
      vpceOwned,
      atlas,
      atlasOwned: g.atlas?.owned ?? false,
      link,
      connection,
      ...(connection === undefined ? {} : { deploymentState: g.deploymentState }),
      pendingRegions:
        connection === null && g.deploymentState === 'IDLE' && g.pendingRegion ? ['US_WEST_2'] : [],
      otherLinks: linked.filter((id) => id !== VPCE),
      refused:
        vpce !== undefined && !vpceOwned ? [{ type: 'vpc-endpoint', id: VPCE, reason: 'not tagged' }] : [],
      tagProblems: g.tagProblems && vpceOwned && vpce && !GONE.has(vpce.state) ? ['team is missing'] : [],
    };
  });

describe('assess', () => {
  it('HEALTHY exactly when nothing drifted and the VPC endpoint, the link and the connection string are all there', () => {
    fc.assert(
      fc.property(foundConnection, (found) => {
        const { status, drift } = assess(found);
        const whole =
          found.vpce?.state === 'available' && found.link?.status === 'available' && found.connection != null;
        expect(status === 'HEALTHY').toBe(drift.length === 0 && whole);
        expect(status === 'ABSENT').toBe(drift.length === 1 && drift[0]!.kind === 'connection-missing');
        if (status === 'PENDING') expect(drift).toEqual([]);
        if (status === 'DRIFTED') expect(drift.length).toBeGreaterThan(0);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('names each broken side: a dead VPC endpoint, a failed Atlas side, a gone one, a missing string, changed tags', () => {
    fc.assert(
      fc.property(foundConnection, (found) => {
        const { status, drift } = assess(found);
        if (status === 'ABSENT') return;
        const kinds = new Set(drift.map((d) => d.kind));
        if (found.vpce && DEAD.has(found.vpce.state)) expect(kinds.has('vpc-endpoint-rejected')).toBe(true);
        if (found.vpce && GONE.has(found.vpce.state)) expect(kinds.has('vpc-endpoint-deleted')).toBe(true);
        if (found.atlas?.status === 'failed') expect(kinds.has('atlas-failed')).toBe(true);
        if (found.atlas?.status === 'gone') expect(kinds.has('atlas-gone')).toBe(true);
        if (found.vpce && !found.vpceOwned) expect(kinds.has('tags-changed')).toBe(true);
        if (found.tagProblems.length > 0) expect(kinds.has('tags-changed')).toBe(true);
        // Missing only once Atlas is done applying the change and no other region is waited for.
        const applied = found.deploymentState === 'IDLE' && found.pendingRegions.length === 0;
        if (
          found.vpce?.state === 'available' &&
          found.link?.status === 'available' &&
          found.connection === null
        ) {
          expect(kinds.has('connection-string-missing')).toBe(applied);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('the report carries the status, the drift and each side with its ownership', () => {
    fc.assert(
      fc.property(foundConnection, (found) => {
        const report = reportOf(found);
        expect(report.healthy).toBe(report.status === 'HEALTHY');
        expect(report.vpcEndpoint?.owned ?? null).toBe(found.vpce ? found.vpceOwned : null);
        expect(report.atlas?.owned ?? null).toBe(found.atlas ? found.atlasOwned : null);
        expect(report.repaired).toBe(false);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('what a delete and a repair may touch', () => {
  it('a delete marks for deletion only what belongs to the connection', () => {
    fc.assert(
      fc.property(foundConnection, (found) => {
        const removal = deletionOf(found);
        if (removal.vpcEndpoint?.created) expect(found.vpceOwned).toBe(true);
        if (removal.atlas?.created) expect(found.atlasOwned).toBe(true);
        if (removal.link?.created) expect(found.vpceOwned && found.request.kind === 'dedicated').toBe(true);
        if (found.vpce && found.vpceOwned) expect(removal.vpcEndpoint?.created).toBe(true);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('a repair removes only owned broken parts, refuses the rest (then removes nothing), and never keeps what it removes', () => {
    fc.assert(
      fc.property(foundConnection, (found) => {
        const { drift } = assess(found);
        const { removal, plan, blockers } = repairOf(found, drift);
        if (removal.vpcEndpoint?.created) expect(found.vpceOwned).toBe(true);
        if (removal.atlas?.created) expect(found.atlasOwned).toBe(true);
        if (removal.link?.created) expect(found.vpceOwned).toBe(true);
        for (const b of blockers) {
          const notOwned = b.type === 'vpc-endpoint' ? !found.vpceOwned : !found.atlasOwned;
          expect(notOwned).toBe(true);
        }
        if (removal.vpcEndpoint?.created) expect(plan.keepVpcEndpoint).toBe(false);
        if (removal.atlas?.created) expect(plan.keepAtlas).toBe(false);
        // A kept VPC endpoint is live and the connection's.
        if (plan.keepVpcEndpoint) {
          expect(found.vpceOwned).toBe(true);
          expect(GONE.has(found.vpce!.state) || DEAD.has(found.vpce!.state)).toBe(false);
        }
        // A dead VPC endpoint of the connection is always removed (or the repair is refused).
        if (found.vpce && DEAD.has(found.vpce.state)) {
          expect(removal.vpcEndpoint?.created === true || blockers.length > 0).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});
