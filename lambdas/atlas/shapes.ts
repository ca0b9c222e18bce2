/**
 * Tolerant readers for the Atlas response bodies the kind clients use. Atlas adds fields over time and
 * the spec marks few fields required, so these read what they need, default what is optional, and fail
 * (AtlasTransientError, errorCode UNEXPECTED_RESPONSE) only when an id or status is missing.
 */
import { AtlasTransientError } from '#core/errors';

export type Json = Record<string, unknown>;

export function asObject(value: unknown, operation: string): Json {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  throw unexpected(operation, 'expected a JSON object');
}

export function asArray(value: unknown, operation: string): unknown[] {
  if (Array.isArray(value)) return value;
  // Some list operations wrap results (`{ results: [...] }`); accept both.
  if (typeof value === 'object' && value !== null && Array.isArray((value as Json).results)) {
    return (value as Json).results as unknown[];
  }
  throw unexpected(operation, 'expected a JSON array');
}

export function requiredString(body: Json, field: string, operation: string): string {
  const value = body[field];
  if (typeof value === 'string' && value !== '') return value;
  throw unexpected(operation, `field ${field} is missing`);
}

export function optionalString(body: Json, field: string): string | null {
  const value = body[field];
  return typeof value === 'string' && value !== '' ? value : null;
}

export function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function unexpected(operation: string, problem: string): AtlasTransientError {
  return new AtlasTransientError(`Atlas ${operation} answered with an unexpected body: ${problem}`, {
    details: { operation, errorCode: 'UNEXPECTED_RESPONSE', problem },
  });
}

/** Normalizes an Atlas region string (`US_EAST_1` or `us-east-1`) for comparisons. */
export function regionKey(region: string): string {
  return region.toUpperCase().replaceAll('-', '_');
}
