import type { StorageBackend } from '../../config';
import type { FunctionNetwork, ProjectFunction } from '../common/project-function';

/**
 * The hot time-series store as the rest of the stack sees it, whatever the backend: where a
 * function must run to reach it, and grants that set the function's environment (the backend in
 * `STORAGE_BACKEND` and its variables, `lambda/shared/env.ts`) with the matching permission.
 */
export interface HotStore {
  readonly backend: StorageBackend;
  /** Where functions that use the store run; none when it is reached over AWS's public API. */
  readonly network?: FunctionNetwork;
  /** Lets `fn` write device readings. */
  grantWriteTelemetry(fn: ProjectFunction): void;
  /** Lets `fn` write anomaly events and predictions. */
  grantWriteEvents(fn: ProjectFunction): void;
  /** Lets `fn` read readings, events and predictions (the query API, the workflow's history). */
  grantRead(fn: ProjectFunction): void;
}
