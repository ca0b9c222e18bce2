/**
 * Extra targets for a world: projects, serverless instances, dedicated clusters, and a VPC (two subnets in
 * two Availability Zones, one security group) per target, built with the models' own seeding APIs. The demo
 * setup of `World` is left as it is; scale tests and `npm run bench` add what they need on top.
 *
 * Layout: every dedicated cluster gets a project of its own (Atlas has one endpoint service per project and
 * region, so dedicated targets in one project would share, and race for, one service); serverless instances
 * are grouped `serverlessPerProject` to a project. All projects belong to the demo organization, so the demo
 * credentials can reach them. Ids are derived from the index, so a world built twice gets the same ids.
 */
import { awsToAtlasRegion } from './atlas-model.ts';
import type { World } from './world.ts';

export interface FixtureTarget {
  readonly kind: 'serverless' | 'dedicated';
  readonly groupId: string;
  readonly instanceName: string;
  readonly region: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

export interface FixtureOptions {
  readonly serverless?: number;
  readonly dedicated?: number;
  /** @default 10 */
  readonly serverlessPerProject?: number;
  /** Prefix of project, instance and cluster names, so two calls on one world do not collide. @default 'fx' */
  readonly prefix?: string;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** Adds the targets to `world` and returns one request-shaped record per target (the `kind` named). */
export function addTargets(world: World, options: FixtureOptions): FixtureTarget[] {
  const serverless = options.serverless ?? 0;
  const dedicated = options.dedicated ?? 0;
  const perProject = Math.max(1, options.serverlessPerProject ?? 10);
  const prefix = options.prefix ?? 'fx';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix)) throw new Error(`addTargets: bad prefix ${prefix}`);
  const seed = [...prefix].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) & 0xffff;
  const region = world.aws.region;
  const regionName = awsToAtlasRegion(region);
  if (!regionName) throw new Error(`addTargets: the AWS model's region ${region} is not an Atlas region`);
  const targets: FixtureTarget[] = [];
  let networks = 0;

  const network = () => {
    const n = networks++;
    const id = `${hex(seed, 4)}${hex(n, 6)}${'0'.repeat(7)}`; // 17 hex
    const vpcId = `vpc-${id}`;
    world.aws.addVpc({ id: vpcId, cidrBlock: `10.${n % 256}.0.0/16`, tags: { Name: `${prefix}-${n}` } });
    const subnetIds = ['a', 'b'].map((az, i) => {
      const subnetId = `subnet-${id.slice(0, 16)}${i}`;
      world.aws.addSubnet({
        id: subnetId,
        vpcId,
        cidrBlock: `10.${n % 256}.${i + 1}.0/24`,
        availabilityZone: `${region}${az}`,
      });
      return subnetId;
    });
    const sgId = `sg-${id}`;
    world.aws.addSecurityGroup({ id: sgId, vpcId, name: 'default' });
    return { region, vpcId, subnetIds, securityGroupIds: [sgId] };
  };

  const project = (name: string) =>
    world.atlas.addProject({ name: `${prefix}-${name}`, orgId: world.demo.orgId }).id;

  let groupId = '';
  for (let i = 0; i < serverless; i++) {
    if (i % perProject === 0) groupId = project(`serverless-${i / perProject}`);
    const instanceName = `${prefix}-sl-${i}`;
    world.atlas.addServerlessInstance({ groupId, name: instanceName, regionName });
    targets.push({ kind: 'serverless', groupId, instanceName, ...network() });
  }
  for (let i = 0; i < dedicated; i++) {
    const clusterGroup = project(`dedicated-${i}`);
    const instanceName = `${prefix}-dc-${i}`;
    world.atlas.addCluster({ groupId: clusterGroup, name: instanceName, regionName });
    targets.push({ kind: 'dedicated', groupId: clusterGroup, instanceName, ...network() });
  }
  return targets;
}
