/**
 * Minimal structured logger accepted by the Palette client. Powertools' Logger satisfies it
 * (`logger.debug(message, fields)`). Fields are always redacted before they reach the logger.
 */
export type LogFields = Record<string, unknown>;

/** Rest-parameter form so Powertools' Logger (`(input, ...extraInput)`) is assignable; the client passes one object. */
export interface PaletteLogger {
  debug(message: string, ...fields: LogFields[]): void;
  info(message: string, ...fields: LogFields[]): void;
  warn(message: string, ...fields: LogFields[]): void;
  error(message: string, ...fields: LogFields[]): void;
}

export const silentLogger: PaletteLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
