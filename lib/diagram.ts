/**
 * Renders an ASL definition as a Mermaid flowchart (pure: definition in, text out).
 *
 * Shapes: Task = rectangle, EventBridge task = parallelogram, Choice = diamond, Wait = stadium,
 * Pass = rounded, Succeed/Fail = subroutine. Edges: `Next` solid; Choice rules solid with the condition as
 * label; Catch dotted, labelled with where the error is kept (one edge per target).
 */
import type { AslDefinition, AslState } from './asl.ts';

export const DIAGRAM_START = '<!-- diagram:start -->';
export const DIAGRAM_END = '<!-- diagram:end -->';

type Rule = Record<string, unknown>;

const COMPARATORS: Record<string, string> = {
  StringEquals: '=',
  NumericEquals: '=',
  NumericLessThan: '<',
  NumericGreaterThan: '>',
  NumericLessThanEquals: '<=',
  NumericGreaterThanEquals: '>=',
  StringLessThan: '<',
  StringGreaterThan: '>',
};

function variableName(rule: Rule): string {
  return String(rule.Variable ?? '').replace(/^\$\./, '');
}

/** A short, readable form of a Choice rule (IsPresent guards next to a test of the same variable are left out). */
export function describeRule(rule: Rule): string {
  if (Array.isArray(rule.And)) {
    const terms = rule.And as Rule[];
    const tested = new Set(terms.filter((t) => !('IsPresent' in t)).map(variableName));
    const kept = terms.filter((t) => !('IsPresent' in t && tested.has(variableName(t))));
    return kept.map((t) => (Array.isArray(t.Or) ? `(${describeRule(t)})` : describeRule(t))).join(' and ');
  }
  if (Array.isArray(rule.Or)) return (rule.Or as Rule[]).map(describeRule).join(' or ');
  if (rule.Not) return `not (${describeRule(rule.Not as Rule)})`;
  const name = variableName(rule);
  if ('BooleanEquals' in rule) return rule.BooleanEquals ? name : `not ${name}`;
  if ('IsPresent' in rule) return rule.IsPresent ? `${name} present` : `${name} absent`;
  for (const [op, symbol] of Object.entries(COMPARATORS)) {
    if (op in rule) {
      const value = rule[op];
      return `${name} ${symbol} ${typeof value === 'string' ? `'${value}'` : String(value)}`;
    }
  }
  const op = Object.keys(rule).find((k) => k !== 'Variable' && k !== 'Next');
  return `${name} ${op ?? '?'}`;
}

function escapeLabel(text: string): string {
  return text.replace(/"/g, '#quot;');
}

function nodeIds(names: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    const base =
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'state';
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(name, id);
  }
  return ids;
}

function shape(id: string, name: string, state: AslState): string {
  const label = `"${escapeLabel(name)}"`;
  switch (state.Type) {
    case 'Task':
      return String(state.Resource).includes(':states:::events:') ? `${id}[/${label}/]` : `${id}[${label}]`;
    case 'Choice':
      return `${id}{${label}}`;
    case 'Wait':
      return `${id}([${label}])`;
    case 'Pass':
      return `${id}(${label})`;
    case 'Succeed':
    case 'Fail':
      return `${id}[[${label}]]`;
    case 'Map':
      return `${id}[\\${label}\\]`;
    default:
      return `${id}[${label}]`;
  }
}

function classOf(state: AslState): string {
  if (state.Type === 'Task') return String(state.Resource).includes(':states:::events:') ? 'event' : 'task';
  return state.Type.toLowerCase();
}

/** The states of a Map's iteration, if `state` is a Map. */
function iterationOf(state: AslState): { StartAt: string; States: Record<string, AslState> } | undefined {
  if (state.Type !== 'Map') return undefined;
  return (state.ItemProcessor ?? state.Iterator) as { StartAt: string; States: Record<string, AslState> };
}

/** Every state name, depth first through Map iterations (node ids are unique across all of them). */
function allNames(states: Record<string, AslState>): string[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const iteration = iterationOf(state);
    return [name, ...(iteration ? allNames(iteration.States) : [])];
  });
}

