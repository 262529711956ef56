/** pino-compatible logger subset; @goim/queue is silent without one. */
export interface QueueLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything (the default: libraries are silent). */
export const SILENT_LOGGER: QueueLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
