/**
 * The simulated AWS accounts of the world and the IAM roles between them (hub and spoke).
 *
 * `AwsAccounts` holds one `AwsModel` per account; to the Atlas model it is one AWS (an Atlas endpoint service
 * accepts interface endpoints from any account, so Atlas reaches every account's endpoints through it).
 *
 * `IamModel` knows who each access key is (a principal ARN in an account) and which roles exist, with the trust
 * their policies state: the trusted account, the external id (`sts:ExternalId`) and a principal ARN pattern
 * (`aws:PrincipalArn`, `ArnLike`). `assumeRole()` checks that trust the way STS does (anything missing or not
 * matching is `AccessDenied`, without saying which part failed) and issues temporary credentials (access key,
 * secret, session token) that the role's account then accepts on its EC2 front.
 *
 * Simplification: the credentials' Expiration is real time (the SDK renews them by the real clock); the world
 * does not expire them, and role permissions are not evaluated (the workflow's IAM is asserted on the
 * synthesized templates instead).
 */
import { randomBytes } from 'node:crypto';
import type { AwsPeer } from './atlas-model.ts';
import type { AwsModel } from './aws-model.ts';

/** A role and the trust its policy states. */
export interface RoleRecord {
  readonly accountId: string;
  readonly name: string;
  /** IAM path, e.g. `/` or `/atlas-private-endpoint-workflow/`. @default '/' */
  readonly path?: string;
  readonly trust: {
    /** The account whose principals may assume the role. */
    readonly accountId: string;
    /** Required `sts:ExternalId`, if any. */
    readonly externalId?: string;
    /** `aws:PrincipalArn` must match this ArnLike pattern (`*` and `?` wildcards), if given. */
    readonly principalArnLike?: string;
  };
}

export interface StsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Real time. */
  readonly expiration: Date;
}

export interface AssumeRoleInput {
  /** The access key that signed the request. */
  readonly callerAccessKeyId: string;
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly externalId?: string;
  readonly durationSeconds?: number;
}

export interface AssumeRoleResult {
  readonly credentials: StsCredentials;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string;
}

/** An STS error answer. */
export class StsError extends Error {
  override readonly name = 'StsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:(.*)\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function arnLike(value: string, pattern: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** The world's AWS accounts: one model per account; to Atlas, one AWS. */
export class AwsAccounts implements AwsPeer {
  readonly models: readonly AwsModel[];

  constructor(models: readonly AwsModel[]) {
    if (new Set(models.map((m) => m.accountId)).size !== models.length) {
      throw new Error('AwsAccounts: two models for one account');
    }
    this.models = models;
  }

  byAccount(accountId: string): AwsModel | undefined {
    return this.models.find((m) => m.accountId === accountId);
  }

  private holder(id: string, operation: string): AwsModel {
    const model = this.models.find((m) => m.holdsVpcEndpoint(id));
    if (model === undefined) throw new Error(`${operation}: unknown VPC endpoint ${id}`);
    return model;
  }

  registerEndpointService(...args: Parameters<AwsModel['registerEndpointService']>): void {
    for (const m of this.models) m.registerEndpointService(...args);
  }

  deregisterEndpointService(serviceName: string): void {
    for (const m of this.models) m.deregisterEndpointService(serviceName);
  }

  getVpcEndpoint(id: string): ReturnType<AwsModel['getVpcEndpoint']> {
    for (const m of this.models) {
      const found = m.getVpcEndpoint(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  acceptVpcEndpoint(id: string): void {
    this.holder(id, 'acceptVpcEndpoint').acceptVpcEndpoint(id);
  }

  rejectVpcEndpoint(id: string): void {
    this.holder(id, 'rejectVpcEndpoint').rejectVpcEndpoint(id);
  }
}

export class IamModel {
  private readonly accounts: AwsAccounts;
  private readonly principals = new Map<string, { accountId: string; arn: string }>();
  private readonly roles = new Map<string, RoleRecord>();

  constructor(accounts: AwsAccounts) {
    this.accounts = accounts;
  }

  /** Declares who a long-term access key is (a role or user ARN of its account). */
  addPrincipal(accessKeyId: string, principalArn: string): void {
    const accountId = /^arn:aws:iam::(\d{12}):/.exec(principalArn)?.[1];
    if (accountId === undefined) throw new Error(`addPrincipal: not an IAM ARN: ${principalArn}`);
    this.principals.set(accessKeyId, { accountId, arn: principalArn });
  }

  /** The principal behind an access key (for a role session: the role's ARN, as `aws:PrincipalArn` sees it). */
  principalOf(accessKeyId: string): { accountId: string; arn: string } | undefined {
    const p = this.principals.get(accessKeyId);
    return p && { ...p };
  }

  static roleArn(role: Pick<RoleRecord, 'accountId' | 'name' | 'path'>): string {
    const path = role.path ?? '/';
    return `arn:aws:iam::${role.accountId}:role${path}${role.name}`;
  }

  /** Creates (or replaces) a role; returns its ARN. */
  addRole(role: RoleRecord): string {
    if (this.accounts.byAccount(role.accountId) === undefined) {
      throw new Error(`addRole: the world has no account ${role.accountId}`);
    }
    const arn = IamModel.roleArn(role);
    this.roles.set(arn, structuredClone(role));
    return arn;
  }

  removeRole(arn: string): void {
    this.roles.delete(arn);
  }

  /** Secret keys and session tokens of every credential AssumeRole issued (leak scans look for them). */
  readonly issued: string[] = [];

  /** STS AssumeRole: checks the role's trust and issues credentials its account accepts. Throws StsError. */
  assumeRole(input: AssumeRoleInput): AssumeRoleResult {
    const duration = input.durationSeconds ?? 3600;
    if (!Number.isInteger(duration) || duration < 900 || duration > 3600) {
      throw new StsError(
        'ValidationError',
        `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 3600`,
        400,
      );
    }
    if (!SESSION_NAME.test(input.roleSessionName)) {
      throw new StsError(
        'ValidationError',
        `1 validation error detected: Value '${input.roleSessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
        400,
      );
    }
    const caller = this.principals.get(input.callerAccessKeyId);
    if (caller === undefined)
      throw new StsError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    const denied = () =>
      new StsError(
        'AccessDenied',
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
        403,
      );
    if (!ROLE_ARN.test(input.roleArn)) {
      throw new StsError('ValidationError', `${input.roleArn} is invalid`, 400);
    }
    const role = this.roles.get(input.roleArn);
    if (role === undefined) throw denied();
    const trust = role.trust;
    if (caller.accountId !== trust.accountId) throw denied();
    if (trust.externalId !== undefined && input.externalId !== trust.externalId) throw denied();
    if (trust.principalArnLike !== undefined && !arnLike(caller.arn, trust.principalArnLike)) throw denied();

    const account = this.accounts.byAccount(role.accountId)!;
    const credentials: StsCredentials = {
      accessKeyId: `ASIA${hex(8).toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJ${randomBytes(48).toString('base64')}`,
      expiration: new Date(Date.now() + duration * 1000),
    };
    account.addCredential(credentials);
    this.issued.push(credentials.secretAccessKey, credentials.sessionToken);
    const roleArn = IamModel.roleArn(role);
    this.principals.set(credentials.accessKeyId, { accountId: role.accountId, arn: roleArn });
    const roleId = `AROA${hex(8).toUpperCase()}`;
    return {
      credentials,
      assumedRoleArn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${input.roleSessionName}`,
      assumedRoleId: `${roleId}:${input.roleSessionName}`,
    };
  }
}
