// swagger2openapi ships no type declarations (and @types/swagger2openapi is not installed); only the call used by
// scripts/gen-palette-types.ts is declared.
declare module 'swagger2openapi' {
  interface ConvertOptions {
    patch?: boolean;
    warnOnly?: boolean;
    resolve?: boolean;
  }
  interface ConvertResult {
    openapi: unknown;
  }
  const swagger2openapi: {
    convertObj(swagger: Record<string, unknown>, options: ConvertOptions): Promise<ConvertResult>;
  };
  export default swagger2openapi;
}
