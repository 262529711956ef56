/** The pino-compatible logger shape logic uses (a pino instance fits directly), shared by the goim-ts apps. */
export { silentLogger } from '@goim/app-kit';
export type { Logger } from '@goim/app-kit';
