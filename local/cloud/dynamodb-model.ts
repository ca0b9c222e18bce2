/**
 * The simulated DynamoDB: tables of items keyed by a partition key (and optionally a sort key), with the
 * parts of the API the workflow's target lease uses, in the wire shapes of the DynamoDB JSON protocol
 * (attribute values as `{ "S": "…" }`, `{ "N": "1" }`, …):
 *
 * - CreateTable, DescribeTable, UpdateTimeToLive, DescribeTimeToLive (what a deployment does);
 * - PutItem, GetItem, DeleteItem, UpdateItem (SET and REMOVE), each with a ConditionExpression
 *   (`attribute_exists`, `attribute_not_exists`, `=`, `<>`, `<`, `<=`, `>`, `>=`, AND, OR, NOT, parentheses,
 *   `#name` and `:value` placeholders), `ReturnValues` and `ReturnValuesOnConditionCheckFailure`.
 *
 * Every operation is atomic (the model runs in one thread): two conditional writes racing for one item
 * cannot both succeed, which is what a lease needs. Refusals throw `DynamoDbError` with DynamoDB's error
 * type and message; the HTTP front turns it into the JSON error answer.
 *
 * TTL: an item whose TTL attribute (epoch seconds) is in the past is deleted by the model once
 * `ttlDeletionDelayMs` of virtual time have passed (DynamoDB deletes expired items in the background, within
 * days; until then they stay readable, which is why the lease compares the expiry itself).
 */
import type { VirtualClock } from './clock.ts';

/** A DynamoDB attribute value as the JSON protocol writes it. */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly L: readonly AttributeValue[] }
  | { readonly M: Readonly<Record<string, AttributeValue>> };

export type Item = Record<string, AttributeValue>;

/** The DynamoDB operations the front serves (X-Amz-Target `DynamoDB_20120810.<name>`). */
export const DYNAMODB_OPERATIONS = [
  'CreateTable',
  'DescribeTable',
  'UpdateTimeToLive',
  'DescribeTimeToLive',
  'PutItem',
  'GetItem',
  'DeleteItem',
  'UpdateItem',
] as const;
export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];

/** Operations that change items (a crash after one of them is a side effect). */
export const MUTATING_DYNAMODB_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'DeleteItem',
  'UpdateItem',
]);

const NAMESPACE = 'com.amazonaws.dynamodb.v20120810';

export class DynamoDbError extends Error {
  /** The `__type` of the answer (namespace#Name). */
  readonly type: string;
  readonly status: number;
  /** ConditionalCheckFailedException with ReturnValuesOnConditionCheckFailure ALL_OLD: the item. */
  readonly item?: Item;

  constructor(
    name: string,
    message: string,
    options: { status?: number; item?: Item; coral?: boolean } = {},
  ) {
    super(message);
    this.name = name;
    this.type = options.coral ? `com.amazon.coral.validate#${name}` : `${NAMESPACE}#${name}`;
    this.status = options.status ?? 400;
    if (options.item !== undefined) this.item = options.item;
  }
}

function validation(message: string): DynamoDbError {
  return new DynamoDbError('ValidationException', message, { coral: true });
}

interface KeyElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}

interface Table {
  readonly name: string;
  readonly keySchema: readonly KeyElement[];
  readonly attributeDefinitions: readonly { AttributeName: string; AttributeType: string }[];
  readonly createdAt: number;
  readonly items: Map<string, Item>;
  ttlAttribute?: string;
}

export interface DynamoDbModelOptions {
  readonly clock: VirtualClock;
  readonly region: string;
  readonly accountId: string;
  /** Virtual ms after an item's TTL expiry before the model deletes it. @default 3600000 (an hour) */
  readonly ttlDeletionDelayMs?: number;
}

export class DynamoDbModel {
  private readonly tables = new Map<string, Table>();
  private readonly clock: VirtualClock;
  readonly region: string;
  readonly accountId: string;
  private readonly ttlDeletionDelayMs: number;

  constructor(options: DynamoDbModelOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
    this.ttlDeletionDelayMs = options.ttlDeletionDelayMs ?? 3_600_000;
  }

