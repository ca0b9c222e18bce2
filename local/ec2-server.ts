/**
 * HTTP front of the AWS model, speaking the EC2 Query protocol the AWS SDK uses:
 * POST / with a form-encoded body `Action=…&Version=2016-11-15&…` (query-string parameters are read too),
 * signed with SigV4. Answers are XML: `<{Action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">`
 * with `<requestId>` and the result members (lists as `<item>` elements, booleans lowercase), or
 * `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>` with EC2's status.
 * Element names follow the EC2 model's `ec2QueryName`/`xmlName` traits, so `@aws-sdk/client-ec2` parses
 * every answer.
 *
 * Request handling order: clock.settle() -> SigV4 check (unknown key 401 AuthFailure, bad signature 403
 * SignatureDoesNotMatch; the timestamp is not checked against the virtual clock) -> Action known?
 * -> fault plan (by Action name) -> token-bucket throttle -> DryRun -> the model operation.
 * Every answered request is recorded in the RequestLog (dropped connections with status 0). A
 * `drop-after-commit` fault lets the action run, records the status its answer would have had, and then
 * destroys the socket (the answer is lost after EC2 acted).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isSupportedAwsRegion } from '../lambdas/core/regions.ts';
import {
  type AwsModel,
  EC2_ACTIONS,
  type Ec2Action,
  Ec2Error,
  type Ec2Filter,
  ec2ErrorStatus,
  type SecurityGroupRecord,
  type SubnetRecord,
  type TagSpecificationInput,
  type VpcEndpointRecord,
  type VpcRecord,
} from './cloud/aws-model.ts';
import type { VirtualClock } from './cloud/clock.ts';
import type { FaultEffect, FaultPlan } from './cloud/faults.ts';
import type { RequestLog } from './cloud/request-log.ts';
import { verifySigV4 } from './sigv4.ts';

export interface HttpFront {
  readonly url: string;
  close(): Promise<void>;
}

export interface Ec2ServerOptions {
  /** The account requests go to unless their access key belongs to one of `otherAccounts`. */
  readonly model: AwsModel;
  /**
   * Further accounts behind the same endpoint (hub and spoke): a request is served by the account whose
   * credentials signed it, as AWS does. @default none
   */
  readonly otherAccounts?: readonly AwsModel[];
  readonly clock: VirtualClock;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export const EC2_API_VERSION = '2016-11-15';
