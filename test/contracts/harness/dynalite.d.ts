/** dynalite ships no types: the part of its API the harness uses (https://github.com/architect/dynalite#readme). */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** Milliseconds a table takes to become ACTIVE. @default 500 */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
