/** Minimal typing for dynalite 4 (an in-memory DynamoDB built on LevelDB; a devDependency of the sandbox). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** How long a new table stays CREATING (default 500 ms). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    /** LevelDB directory; omitted = in memory. */
    path?: string;
    verbose?: boolean;
    debug?: boolean;
    ssl?: boolean;
  }

  /** Returns an http.Server (not listening yet) that speaks DynamoDB's JSON 1.0 protocol. */
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
