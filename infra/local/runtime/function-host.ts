/**
 * A Lambda function of the local stack: warm execution environments (bootstrap.ts child processes, one
 * per instance) running its synthesized bundle with exactly its environment, one invocation at a time
 * each, reused while warm. Its timeout is enforced as Lambda enforces it (the environment is killed and
 * the invocation fails with "Task timed out after N.00 seconds"), its memory is the context's and the
 * V8 heap limit's, and its reserved concurrency caps the environments: a synchronous invocation beyond
 * it is throttled (TooManyRequestsException), as on AWS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { IdrlError } from '#core/errors';
import { fromRoot } from '../../paths';
import { invocationTraceHeader } from '../trace';

export interface FunctionSpec {
  /** The function's local name (what `Ref` resolves to, and the log prefix). */
  name: string;
  arn: string;
  /** The bundle's handler module and export (reader.ts handlerEntry). */
  entryFile: string;
  exportName: string;
  /** LAMBDA_TASK_ROOT: the bundle's folder, also the working directory. */
  taskRoot: string;
  /** The complete environment of the process: nothing of the host's leaks in. */
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** undefined: no reservation (the account's unreserved concurrency). */
  reservedConcurrency: number | undefined;
}

/** A function error as Lambda's Invoke reports it (X-Amz-Function-Error: Unhandled). */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvocationOutcome = { ok: true; payload: unknown } | { ok: false; error: FunctionErrorPayload };

/** Lambda's throttle of an invocation beyond the function's concurrency (429 TooManyRequestsException). */
export class FunctionThrottledError extends IdrlError {
  constructor(readonly functionName: string) {
    super('Rate Exceeded.');
  }
}

export interface FunctionHostOptions {
  /** Where the function's log lines go, already prefixed with its name. */
  log: (line: string) => void;
  /**
   * Environments of a function without reserved concurrency: beyond it invocations wait instead of being
   * throttled (AWS would start more, up to the account's 1000). @default 10
   */
  unreservedInstanceCap?: number;
  /**
   * An environment idle this long is stopped, as Lambda reclaims idle sandboxes (its next invocation is a
   * cold start again); it keeps a stack that ran every function once from holding ~90 MB per function.
   * @default 600
   */
  idleSeconds?: number;
  /** Lambda's limit on INIT outside the invocation's timeout. @default 10 */
  initTimeoutSeconds?: number;
  /** The node binary. @default the project's pinned Node 22 (the runtime's major), else process.execPath */
  nodePath?: string;
}

type ChildMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: FunctionErrorPayload }
  | { type: 'crash'; error: FunctionErrorPayload }
  | { type: 'result'; ok: true; payload: unknown }
  | { type: 'result'; ok: false; error: FunctionErrorPayload };

const BOOTSTRAP = new URL('./bootstrap.ts', import.meta.url).pathname;

/** The `node` devDependency: the major of Lambda's nodejs22.x, and new enough to run bootstrap.ts as is. */
const PINNED_NODE = fromRoot('node_modules/node/bin/node');
const DEFAULT_NODE = existsSync(PINNED_NODE) ? PINNED_NODE : process.execPath;

/** Lambda's Node.js runtime gives V8's old space about 90 % of the function's memory. */
const HEAP_SHARE = 0.9;

interface Instance {
  child: ChildProcess;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
  /** Resolves once INIT finished: undefined, or the INIT error. */
  ready: Promise<FunctionErrorPayload | undefined>;
  /** The pending invocation's settle, if any. */
  settle?: (outcome: InvocationOutcome) => void;
  dead: boolean;
}

function timedOut(seconds: number): FunctionErrorPayload {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `Task timed out after ${seconds.toFixed(2)} seconds`,
  };
}

