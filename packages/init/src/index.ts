export * from './random-init.js';
export * from './from-checkpoint.js';
export * from './clone-info.js';
