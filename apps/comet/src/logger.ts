/**
 * The logger shape the comet uses: pino's method set (a pino instance fits directly), shared
 * by the goim-ts apps. Hot paths log at debug at most; counts go to metrics (spec §10.16).
 */
export type { Logger } from '@goim/app-kit';
