/**
 * `npm run simulator`: the simulated world on loopback until Ctrl-C, for runs of `npm start -- --atlas-url`
 * from another terminal (or any other Atlas / EC2 client).
 *
 * It publishes itself at `GET <atlas url>/__simulator` (its time scale, timeline preset, fault plan and
 * inventory; never a credential): `npm start -- --atlas-url` reads the time scale from there, so the
 * workflow's waits always run at the simulator's pace.
 */
import { SHARED_TOKEN_KEY_PREFIX } from '../../lambdas/core/leases.ts';
import type { Inventory } from '../cloud/world.ts';
import type { CliIo } from './io.ts';
import {
  numberOption,
  type OptionSpec,
  optionsHelp,
  parseOptions,
  portOption,
  UsageError,
} from './options.ts';
import { faultPlan, PRESET_HELP, presetOption } from './world-options.ts';

/** Default pace of a standalone simulator: a realistic five-minute provisioning takes five real seconds. */
export const SIMULATOR_DEFAULT_TIME_SCALE = 60;

/** The document at /__simulator. */
export interface SimulatorInfo {
  readonly simulator: 'atlas-private-endpoint-workflow';
  /** Virtual seconds per real second. */
  readonly timeScale: number;
  readonly preset: string;
  readonly fault: string | null;
  readonly serverlessRetired: boolean;
  readonly virtualTime: string;
  readonly ec2Url: string;
  readonly awsRegion: string;
  readonly inventory: Inventory;
}

export function isSimulatorInfo(value: unknown): value is SimulatorInfo {
  const v = value as Partial<SimulatorInfo> | null;
  return (
    !!v &&
    v.simulator === 'atlas-private-endpoint-workflow' &&
    typeof v.timeScale === 'number' &&
    Number.isFinite(v.timeScale) &&
    v.timeScale > 0
  );
}

export const SIMULATOR_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'port',
    type: 'string',
    value: '<n>',
    help: 'Atlas front port (default: 8090); EC2 listens on the next port unless --ec2-port',
  },
  { name: 'ec2-port', type: 'string', value: '<n>', help: 'EC2 front port' },
  {
    name: 'preset',
    type: 'string',
    value: '<instant|realistic|slow>',
    help: `${PRESET_HELP} (default: realistic)`,
  },
  {
    name: 'time-scale',
    type: 'string',
    value: '<n>',
    help: `virtual seconds per real second, > 0 (default: ${SIMULATOR_DEFAULT_TIME_SCALE}); npm start -- --atlas-url reads it from the simulator`,
  },
  {
    name: 'fault',
    type: 'string',
    value: '<name>',
    help: 'inject a named fault plan (see npm start -- --list-faults)',
  },
  {
    name: 'retired',
    type: 'boolean',
    help: 'answer 410 VERSION_GONE on the retired serverless private endpoint API (the documented rule; not observed)',
  },
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
];

export const SIMULATOR_HELP = `Usage: npm run simulator -- [options]

Starts the simulated Atlas Admin API and EC2 on loopback and runs until stopped (Ctrl-C).

Options:
${optionsHelp(SIMULATOR_OPTIONS)}

Exit codes: 0 stopped with Ctrl-C, 2 bad options or a port already taken.`;

function say(io: CliIo, line = ''): void {
  io.stdout.write(`${line}\n`);
}