  /** Every item of a table (after TTL deletions), for tests and the inventory. */
  items(tableName: string): Item[] {
    const table = this.tables.get(tableName);
    if (table === undefined) return [];
    this.expire(table);
    return [...table.items.values()].map((item) => structuredClone(item));
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Runs one operation with its JSON request body; returns the JSON answer. Throws DynamoDbError. */
  handle(operation: DynamoDbOperation, body: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'CreateTable':
        return this.createTable(body);
      case 'DescribeTable':
        return { Table: this.describe(this.table(body)) };
      case 'UpdateTimeToLive':
        return this.updateTimeToLive(body);
      case 'DescribeTimeToLive': {
        const table = this.table(body);
        return {
          TimeToLiveDescription:
            table.ttlAttribute === undefined
              ? { TimeToLiveStatus: 'DISABLED' }
              : { TimeToLiveStatus: 'ENABLED', AttributeName: table.ttlAttribute },
        };
      }
      case 'PutItem':
        return this.putItem(body);
      case 'GetItem':
        return this.getItem(body);
      case 'DeleteItem':
        return this.deleteItem(body);
      case 'UpdateItem':
        return this.updateItem(body);
    }
  }

  // ------------------------------------------------------------------------------------------- tables

  private createTable(body: Record<string, unknown>): Record<string, unknown> {
    const name = stringField(body, 'TableName');
    if (this.tables.has(name)) {
      throw new DynamoDbError('ResourceInUseException', `Table already exists: ${name}`);
    }
    const keySchema = body.KeySchema as KeyElement[] | undefined;
    const definitions = body.AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
    if (!Array.isArray(keySchema) || keySchema.length === 0 || keySchema.length > 2) {
      throw validation("1 validation error detected: Value null at 'keySchema' failed to satisfy constraint");
    }
    if (!keySchema.some((k) => k.KeyType === 'HASH')) throw validation('No Hash Key specified in schema.');
    if (!Array.isArray(definitions)) throw validation('AttributeDefinitions are required');
    for (const key of keySchema) {
      if (!definitions.some((d) => d.AttributeName === key.AttributeName)) {
        throw validation(
          'One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions.',
        );
      }
    }
    const table: Table = {
      name,
      keySchema: keySchema.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
      attributeDefinitions: definitions.map((d) => ({ ...d })),
      createdAt: this.clock.now(),
      items: new Map(),
    };
    this.tables.set(name, table);
    return { TableDescription: this.describe(table) };
  }

