/** A pino-compatible logger (a pino instance fits). The library is silent without one. */
export interface RegistryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Drops everything (the default: libraries are silent). */
export const SILENT_LOGGER: RegistryLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
