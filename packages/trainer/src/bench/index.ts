export * from './compare.js';
export * from './analyze.js';
export * from './stats.js';
export * from './time-to-target.js';
export * from './plots.js';
export * from './report.js';
export * from './reanalyze.js';
