/**
 * One Lambda execution environment of the local stack: a Node.js process that loads one function's
 * synthesized bundle (its INIT phase), then runs invocations one at a time as the host sends them over
 * IPC, with a Lambda `Context` whose deadline the host sets. Run by Node directly (type stripping: no
 * loader, no project import), so the process holds exactly the bundle and the environment its function
 * has on AWS; the host (function-host.ts) enforces the timeout by killing this process, as Lambda
 * stops a sandbox.
 *
 * Usage: node bootstrap.ts <bundle file> <export name>
 */
import { pathToFileURL } from 'node:url';

interface InvokeMessage {
  type: 'invoke';
  event: unknown;
  /** Epoch milliseconds at which the host stops the invocation. */
  deadline: number;
  requestId: string;
  invokedFunctionArn: string;
  /** The invocation's X-Ray trace header, which Lambda's runtime puts in `_X_AMZN_TRACE_ID`. */
  traceHeader: string;
}

interface ErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

type Handler = (event: unknown, context: unknown) => unknown;

function payloadOf(error: unknown): ErrorPayload {
  const failure = error instanceof Error ? error : new Error(String(error));
  return { errorType: failure.name, errorMessage: failure.message, trace: (failure.stack ?? '').split('\n') };
}

function send(message: object): void {
  process.send?.(message);
}

const [file, exportName] = process.argv.slice(2);

function legacyCallback(): never {
  throw new Error('The callback-style context.done/succeed/fail are not supported by the local runtime');
}

async function init(): Promise<Handler> {
  const module = (await import(pathToFileURL(file ?? '').href)) as Record<string, unknown>;
  const handler = module[exportName ?? 'handler'];
  if (typeof handler !== 'function') {
    const error = new Error(`${file ?? ''} does not export ${exportName ?? 'handler'}`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return handler as Handler;
}

// A crash outside any awaited promise ends the environment, as Lambda's runtime does.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    const payload = payloadOf(error);
    console.error(`${event}: ${payload.trace.join('\n')}`);
    send({
      type: 'crash',
      error: {
        ...payload,
        errorType: event === 'unhandledRejection' ? 'Runtime.UnhandledPromiseRejection' : payload.errorType,
      },
    });
    process.exitCode = 129;
    setImmediate(() => process.exit());
  });
}

const initStartedAt = performance.now();
init().then(
  (handler) => {
    send({ type: 'ready', initMs: performance.now() - initStartedAt });
    process.on('message', (message: InvokeMessage) => {
      const env = process.env;
      env._X_AMZN_TRACE_ID = message.traceHeader;
      const context = {
        callbackWaitsForEmptyEventLoop: false,
        functionName: env.AWS_LAMBDA_FUNCTION_NAME,
        functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
        invokedFunctionArn: message.invokedFunctionArn,
        memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        awsRequestId: message.requestId,
        logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
        logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
        getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
        done: legacyCallback,
        fail: legacyCallback,
        succeed: legacyCallback,
      };
      Promise.resolve()
        .then(() => handler(message.event, context))
        .then(
          (result: unknown) => {
            send({ type: 'result', ok: true, payload: result ?? null });
          },
          (error: unknown) => {
            send({ type: 'result', ok: false, error: payloadOf(error) });
          },
        );
    });
  },
  (error: unknown) => {
    const payload = payloadOf(error);
    console.error(`INIT_REPORT Status: error Error Type: ${payload.errorType}\n${payload.trace.join('\n')}`);
    send({ type: 'init-error', error: payload });
  },
);
