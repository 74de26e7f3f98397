// Shared plumbing for the client scripts: read the JSON config, run the steps, print one JSON line.
//
// Exit codes: 0 every step succeeded; 1 a step failed with an error the server sent (reported in
// the JSON); 2 anything else (bad config, a bug here, a library crash, the watchdog timing out).

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const WATCHDOG_MS = 45_000;

// Stdout carries only the report line: library chatter goes to stderr.
console.log = console.error;
console.info = console.error;

/**
 * Record every request the client library makes through the global fetch: the operation (from
 * X-Amz-Target), the HTTP status and, for errors, the x-amzn-errortype header. Libraries that
 * swallow errors (Amplify's signOut) are checked through this list.
 */
export function recordCalls() {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    const target = headers.get('x-amz-target') ?? '';
    const call = { operation: target.split('.').pop() || null, status: null };
    calls.push(call);
    try {
      const response = await realFetch(input, init);
      call.status = response.status;
      const errorType = response.headers.get('x-amzn-errortype');
      if (errorType) call.errorType = errorType;
      return response;
    } catch (err) {
      call.error = String(err?.cause?.code ?? err?.message ?? err);
      throw err;
    }
  };
  return calls;
}

/** The config: JSON in argv[2], else in POOLGATE_JS_CONFIG. */
export function readConfig(required) {
  const text = process.argv[2] ?? process.env.POOLGATE_JS_CONFIG;
  if (!text) {
    throw new ConfigError('pass the JSON config as the first argument or in POOLGATE_JS_CONFIG');
  }
  let config;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config is not JSON: ${err.message}`);
  }
  const missing = required.filter((key) => typeof config[key] !== 'string' || config[key] === '');
  if (missing.length) {
    throw new ConfigError(`config lacks ${missing.join(', ')}`);
  }
  return config;
}

export class ConfigError extends Error {
  name = "ConfigError";
}

/** Installed version of an npm package, for the report. */
export function packageVersion(name) {
  return require(`${name}/package.json`).version;
}

/** The payload of a JWT, without checking anything (the Python side verifies signatures). */
export function jwtPayload(token) {
  if (typeof token !== 'string') return null;
  const part = token.split('.')[1];
  if (!part) return null;
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** A service error as the client library reported it. */
export function describeError(err) {
  return {
    name: err?.name ?? null,
    code: err?.code ?? null,
    message: err?.message ?? String(err),
    statusCode: err?.statusCode ?? err?.$metadata?.httpStatusCode ?? null,
  };
}

/** True when the error came from the server (a Cognito-style `...Exception` name), not from a crash. */
export function isServiceError(err) {
  return /^[A-Z][A-Za-z]*Exception$/.test(err?.code || err?.name || '');
}

/** A failure of one step, carrying what is printed for it. */
export class StepFailure extends Error {
  constructor(step, detail, exitCode = 1) {
    super(`${step} failed`);
    this.step = step;
    this.detail = detail;
    this.exitCode = exitCode;
  }
}

/** Run one named step; a thrown service error becomes a StepFailure (exit 1), anything else exit 2. */
export async function step(report, name, fn) {
  try {
    const result = await fn();
    report.steps[name] = { ok: true, ...result };
    return result;
  } catch (err) {
    if (err instanceof StepFailure) throw err;
    const expected = isServiceError(err);
    const detail = { ok: false, error: describeError(err) };
    if (!expected && err?.stack) detail.stack = String(err.stack).split('\n').slice(0, 6);
    report.steps[name] = detail;
    throw new StepFailure(name, detail, expected ? 1 : 2);
  }
}

/** Print the report as one JSON line and exit with the code for it. */
function finish(report, code) {
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(code));
}

/** Run `body(report)` with a watchdog; always print one JSON line. */
export async function main(client, body) {
  const report = { client, ok: false, steps: {} };
  const watchdog = setTimeout(() => {
    report.failedStep = report.failedStep ?? 'watchdog';
    report.error = { name: 'Timeout', message: `no result after ${WATCHDOG_MS} ms` };
    finish(report, 2);
  }, WATCHDOG_MS);
  watchdog.unref();
  try {
    await body(report);
    report.ok = true;
    clearTimeout(watchdog);
    finish(report, 0);
  } catch (err) {
    clearTimeout(watchdog);
    if (err instanceof StepFailure) {
      report.failedStep = err.step;
      report.error = err.detail.error;
      finish(report, err.exitCode);
    } else {
      report.error = describeError(err);
      if (!(err instanceof ConfigError)) report.stack = String(err?.stack ?? '').split('\n').slice(0, 6);
      finish(report, 2);
    }
  }
}
