/** Options about the simulated world that `npm start` and `npm run simulator` share: preset and fault plan. */
import type { EndpointKind, FaultCatalogEntry } from '../cloud/fault-catalog.ts';
import { isPresetName, PRESETS, type PresetName } from '../cloud/timeline.ts';
import { choiceOption, didYouMean, UsageError } from './options.ts';

export const PRESET_HELP = 'how long the simulated clouds take';

export function presetOption(raw: string | boolean | undefined): PresetName {
  const names = Object.keys(PRESETS) as PresetName[];
  const name = choiceOption('preset', raw, names, 'realistic');
  if (!isPresetName(name)) throw new UsageError(`unknown preset ${name}`);
  return name;
}

/** The named fault plan, or UsageError with the close names (and a pointer to --list-faults). */
export async function faultPlan(name: string): Promise<FaultCatalogEntry> {
  const { FAULT_CATALOG } = await import('../cloud/fault-catalog.ts');
  const plan = Object.hasOwn(FAULT_CATALOG, name) ? FAULT_CATALOG[name] : undefined;
  if (!plan) {
    const names = Object.keys(FAULT_CATALOG).sort();
    const hint = didYouMean(name, names);
    throw new UsageError(
      `unknown --fault "${name}"${hint}${hint ? '' : `; known: ${names.join(', ')}`} (npm start -- --list-faults describes each)`,
    );
  }
  return plan;
}

/** Refuses a plan that does not apply to `kind`, listing the plans that do. */
export async function checkFaultKind(
  name: string,
  plan: FaultCatalogEntry,
  kind: EndpointKind,
): Promise<void> {
  if (plan.kinds.includes(kind)) return;
  const { FAULT_CATALOG } = await import('../cloud/fault-catalog.ts');
  const forKind = Object.keys(FAULT_CATALOG)
    .filter((n) => FAULT_CATALOG[n]?.kinds.includes(kind))
    .sort();
  throw new UsageError(
    `--fault ${name} applies to ${plan.kinds.join(' and ')} requests, and this request is ${kind}; ` +
      `plans for ${kind}: ${forKind.join(', ')}`,
  );
}

/** The fault catalog as help lines, optionally only the plans for one kind. */
export async function faultList(kind?: EndpointKind): Promise<string[]> {
  const { FAULT_CATALOG } = await import('../cloud/fault-catalog.ts');
  const names = Object.keys(FAULT_CATALOG)
    .filter((n) => kind === undefined || FAULT_CATALOG[n]?.kinds.includes(kind))
    .sort();
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    `Named fault plans${kind ? ` for ${kind} requests` : ''} (npm start -- --fault <name>):`,
    '',
  ];
  for (const name of names) {
    const f = FAULT_CATALOG[name] as FaultCatalogEntry;
    lines.push(`  ${name.padEnd(width)}  [${f.kinds.join(', ')}] ${f.description}`);
  }
  return lines;
}