export async function simulatorCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(argv, SIMULATOR_OPTIONS);
  if (values.help) {
    say(io, SIMULATOR_HELP);
    return 0;
  }
  const atlasPort = portOption('port', values.port) ?? 8090;
  const ec2Port = portOption('ec2-port', values['ec2-port']) ?? (atlasPort === 0 ? 0 : atlasPort + 1);
  const preset = presetOption(values.preset);
  const timeScale = numberOption('time-scale', values['time-scale'], SIMULATOR_DEFAULT_TIME_SCALE, {
    min: 0,
    exclusiveMin: true,
  });
  const faultName = typeof values.fault === 'string' ? values.fault : undefined;
  const plan = faultName === undefined ? undefined : await faultPlan(faultName);
  const { startWorld } = await import('../cloud/index.ts');
  const { DEMO_AWS } = await import('../cloud/aws-model.ts');

  let running: Awaited<ReturnType<typeof startWorld>>;
  const info = (): SimulatorInfo => ({
    simulator: 'atlas-private-endpoint-workflow',
    timeScale,
    preset,
    fault: faultName ?? null,
    serverlessRetired: values.retired === true,
    virtualTime: running.world.clock.iso(),
    ec2Url: running.ec2Url,
    awsRegion: running.world.demo.awsRegion,
    inventory: withoutSharedToken(running.world.inventory()),
  });
  try {
    running = await startWorld({
      preset,
      timeScale,
      faults: plan?.rules ?? [],
      serverlessRetired: values.retired === true,
      atlasPort,
      ec2Port,
      // The lease table's DynamoDB, next to EC2.
      dynamodbPort: ec2Port === 0 ? 0 : ec2Port + 1,
      describe: () => info(),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      const port = e.port ?? atlasPort;
      const which = port === atlasPort ? '--port' : '--ec2-port';
      throw new UsageError(
        e.code === 'EADDRINUSE'
          ? `port ${port} is already taken (is another simulator running?); choose another with ${which} <n>, e.g. ${which} ${port + 10}`
          : `port ${port} may not be used by this user; choose another with ${which} <n> (above 1023)`,
      );
    }
    throw err;
  }

  const d = running.world.demo;
  say(io, `Simulated Atlas Admin API: ${running.atlasUrl}/api/atlas/v2`);
  say(io, `Simulated EC2:             ${running.ec2Url}`);
  say(io, `Simulated DynamoDB:        ${running.dynamodbUrl}`);
  say(
    io,
    `Preset ${preset}, time scale ${timeScale} (${timeScale} virtual seconds per real second)${faultName ? `, fault ${faultName}` : ''}${values.retired ? ', serverless API retired' : ''}`,
  );
  say(io);
  say(
    io,
    `Demo project ${d.groupId}: serverless instance "${d.serverlessInstanceName}", cluster "${d.clusterName}"`,
  );
  say(
    io,
    `Demo VPC ${d.vpcId} in ${d.awsRegion}, subnets ${d.subnetIds.join(', ')}, security group ${d.securityGroupIds.join(', ')}`,
  );
  say(io);
  say(io, 'Demo credentials (simulator only):');
  say(io, `  service account: MONGODB_ATLAS_CLIENT_ID=${d.serviceAccount.clientId}`);
  say(io, `                   MONGODB_ATLAS_CLIENT_SECRET=${d.serviceAccount.clientSecret}`);
  say(io, `  API key:         MONGODB_ATLAS_PUBLIC_KEY=${d.apiKey.publicKey}`);
  say(io, `                   MONGODB_ATLAS_PRIVATE_KEY=${d.apiKey.privateKey}`);
  say(
    io,
    `  AWS:             AWS_ACCESS_KEY_ID=${DEMO_AWS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_AWS.secretAccessKey}`,
  );
  say(io);
  say(io, 'Run the workflow against it from another terminal (the time scale is read from the simulator):');
  say(
    io,
    `  MONGODB_ATLAS_CLIENT_ID=${d.serviceAccount.clientId} MONGODB_ATLAS_CLIENT_SECRET=${d.serviceAccount.clientSecret} \\\n` +
      `  AWS_ENDPOINT_URL_EC2=${running.ec2Url} AWS_ENDPOINT_URL_DYNAMODB=${running.dynamodbUrl} AWS_REGION=${d.awsRegion} AWS_ACCESS_KEY_ID=${DEMO_AWS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_AWS.secretAccessKey} \\\n` +
      `  npm start -- --atlas-url ${running.atlasUrl}`,
  );
  say(io);
  say(io, 'Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

/**
 * The inventory the info page shows, without the deployment's shared Atlas token: it is sealed in the lease
 * table, but a credential all the same, and the page holds none.
 */
export function withoutSharedToken(inventory: Inventory): Inventory {
  const isToken = (item: Record<string, unknown>) =>
    (item.pk as { S?: string } | undefined)?.S?.startsWith(SHARED_TOKEN_KEY_PREFIX) === true;
  return {
    ...inventory,
    dynamodb: Object.fromEntries(
      Object.entries(inventory.dynamodb).map(([table, items]) => [table, items.filter((i) => !isToken(i))]),
    ),
  };
}
