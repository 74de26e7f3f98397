// What each Cognito request of a client library asked, for the device scripts: the operation, the
// ChallengeName, whether a Session was sent and the DEVICE_KEY (or DeviceKey) it carried.

/** Wrap the global fetch; returns the list the requests are appended to. */
export function recordRequests() {
  const requests = [];
  const inner = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const request = input instanceof Request ? input : null;
    const headers = new Headers(init.headers ?? request?.headers ?? {});
    const operation = (headers.get('x-amz-target') ?? '').split('.').pop() || null;
    // Only the Cognito API calls (not this script's reads of the testing API).
    if (!operation) return inner(input, init);
    let body = {};
    try {
      const text = typeof init.body === 'string' ? init.body : await (request?.clone().text() ?? '{}');
      body = JSON.parse(text || '{}');
    } catch {
      body = {};
    }
    const parameters = body.ChallengeResponses ?? body.AuthParameters ?? {};
    requests.push({
      operation,
      challengeName: body.ChallengeName ?? null,
      session: Boolean(body.Session),
      deviceKey: parameters.DEVICE_KEY ?? body.DeviceKey ?? null,
    });
    return inner(input, init);
  };
  return requests;
}