const XMLNS = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;
const MAX_BODY_BYTES = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------
// XML

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** `<name>value</name>`, or nothing when the value is undefined. */
function leaf(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function node(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

/** A list: `<name><item>…</item>…</name>`, or `<name/>` when empty. */
function list<T>(name: string, items: readonly T[], render: (item: T) => string): string {
  if (items.length === 0) return `<${name}/>`;
  return node(name, items.map((i) => node('item', render(i))).join(''));
}

function strings(name: string, items: readonly string[]): string {
  return list(name, items, escapeXml);
}

function tagSet(tags: Record<string, string>): string {
  return list('tagSet', Object.entries(tags), ([k, v]) => leaf('key', k) + leaf('value', v));
}

function document(action: string, requestId: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}">${leaf('requestId', requestId)}${inner}</${action}Response>`;
}

function errorDocument(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${leaf('Code', code)}${leaf('Message', message)}</Error></Errors>${leaf('RequestID', requestId)}</Response>`;
}

function endpointXml(e: VpcEndpointRecord, model: AwsModel): string {
  return [
    leaf('vpcEndpointId', e.id),
    leaf('vpcEndpointType', e.vpcEndpointType),
    leaf('vpcId', e.vpcId),
    leaf('serviceName', e.serviceName),
    leaf('state', e.state),
    strings('routeTableIdSet', []),
    strings('subnetIdSet', e.subnetIds),
    list(
      'groupSet',
      e.securityGroupIds,
      (id) => leaf('groupId', id) + leaf('groupName', model.getSecurityGroup(id)?.name),
    ),
    leaf('ipAddressType', 'ipv4'),
    node('dnsOptions', leaf('dnsRecordIpType', 'ipv4')),
    leaf('privateDnsEnabled', e.privateDnsEnabled),
    leaf('requesterManaged', false),
    strings('networkInterfaceIdSet', e.networkInterfaceIds),
    list(
      'dnsEntrySet',
      e.dnsEntries,
      (d) => leaf('dnsName', d.dnsName) + leaf('hostedZoneId', d.hostedZoneId),
    ),
    leaf('creationTimestamp', e.creationTimestamp),
    tagSet(e.tags),
    leaf('ownerId', e.ownerId),
    e.lastError
      ? node('lastError', leaf('message', e.lastError.message) + leaf('code', e.lastError.code))
      : '',
    leaf('failureReason', e.failureReason),
  ].join('');
}

function vpcXml(v: VpcRecord): string {
  return [
    leaf('ownerId', v.ownerId),
    leaf('instanceTenancy', v.instanceTenancy),
    list(
      'cidrBlockAssociationSet',
      [v],
      (x) =>
        leaf('associationId', x.cidrBlockAssociationId) +
        leaf('cidrBlock', x.cidrBlock) +
        node('cidrBlockState', leaf('state', 'associated')),
    ),
    leaf('isDefault', v.isDefault),
    tagSet(v.tags),
    leaf('vpcId', v.id),
    leaf('state', v.state),
    leaf('cidrBlock', v.cidrBlock),
    leaf('dhcpOptionsId', v.dhcpOptionsId),
  ].join('');
}

function subnetXml(s: SubnetRecord, region: string): string {
  return [
    leaf('availabilityZoneId', s.availabilityZoneId),
    leaf('ownerId', s.ownerId),
    leaf('assignIpv6AddressOnCreation', false),
    strings('ipv6CidrBlockAssociationSet', []),
    tagSet(s.tags),
    leaf('subnetArn', `arn:aws:ec2:${region}:${s.ownerId}:subnet/${s.id}`),
    leaf('enableDns64', false),
    leaf('ipv6Native', false),
    leaf('subnetId', s.id),
    leaf('state', s.state),
    leaf('vpcId', s.vpcId),
    leaf('cidrBlock', s.cidrBlock),
    leaf('availableIpAddressCount', s.availableIpAddressCount),
    leaf('availabilityZone', s.availabilityZone),
    leaf('defaultForAz', s.defaultForAz),
    leaf('mapPublicIpOnLaunch', s.mapPublicIpOnLaunch),
  ].join('');
}

function securityGroupXml(g: SecurityGroupRecord, region: string): string {
  return [
    leaf('groupId', g.id),
    strings('ipPermissionsEgress', []),
    tagSet(g.tags),
    leaf('vpcId', g.vpcId),
    leaf('securityGroupArn', `arn:aws:ec2:${region}:${g.ownerId}:security-group/${g.id}`),
    leaf('ownerId', g.ownerId),
    leaf('groupName', g.name),
    leaf('groupDescription', g.description),
    strings('ipPermissions', []),
  ].join('');
}

// ---------------------------------------------------------------------------------------------------------
// Query parameters

/** Values of `Prefix.1`, `Prefix.2`, … in index order. */
function indexed(params: URLSearchParams, prefix: string): string[] {
  const found: [number, string][] = [];
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  for (const [key, value] of params) {
    const m = re.exec(key);
    if (m) found.push([Number(m[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

/** Structures `Prefix.N.Member…` grouped by N (in index order), each as member-path -> value. */
function indexedStructs(params: URLSearchParams, prefix: string): Map<string, string>[] {
  const groups = new Map<number, Map<string, string>>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)\\.(.+)$`);
  for (const [key, value] of params) {
    const m = re.exec(key);
    if (!m) continue;
    const n = Number(m[1]);
    const group = groups.get(n) ?? new Map<string, string>();
    group.set(m[2]!, value);
    groups.set(n, group);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
}

/** Member values `Member.1`, `Member.2`, … inside one struct group. */
function memberList(group: Map<string, string>, member: string): string[] {
  return indexed(new URLSearchParams([...group.entries()]), member);
}

function filtersOf(params: URLSearchParams): Ec2Filter[] {
  return indexedStructs(params, 'Filter').map((g) => ({
    name: g.get('Name') ?? '',
    values: memberList(g, 'Value'),
  }));
}

function booleanParam(params: URLSearchParams, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Ec2Error(
    'InvalidParameterValue',
    `Value (${raw}) for parameter ${name} is invalid. Expecting a boolean.`,
  );
}

function integerParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^-?\d+$/.test(raw)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value (${raw}) for parameter ${name} is invalid. Expecting an integer.`,
    );
  }
  return Number(raw);
}

function optional(params: URLSearchParams, name: string): string | undefined {
  return params.get(name) ?? undefined;
}

function page(params: URLSearchParams): { maxResults?: number; nextToken?: string } {
  const maxResults = integerParam(params, 'MaxResults');
  const nextToken = optional(params, 'NextToken');
  return {
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(nextToken !== undefined ? { nextToken } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Actions

type Handler = (params: URLSearchParams, model: AwsModel) => string;

const HANDLERS: Record<Ec2Action, Handler> = {
  CreateVpcEndpoint(params, model) {
    const tagSpecifications: TagSpecificationInput[] = indexedStructs(params, 'TagSpecification').map((g) => {
      const resourceType = g.get('ResourceType');
      const tagGroups = indexedStructs(new URLSearchParams([...g.entries()]), 'Tag');
      return {
        ...(resourceType !== undefined ? { resourceType } : {}),
        tags: tagGroups.map((t) => ({ key: t.get('Key') ?? '', value: t.get('Value') ?? '' })),
      };
    });
    const privateDnsEnabled = booleanParam(params, 'PrivateDnsEnabled');
    const { endpoint, clientToken } = model.createVpcEndpoint({
      vpcId: optional(params, 'VpcId'),
      serviceName: optional(params, 'ServiceName'),
      vpcEndpointType: optional(params, 'VpcEndpointType'),
      subnetIds: indexed(params, 'SubnetId'),
      securityGroupIds: indexed(params, 'SecurityGroupId'),
      routeTableIds: indexed(params, 'RouteTableId'),
      ...(privateDnsEnabled !== undefined ? { privateDnsEnabled } : {}),
      clientToken: optional(params, 'ClientToken'),
      tagSpecifications,
    });
    return node('vpcEndpoint', endpointXml(endpoint, model)) + leaf('clientToken', clientToken);
  },

  CreateTags(params, model) {
    model.createTags({
      resourceIds: indexed(params, 'ResourceId'),
      tags: indexedStructs(params, 'Tag').map((t) => ({
        key: t.get('Key') ?? '',
        value: t.get('Value') ?? '',
      })),
    });
    return leaf('return', 'true');
  },

  DescribeVpcEndpoints(params, model) {
    const result = model.describeVpcEndpoints({
      vpcEndpointIds: indexed(params, 'VpcEndpointId'),
      filters: filtersOf(params),
      ...page(params),
    });
    return (
      list('vpcEndpointSet', result.endpoints, (e) => endpointXml(e, model)) +
      leaf('nextToken', result.nextToken)
    );
  },

  DeleteVpcEndpoints(params, model) {
    const result = model.deleteVpcEndpoints({ vpcEndpointIds: indexed(params, 'VpcEndpointId') });
    return list(
      'unsuccessful',
      result.unsuccessful,
      (u) =>
        node('error', leaf('code', u.code) + leaf('message', u.message)) + leaf('resourceId', u.resourceId),
    );
  },

  DescribeVpcs(params, model) {
    const result = model.describeVpcs({
      vpcIds: indexed(params, 'VpcId'),
      filters: filtersOf(params),
      ...page(params),
    });
    return list('vpcSet', result.items, vpcXml) + leaf('nextToken', result.nextToken);
  },

  DescribeSubnets(params, model) {
    const result = model.describeSubnets({
      subnetIds: indexed(params, 'SubnetId'),
      filters: filtersOf(params),
      ...page(params),
    });
    return (
      list('subnetSet', result.items, (s) => subnetXml(s, model.region)) + leaf('nextToken', result.nextToken)
    );
  },

  DescribeSecurityGroups(params, model) {
    const result = model.describeSecurityGroups({
      groupIds: indexed(params, 'GroupId'),
      groupNames: indexed(params, 'GroupName'),
      filters: filtersOf(params),
      ...page(params),
    });
    return (
      list('securityGroupInfo', result.items, (g) => securityGroupXml(g, model.region)) +
      leaf('nextToken', result.nextToken)
    );
  },
};

function isAction(action: string): action is Ec2Action {
  return (EC2_ACTIONS as readonly string[]).includes(action);
}

// ---------------------------------------------------------------------------------------------------------
// Server

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly errorCode?: string;
}

function errorAnswer(error: Ec2Error, requestId: string): Answer {
  return {
    status: error.status,
    body: errorDocument(error.code, error.message, requestId),
    errorCode: error.code,
  };
}

/** The EC2 error a fault effect answers with, or undefined for effects handled elsewhere / not HTTP ones. */
function faultError(effect: FaultEffect): Ec2Error | undefined {
  switch (effect.kind) {
    case 'http-error':
      return effect.status === 503
        ? new Ec2Error('Unavailable', undefined, 503)
        : new Ec2Error('InternalError', undefined, effect.status);
    case 'ec2-error':
      return new Ec2Error(effect.code, effect.message, effect.status ?? ec2ErrorStatus(effect.code));
    case 'rate-limit':
      return new Ec2Error('RequestLimitExceeded');
    default:
      return undefined;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Ec2Error('RequestEntityTooLarge', 'Request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts `server` on `host` (default 127.0.0.1) and `port` (default 0, ephemeral); resolves to its base URL. */
export async function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${urlHost}:${address.port}`;
}

