/**
 * apps/admin: the goim-ts web dashboard (nodes, rooms, push, kick, live tail, rates) over
 * logic's `/goim/admin/*` API, its build (esbuild) and its small server.
 */
export { buildAdminUi, defaultUiSrcDir } from './build-ui.js';
export { loadAdminAssets, renderAdminPage, ADMIN_CSP } from './assets.js';
export { createAdminServer, mountAdminPage } from './server.js';
export { adminServerConfigSchema, resolveAdminServerConfig, DEFAULT_ADMIN_PORT } from './config.js';
export type { AdminAssets } from './assets.js';
export type { AdminServer } from './server.js';
export type { AdminServerConfig, AdminServerConfigInput } from './config.js';