  private describe(table: Table): Record<string, unknown> {
    return {
      TableName: table.name,
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:${this.region}:${this.accountId}:table/${table.name}`,
      KeySchema: table.keySchema,
      AttributeDefinitions: table.attributeDefinitions,
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      CreationDateTime: table.createdAt / 1000,
      ItemCount: table.items.size,
    };
  }

  private updateTimeToLive(body: Record<string, unknown>): Record<string, unknown> {
    const table = this.table(body);
    const spec = body.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
    if (spec === undefined || typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean') {
      throw validation('TimeToLiveSpecification with AttributeName and Enabled is required');
    }
    if (spec.Enabled && table.ttlAttribute !== undefined) {
      throw validation('TimeToLive is already enabled');
    }
    table.ttlAttribute = spec.Enabled ? spec.AttributeName : undefined;
    return { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } };
  }

  private table(body: Record<string, unknown>): Table {
    const name = stringField(body, 'TableName');
    const table = this.tables.get(name);
    if (table === undefined) {
      throw new DynamoDbError('ResourceNotFoundException', 'Requested resource not found');
    }
    this.expire(table);
    return table;
  }

  /** TTL: items expired for longer than the deletion delay are gone. */
  private expire(table: Table): void {
    const attribute = table.ttlAttribute;
    if (attribute === undefined) return;
    const cutoff = this.clock.now() - this.ttlDeletionDelayMs;
    for (const [key, item] of table.items) {
      const value = item[attribute];
      if (value !== undefined && 'N' in value && Number(value.N) * 1000 < cutoff) table.items.delete(key);
    }
  }

  // -------------------------------------------------------------------------------------------- items

  private keyOf(table: Table, item: Item, what: string): string {
    const parts: string[] = [];
    for (const element of table.keySchema) {
      const value = item[element.AttributeName];
      const type = table.attributeDefinitions.find(
        (d) => d.AttributeName === element.AttributeName,
      )?.AttributeType;
      if (value === undefined) {
        throw validation(
          `One or more parameter values were invalid: Missing the key ${element.AttributeName} in the ${what}`,
        );
      }
      if (type !== undefined && !(type in value)) {
        throw validation(
          `One or more parameter values were invalid: Type mismatch for key ${element.AttributeName} expected: ${type} actual: ${Object.keys(value)[0]}`,
        );
      }
      parts.push(JSON.stringify(value));
    }
    return parts.join('\u0000');
  }

  private conditionHolds(body: Record<string, unknown>, current: Item | undefined): boolean {
    const expression = body.ConditionExpression;
    if (expression === undefined) return true;
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw validation('Invalid ConditionExpression: The expression can not be empty;');
    }
    return evaluate(parseCondition(expression), current ?? {}, placeholders(body));
  }

  private refuse(body: Record<string, unknown>, current: Item | undefined): never {
    const item = body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? current : undefined;
    throw new DynamoDbError('ConditionalCheckFailedException', 'The conditional request failed', {
      ...(item === undefined ? {} : { item: structuredClone(item) }),
    });
  }

  private putItem(body: Record<string, unknown>): Record<string, unknown> {
    const table = this.table(body);
    const item = body.Item as Item | undefined;
    if (item === undefined || typeof item !== 'object') throw validation('Item is required');
    checkValues(item);
    const key = this.keyOf(table, item, 'item');
    const current = table.items.get(key);
    if (!this.conditionHolds(body, current)) this.refuse(body, current);
    table.items.set(key, structuredClone(item));
    return body.ReturnValues === 'ALL_OLD' && current !== undefined ? { Attributes: current } : {};
  }

  private getItem(body: Record<string, unknown>): Record<string, unknown> {
    const table = this.table(body);
    const key = this.keyOf(table, (body.Key ?? {}) as Item, 'key');
    const current = table.items.get(key);
    return current === undefined ? {} : { Item: structuredClone(current) };
  }

  private deleteItem(body: Record<string, unknown>): Record<string, unknown> {
    const table = this.table(body);
    const key = this.keyOf(table, (body.Key ?? {}) as Item, 'key');
    const current = table.items.get(key);
    if (!this.conditionHolds(body, current)) this.refuse(body, current);
    table.items.delete(key);
    return body.ReturnValues === 'ALL_OLD' && current !== undefined ? { Attributes: current } : {};
  }

  private updateItem(body: Record<string, unknown>): Record<string, unknown> {
    const table = this.table(body);
    const keyItem = (body.Key ?? {}) as Item;
    const key = this.keyOf(table, keyItem, 'key');
    const current = table.items.get(key);
    if (!this.conditionHolds(body, current)) this.refuse(body, current);
    const next: Item = structuredClone(current ?? keyItem);
    const expression = body.UpdateExpression;
    if (typeof expression === 'string') applyUpdate(expression, next, placeholders(body));
    checkValues(next);
    table.items.set(key, next);
    if (body.ReturnValues === 'ALL_NEW') return { Attributes: next };
    if (body.ReturnValues === 'ALL_OLD' && current !== undefined) return { Attributes: current };
    return {};
  }
}

function stringField(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw validation(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function checkValues(item: Item): void {
  for (const [name, value] of Object.entries(item)) {
    if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) {
      throw validation(
        `Supplied AttributeValue is empty, must contain exactly one of the supported datatypes (${name})`,
      );
    }
    if ('N' in value && !Number.isFinite(Number(value.N))) {
      throw validation(`The parameter cannot be converted to a numeric value: ${value.N}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Expressions

interface Placeholders {
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, AttributeValue>>;
}

function placeholders(body: Record<string, unknown>): Placeholders {
  return {
    names: (body.ExpressionAttributeNames ?? {}) as Record<string, string>,
    values: (body.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>,
  };
}

type Operand = { readonly path: readonly string[] } | { readonly value: string };
type Condition =
  | { readonly op: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly op: 'not'; readonly inner: Condition }
  | { readonly op: 'exists' | 'not_exists'; readonly path: readonly string[] }
  | {
      readonly op: 'compare';
      readonly comparator: '=' | '<>' | '<' | '<=' | '>' | '>=';
      readonly left: Operand;
      readonly right: Operand;
    };

const TOKEN = /\s*(<>|<=|>=|=|<|>|\(|\)|,|\.|[#:]?[A-Za-z0-9_]+)/y;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    TOKEN.lastIndex = at;
    const match = TOKEN.exec(expression);
    if (match === null)
      throw validation(`Invalid expression: Syntax error; token: "${expression.slice(at, at + 10)}"`);
    tokens.push(match[1]!);
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function parseCondition(expression: string): Condition {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string): string => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected)) {
      throw validation(`Invalid ConditionExpression: Syntax error; expected ${expected ?? 'a token'}`);
    }
    return token;
  };
  const path = (): string[] => {
    const parts = [take()];
    while (peek() === '.') {
      take('.');
      parts.push(take());
    }
    return parts;
  };
  const operand = (): Operand => (peek()?.startsWith(':') ? { value: take() } : { path: path() });
  const primary = (): Condition => {
    const token = peek();
    if (token === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    if (token !== undefined && /^attribute_(not_)?exists$/i.test(token)) {
      take();
      take('(');
      const p = path();
      take(')');
      return { op: token.toLowerCase() === 'attribute_exists' ? 'exists' : 'not_exists', path: p };
    }
    const left = operand();
    const comparator = take();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(comparator)) {
      throw validation(`Invalid ConditionExpression: Syntax error; token: "${comparator}"`);
    }
    return { op: 'compare', comparator: comparator as '=', left, right: operand() };
  };
  const not = (): Condition => {
    if (peek()?.toUpperCase() === 'NOT') {
      take();
      return { op: 'not', inner: not() };
    }
    return primary();
  };
  const and = (): Condition => {
    let left = not();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      left = { op: 'and', left, right: not() };
    }
    return left;
  };
  const or = (): Condition => {
    let left = and();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const condition = or();
  if (i !== tokens.length)
    throw validation(`Invalid ConditionExpression: Syntax error; token: "${tokens[i]}"`);
  return condition;
}

function resolveName(part: string, p: Placeholders): string {
  if (!part.startsWith('#')) return part;
  const name = p.names[part];
  if (name === undefined) {
    throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${part}}`);
  }
  return name;
}

function lookup(item: Item, path: readonly string[], p: Placeholders): AttributeValue | undefined {
  let current: AttributeValue | undefined = item[resolveName(path[0]!, p)];
  for (const part of path.slice(1)) {
    if (current === undefined || !('M' in current)) return undefined;
    current = current.M[resolveName(part, p)];
  }
  return current;
}

function operandValue(operand: Operand, item: Item, p: Placeholders): AttributeValue | undefined {
  if ('value' in operand) {
    const value = p.values[operand.value];
    if (value === undefined) {
      throw validation(
        `Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: ${operand.value}`,
      );
    }
    return value;
  }
  return lookup(item, operand.path, p);
}

function compare(a: AttributeValue, b: AttributeValue): number | undefined {
  if ('N' in a && 'N' in b) return Number(a.N) - Number(b.N);
  if ('S' in a && 'S' in b) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if ('B' in a && 'B' in b) return a.B < b.B ? -1 : a.B > b.B ? 1 : 0;
  return undefined;
}

function evaluate(condition: Condition, item: Item, p: Placeholders): boolean {
  switch (condition.op) {
    case 'and':
      return evaluate(condition.left, item, p) && evaluate(condition.right, item, p);
    case 'or':
      return evaluate(condition.left, item, p) || evaluate(condition.right, item, p);
    case 'not':
      return !evaluate(condition.inner, item, p);
    case 'exists':
      return lookup(item, condition.path, p) !== undefined;
    case 'not_exists':
      return lookup(item, condition.path, p) === undefined;
    case 'compare': {
      const left = operandValue(condition.left, item, p);
      const right = operandValue(condition.right, item, p);
      if (left === undefined || right === undefined) return condition.comparator === '<>';
      if (condition.comparator === '=') return JSON.stringify(left) === JSON.stringify(right);
      if (condition.comparator === '<>') return JSON.stringify(left) !== JSON.stringify(right);
      const order = compare(left, right);
      if (order === undefined) return false;
      switch (condition.comparator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
  }
}

/** `SET a = :v, #b = :w REMOVE c, d` on `item` (top-level attributes). */
function applyUpdate(expression: string, item: Item, p: Placeholders): void {
  const tokens = tokenize(expression);
  let i = 0;
  let clause: 'SET' | 'REMOVE' | undefined;
  while (i < tokens.length) {
    const token = tokens[i]!;
    const upper = token.toUpperCase();
    if (upper === 'SET' || upper === 'REMOVE') {
      clause = upper;
      i += 1;
      continue;
    }
    if (token === ',') {
      i += 1;
      continue;
    }
    if (clause === undefined) throw validation(`Invalid UpdateExpression: Syntax error; token: "${token}"`);
    const name = resolveName(token, p);
    i += 1;
    if (clause === 'REMOVE') {
      delete item[name];
      continue;
    }
    if (tokens[i] !== '=') throw validation('Invalid UpdateExpression: Syntax error; expected =');
    const valueToken = tokens[i + 1];
    const value = valueToken === undefined ? undefined : p.values[valueToken];
    if (value === undefined) {
      throw validation(
        'Invalid UpdateExpression: An expression attribute value used in expression is not defined',
      );
    }
    item[name] = structuredClone(value);
    i += 2;
  }
}