/** Starts the EC2 front on 127.0.0.1 (ephemeral port unless given). */
export async function startEc2Server(options: Ec2ServerOptions): Promise<HttpFront> {
  const { clock, faults, log } = options;
  const accounts = [options.model, ...(options.otherAccounts ?? [])];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    clock.settle();

    const params = new URLSearchParams(url.search);
    if (method === 'POST') {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    }
    const action = params.get('Action') ?? '';
    const operation = action || 'unknown';
    let model = options.model;
    const auth = verifySigV4(req, body, {
      service: 'ec2',
      // One endpoint stands for every region's EC2 (AWS_ENDPOINT_URL_EC2 sends them all here): a request signed
      // for another region Atlas supports is answered by that region's (empty) EC2, as it would be in AWS.
      region: (region) => region === options.model.region || isSupportedAwsRegion(region),
      unknownKeyCode: 'AuthFailure',
      credentialFor: (accessKeyId) => {
        const owner = accounts.find((m) => m.credentialFor(accessKeyId) !== undefined);
        if (owner === undefined) return undefined;
        model = owner;
        return owner.credentialFor(accessKeyId);
      },
    });
    let fault: FaultEffect | undefined;
    let answer: Answer;
    const record = (status: number, errorCode: string | undefined) =>
      log.record({
        at: clock.now(),
        service: 'ec2',
        operation,
        method,
        path: url.pathname,
        status,
        auth: auth.kind,
        ...(errorCode ? { errorCode } : {}),
        ...(fault ? { fault: fault.kind } : {}),
      });

    if (auth.error) {
      answer = errorAnswer(new Ec2Error(auth.error.code, auth.error.message), requestId);
    } else if (!action) {
      answer = errorAnswer(
        new Ec2Error('MissingAction', 'The request must contain the parameter Action'),
        requestId,
      );
    } else if (!isAction(action)) {
      answer = errorAnswer(
        new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`),
        requestId,
      );
    } else {
      fault = faults.take(action);
      if (fault?.kind === 'drop-connection') {
        record(0, undefined);
        req.socket.destroy();
        return;
      }
      const injected = fault ? faultError(fault) : undefined;
      const version = params.get('Version');
      if (injected) {
        answer = errorAnswer(injected, requestId);
      } else if (!model.admit(action)) {
        answer = errorAnswer(new Ec2Error('RequestLimitExceeded'), requestId);
      } else if (version !== null && version !== '2016-11-15') {
        answer = errorAnswer(
          new Ec2Error(
            'NoSuchVersion',
            `The requested version (${version}) of service AmazonEC2 does not exist`,
          ),
          requestId,
        );
      } else {
        try {
          if (booleanParam(params, 'DryRun') === true) throw new Ec2Error('DryRunOperation');
          const regional = auth.region === undefined ? model : model.inRegion(auth.region);
          answer = { status: 200, body: document(action, requestId, HANDLERS[action](params, regional)) };
        } catch (error) {
          if (!(error instanceof Ec2Error)) throw error;
          answer = errorAnswer(error, requestId);
        }
      }
    }

    record(answer.status, answer.errorCode);
    if (fault?.kind === 'drop-after-commit') {
      // EC2 acted (or refused); the answer is lost on the way back.
      req.socket.destroy();
      return;
    }

    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, {
        'content-type': 'text/xml;charset=UTF-8',
        'x-amzn-requestid': requestId,
        'content-length': Buffer.byteLength(answer.body),
      });
      res.end(answer.body);
    };
    if (fault?.kind === 'slow-response') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, fault.delayMs);
      timers.add(timer);
    } else {
      send();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const requestId = randomUUID();
      const message = error instanceof Error ? error.message : 'unexpected error';
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      }
      res.end(errorDocument('InternalError', `Simulator failure: ${message}`, requestId));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  return {
    url: await listen(server, options.port, options.host),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