export class FunctionHost {
  private readonly instances = new Set<Instance>();
  private readonly waiting: (() => void)[] = [];
  private stopped = false;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: FunctionHostOptions,
  ) {}

  private get cap(): number {
    return this.spec.reservedConcurrency ?? this.options.unreservedInstanceCap ?? 10;
  }

  private spawnInstance(): Instance {
    const heapMb = Math.floor(this.spec.memoryMb * HEAP_SHARE);
    const child = spawn(
      this.options.nodePath ?? DEFAULT_NODE,
      [`--max-old-space-size=${heapMb}`, BOOTSTRAP, this.spec.entryFile, this.spec.exportName],
      {
        cwd: this.spec.taskRoot,
        env: this.spec.env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // A process group of its own, so a timeout kills what the function started too.
        detached: true,
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.options.log(`[${this.spec.name}] ${line}`);
      });
    }
    let initDone: (error: FunctionErrorPayload | undefined) => void = () => undefined;
    const instance: Instance = {
      child,
      busy: false,
      dead: false,
      ready: new Promise((resolve) => {
        initDone = resolve;
      }),
    };
    const initLimit = (this.options.initTimeoutSeconds ?? 10) * 1000;
    const initTimer = setTimeout(() => {
      initDone({
        errorType: 'Runtime.InitTimeout',
        errorMessage: `INIT did not finish within ${initLimit / 1000} s`,
      });
      this.kill(instance);
    }, initLimit);
    child.on('message', (message: ChildMessage) => {
      switch (message.type) {
        case 'ready':
          clearTimeout(initTimer);
          initDone(undefined);
          break;
        case 'init-error':
          clearTimeout(initTimer);
          initDone(message.error);
          this.kill(instance);
          break;
        case 'crash':
          instance.settle?.({ ok: false, error: message.error });
          this.kill(instance);
          break;
        case 'result':
          instance.settle?.(
            message.ok ? { ok: true, payload: message.payload } : { ok: false, error: message.error },
          );
          break;
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(initTimer);
      initDone({
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: exited during INIT (${signal ?? `code ${String(code)}`})`,
      });
      instance.settle?.({
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited with ${signal ?? `error: exit status ${String(code)}`}`,
        },
      });
      this.forget(instance);
    });
    this.instances.add(instance);
    return instance;
  }

  private kill(instance: Instance): void {
    clearTimeout(instance.idleTimer);
    if (instance.dead) return;
    instance.dead = true;
    const pid = instance.child.pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    this.forget(instance);
  }

  private forget(instance: Instance): void {
    instance.dead = true;
    if (this.instances.delete(instance)) this.waiting.shift()?.();
  }

  /** An idle warm environment, a new one within the cap, or undefined (all busy at the cap). */
  private acquire(): Instance | undefined {
    for (const instance of this.instances) {
      if (!instance.busy && !instance.dead) {
        clearTimeout(instance.idleTimer);
        instance.busy = true;
        return instance;
      }
    }
    if (this.instances.size >= this.cap) return undefined;
    const instance = this.spawnInstance();
    instance.busy = true;
    return instance;
  }

  private release(instance: Instance): void {
    instance.busy = false;
    instance.settle = undefined;
    instance.idleTimer = setTimeout(
      () => {
        this.kill(instance);
      },
      (this.options.idleSeconds ?? 600) * 1000,
    );
    instance.idleTimer.unref();
    this.waiting.shift()?.();
  }

  /**
   * One synchronous invocation. `throttle`: beyond the reserved concurrency, fail with
   * FunctionThrottledError (the Invoke API, the gateway); otherwise wait for an environment (an event
   * source mapping, which retries a throttled batch). Without a reservation, invocations wait at the cap.
   */
  async invoke(
    event: unknown,
    options: { throttle: boolean; traceHeader?: string } = { throttle: true },
  ): Promise<InvocationOutcome> {
    let instance: Instance | undefined;
    for (;;) {
      if (this.stopped) throw new Error(`${this.spec.name} is stopped`);
      instance = this.acquire();
      if (instance !== undefined) break;
      if (options.throttle && this.spec.reservedConcurrency !== undefined)
        throw new FunctionThrottledError(this.spec.name);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const initError = await instance.ready;
    if (initError !== undefined) {
      this.kill(instance);
      return { ok: false, error: initError };
    }
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const current = instance;
    const outcome = await new Promise<InvocationOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.options.log(`[${this.spec.name}] ${timedOut(this.spec.timeoutSeconds).errorMessage}`);
        resolve({ ok: false, error: timedOut(this.spec.timeoutSeconds) });
        this.kill(current);
      }, timeoutMs);
      current.settle = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      current.child.send({
        type: 'invoke',
        event,
        deadline: Date.now() + timeoutMs,
        requestId: randomUUID(),
        invokedFunctionArn: this.spec.arn,
        traceHeader: invocationTraceHeader(options.traceHeader),
      });
    });
    // A killed environment already made room for a waiter (forget).
    if (!current.dead) this.release(current);
    return outcome;
  }

  /** Ends every environment (a running invocation fails, as when Lambda recycles a sandbox). */
  stop(): void {
    this.stopped = true;
    for (const instance of [...this.instances]) this.kill(instance);
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** Warm environments now (for tests and the start banner). */
  get warmInstances(): number {
    return this.instances.size;
  }
}
