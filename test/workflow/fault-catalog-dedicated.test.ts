import { catalogTests } from './fault-catalog.ts';

catalogTests('dedicated');
