// Public surface of @hyperclone/backend-torch: the torch Backend factory, c10d process groups, availability probes and build hints.
// Not an implementation: see torch-backend.ts and the native addon under native/.

export { createTorchBackend, type TorchBackend, type TorchBackendOptions } from './torch-backend.js';
export { isTorchAvailable, torchUnavailableReason } from './available.js';
export { addonPath, BUILD_HINT } from './addon.js';
export {
  createProcessGroup,
  distributedSupport,
  DEFAULT_BUCKET_BYTES,
  DEFAULT_TIMEOUT_MS,
  type CollectiveEngine,
  type ProcessGroupOptions,
  type TorchProcessGroup,
} from './process-group.js';
export { startOpProfile, stopOpProfile, type OpProfile, type OpStats } from './op-profile.js';
