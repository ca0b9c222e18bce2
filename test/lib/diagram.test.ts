import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../lib/asl.ts';
import {
  currentDiagramBlock,
  DIAGRAM_END,
  DIAGRAM_START,
  describeRule,
  diagramBlock,
  replaceDiagramBlock,
  toMermaid,
} from '../../lib/diagram.ts';
import { README_PATH, renderDiagramBlock } from '../../scripts/diagram.ts';

const TINY: AslDefinition = {
  StartAt: 'Do it',
  States: {
    'Do it': {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:1:function:F',
      Next: 'Done?',
      Catch: [
        { ErrorEquals: ['A'], Next: 'Oops', ResultPath: '$.error' },
        { ErrorEquals: ['States.ALL'], Next: 'Oops', ResultPath: '$.error' },
      ],
    },
    'Done?': {
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.x.done', IsPresent: true },
            { Variable: '$.x.done', BooleanEquals: true },
          ],
          Next: 'Tell',
        },
      ],
      Default: 'Wait a bit',
    },
    'Wait a bit': { Type: 'Wait', SecondsPath: '$.s', Next: 'Do it' },
    Tell: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Next: 'Yes' },
    Yes: { Type: 'Succeed' },
    Oops: { Type: 'Fail', Error: 'E' },
  },
};

describe('toMermaid', () => {
  it('renders shapes, transitions, choice labels and one dotted edge per catch target', () => {
    expect(toMermaid(TINY).split('\n').slice(0, 15)).toEqual([
      'flowchart TD',
      '  start((" ")) --> do_it',
      '  do_it["Do it"]:::task',
      '  done{"Done?"}:::choice',
      '  wait_a_bit(["Wait a bit"]):::wait',
      '  tell[/"Tell"/]:::event',
      '  yes[["Yes"]]:::succeed',
      '  oops[["Oops"]]:::fail',
      '  do_it --> done',
      '  do_it -.->|"error"| oops',
      '  done -->|"x.done"| tell',
      '  done -->|"otherwise"| wait_a_bit',
      '  wait_a_bit --> do_it',
      '  tell --> yes',
      '  classDef task fill:#e8f0fe,stroke:#4a6fa5',
    ]);
  });

  it('refuses a transition to an unknown state', () => {
    expect(() => toMermaid({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } })).toThrow(
      /unknown state B/,
    );
  });

  it('describes choice rules briefly', () => {
    expect(describeRule({ Variable: '$.a', BooleanEquals: false })).toBe('not a');
    expect(describeRule({ Variable: '$.k', StringEquals: 'x' })).toBe("k = 'x'");
    expect(describeRule({ Variable: '$.n', NumericGreaterThan: 3 })).toBe('n > 3');
    expect(
      describeRule({
        Or: [
          { Variable: '$.a', BooleanEquals: true },
          { Variable: '$.b', IsPresent: true },
        ],
      }),
    ).toBe('a or b present');
    expect(describeRule({ Not: { Variable: '$.a', IsPresent: true } })).toBe('not (a present)');
  });
});

describe('README diagram', () => {
  it('replaces only the marked block', () => {
    const readme = `# T\n\nbefore\n${DIAGRAM_START}\nold\n${DIAGRAM_END}\nafter\n`;
    const block = diagramBlock('flowchart TD');
    const updated = replaceDiagramBlock(readme, block);
    expect(updated).toBe(`# T\n\nbefore\n${block}\nafter\n`);
    expect(currentDiagramBlock(updated)).toBe(block);
    expect(() => replaceDiagramBlock('# no markers', block)).toThrow(/markers/);
  });

  it('is up to date with the synthesized state machine (run `npm run diagram` if this fails)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(currentDiagramBlock(readme)).toBe(renderDiagramBlock());
  });
});
