import { planTests } from './reliability-plans.ts';

planTests('dedicated');