/**
 * Renders the definition as `flowchart TD`. Deterministic: states in definition order; a Map's iteration is a
 * subgraph entered from the Map.
 */
export function toMermaid(definition: AslDefinition): string {
  const ids = nodeIds(allNames(definition.States));
  const id = (name: string): string => {
    const found = ids.get(name);
    if (found === undefined) throw new Error(`toMermaid: transition to unknown state ${name}`);
    return found;
  };
  const lines = ['flowchart TD', `  start((" ")) --> ${id(definition.StartAt)}`];
  const edges: string[] = [];
  const render = (states: Record<string, AslState>, indent: string): void => {
    for (const [name, state] of Object.entries(states)) {
      lines.push(`${indent}${shape(id(name), name, state)}:::${classOf(state)}`);
      const iteration = iterationOf(state);
      if (iteration !== undefined) {
        lines.push(`${indent}subgraph ${id(name)}_each ["${escapeLabel(name)}: each item"]`);
        render(iteration.States, `${indent}  `);
        lines.push(`${indent}end`);
        edges.push(`  ${id(name)} -->|"each item"| ${id(iteration.StartAt)}`);
      }
      if (state.Type === 'Choice') {
        for (const rule of (state.Choices as Rule[] | undefined) ?? []) {
          edges.push(`  ${id(name)} -->|"${escapeLabel(describeRule(rule))}"| ${id(String(rule.Next))}`);
        }
        if (typeof state.Default === 'string')
          edges.push(`  ${id(name)} -->|"otherwise"| ${id(state.Default)}`);
      } else if (typeof state.Next === 'string') {
        edges.push(`  ${id(name)} --> ${id(state.Next)}`);
      }
      const catchers = (state.Catch as Rule[] | undefined) ?? [];
      const seen = new Set<string>();
      for (const catcher of catchers) {
        const target = String(catcher.Next);
        if (seen.has(target)) continue;
        seen.add(target);
        const keptAt =
          typeof catcher.ResultPath === 'string' ? catcher.ResultPath.replace(/^\$\./, '') : 'error';
        edges.push(`  ${id(name)} -.->|"${escapeLabel(keptAt)}"| ${id(target)}`);
      }
    }
  };
  render(definition.States, '  ');
  lines.push(...edges);
  lines.push(
    '  classDef task fill:#e8f0fe,stroke:#4a6fa5',
    '  classDef event fill:#fdf1dc,stroke:#b7791f',
    '  classDef choice fill:#fff8c5,stroke:#9a6700',
    '  classDef wait fill:#eef6ee,stroke:#3d7a3d',
    '  classDef pass fill:#f6f8fa,stroke:#8c959f',
    '  classDef map fill:#f3e8fd,stroke:#6f42c1',
    '  classDef succeed fill:#dafbe1,stroke:#1a7f37',
    '  classDef fail fill:#ffebe9,stroke:#cf222e',
  );
  return lines.join('\n');
}

/** The README block between the markers (markers included). */
export function diagramBlock(mermaid: string): string {
  return [
    DIAGRAM_START,
    '<!-- Generated by `npm run diagram` from the synthesized state machine; do not edit by hand. -->',
    '',
    '```mermaid',
    mermaid,
    '```',
    '',
    DIAGRAM_END,
  ].join('\n');
}

/** The text between (and including) the markers, or undefined when the markers are missing. */
export function currentDiagramBlock(readme: string): string | undefined {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start, end + DIAGRAM_END.length);
}

/** The README with its diagram block replaced; throws when the markers are missing. */
export function replaceDiagramBlock(readme: string, block: string): string {
  const current = currentDiagramBlock(readme);
  if (current === undefined) throw new Error(`README has no ${DIAGRAM_START} … ${DIAGRAM_END} markers`);
  const start = readme.indexOf(DIAGRAM_START);
  return readme.slice(0, start) + block + readme.slice(start + current.length);
}
