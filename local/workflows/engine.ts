import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, loadDefinition, taskStates, type WorkflowName } from './asl';

// aws-local-stepfunctions 3 times Task states out with Promise.withResolvers, which Node only has
// from 22 on; the project runs on Node 20, where every Task would fail with a TypeError.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** A local stand-in for one Task resource: takes the state's effective input, returns its result. */
export type LocalTask = (input: unknown) => Promise<unknown>;

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunSummary {
  readonly id: string;
  readonly workflow: WorkflowName;
  readonly name: string;
  status: RunStatus;
  readonly startedAt: number;
  endedAt?: number;
  /** The `outcome` the workflow ended with (`escalated`, `deployed`, `kept-current`, …). */
  outcome?: string;
  /** The failure (Fail state's Error and Cause) when it failed. */
  error?: { readonly error: string; readonly cause: string };
  /** States entered, in order. */
  readonly states: string[];
  output?: unknown;
}

export interface WorkflowEngineOptions {
  readonly workflow: WorkflowName;
  /** Placeholder values; every Task resource they produce must have a local implementation. */
  readonly substitutions: Readonly<Record<string, string>>;
  /** Local implementations by Task resource (after substitution). */
  readonly resources: Readonly<Record<string, LocalTask>>;
  /** Wait state durations in ms, by state name (a local run does not sleep AWS-long). */
  readonly waitOverrides?: Readonly<Record<string, number>>;
  /** Retry pauses in ms, by state name. */
  readonly retryOverrides?: Readonly<Record<string, number>>;
  readonly clock: () => number;
  readonly onChange: (run: RunSummary) => void;
}

/**
 * Runs one ASL file with aws-local-stepfunctions, overriding each Task by its resource with a
 * local implementation. A Task whose resource has none fails construction: nothing silently
 * reaches for AWS.
 */
export class WorkflowEngine {
  readonly definition: AslDefinition;
  private readonly machine: StateMachine;
  private readonly overrides: Record<string, (input: unknown) => Promise<unknown>>;

  constructor(private readonly options: WorkflowEngineOptions) {
    this.definition = loadDefinition(options.workflow, options.substitutions);
    this.machine = new StateMachine(this.definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    this.overrides = {};
    for (const { name, resource } of taskStates(this.definition)) {
      const impl = options.resources[resource];
      if (!impl)
        throw new Error(`${options.workflow}: no local implementation for ${resource} (state ${name})`);
      this.overrides[name] = impl;
    }
  }

  /** Starts a run; the promise settles with the run's summary when it ends (never rejects). */
  start(id: string, name: string, input: unknown): { run: RunSummary; done: Promise<RunSummary> } {
    const run: RunSummary = {
      id,
      workflow: this.options.workflow,
      name,
      status: 'running',
      startedAt: this.options.clock(),
      states: [],
    };
    const execution = this.machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.overrides as never,
        waitTimeOverrides: { ...this.options.waitOverrides },
        retryIntervalOverrides: { ...this.options.retryOverrides },
      },
      context: {
        Execution: { Id: id, Name: name, Input: input, StartTime: new Date(run.startedAt).toISOString() },
      } as never,
    });
    this.options.onChange(run);
    const log = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          run.states.push(event.state.name);
          this.options.onChange(run);
        }
      }
    })();
    const done = execution.result.then(
      (output: unknown) => {
        run.status = 'succeeded';
        run.output = output;
        const outcome = (output as { outcome?: unknown } | null)?.outcome;
        if (typeof outcome === 'string') run.outcome = outcome;
      },
      (err: unknown) => {
        run.status = 'failed';
        const cause = (err as { cause?: unknown }).cause;
        const failure = cause instanceof Error ? cause : (err as Error);
        run.error = { error: failure.name, cause: failure.message };
        run.outcome = failure.name;
      },
    );
    return {
      run,
      done: Promise.all([done, log.catch(() => undefined)]).then(() => {
        run.endedAt = this.options.clock();
        this.options.onChange(run);
        return run;
      }),
    };
  }
}
