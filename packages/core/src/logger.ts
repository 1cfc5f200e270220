// The logger libraries take: a pino-compatible subset, so the CLI can pass pino and tests can pass nothing.
// Not a logger implementation (only the CLI creates pino).

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
