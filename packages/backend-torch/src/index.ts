export { createTorchBackend, type TorchBackend, type TorchBackendOptions } from './torch-backend.js';
export { isTorchAvailable, torchUnavailableReason } from './available.js';
export { addonPath, BUILD_HINT } from './addon.js';
