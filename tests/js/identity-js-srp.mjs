// Sign in with amazon-cognito-identity-js (USER_SRP_AUTH unless config.authFlow says otherwise),
// read the user with the access token, then refresh the session with the refresh token.
//
//   node identity-js-srp.mjs '{"endpoint": "http://127.0.0.1:8000/", "userPoolId": "us-east-1_abc",
//                              "clientId": "...", "username": "alice", "password": "..."}'
//
// Optional config: "authFlow" ("USER_SRP_AUTH" | "USER_PASSWORD_AUTH"), "refresh" (default true).
// Prints one JSON line (see common.mjs for the exit codes).

import { webcrypto } from 'node:crypto';

import cognito from 'amazon-cognito-identity-js';

import { StepFailure, jwtPayload, main, packageVersion, readConfig, recordCalls, step } from './common.mjs';

// The library draws its SRP secret from window.crypto or global.crypto.
globalThis.crypto ??= webcrypto;

const { AuthenticationDetails, CognitoRefreshToken, CognitoUser, CognitoUserPool } = cognito;

/**
 * Storage with window.localStorage's semantics (a missing key reads as null, not undefined as in
 * the library's Node fallback), so the requests match what a browser sends: refreshSession then
 * sends "DEVICE_KEY": null when no device is remembered.
 */
class LocalStorageLike {
  items = new Map();

  setItem(key, value) {
    this.items.set(key, String(value));
  }

  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }

  removeItem(key) {
    this.items.delete(key);
  }

  clear() {
    this.items.clear();
  }
}

function tokensOf(session) {
  const idToken = session.getIdToken().getJwtToken();
  const accessToken = session.getAccessToken().getJwtToken();
  const id = jwtPayload(idToken);
  const access = jwtPayload(accessToken);
  return {
    idToken,
    accessToken,
    refreshToken: session.getRefreshToken().getToken() || null,
    valid: session.isValid(),
    sub: id?.sub ?? null,
    username: id?.['cognito:username'] ?? null,
    accessIat: access?.iat ?? null,
    originJti: access?.origin_jti ?? null,
  };
}

/** authenticateUser as a promise; a challenge this script does not answer is a failure. */
function authenticate(user, details) {
  return new Promise((resolve, reject) => {
    const unexpected = (challengeName) => (...args) => reject(new StepFailure('signIn', {
      ok: false,
      error: { name: 'UnexpectedChallenge', code: null, message: `server asked for ${challengeName}` },
      challengeArgs: args.filter((a) => typeof a !== 'function'),
    }));
    user.authenticateUser(details, {
      onSuccess: (session) => resolve(session),
      onFailure: (err) => reject(err),
      newPasswordRequired: unexpected('NEW_PASSWORD_REQUIRED'),
      mfaRequired: unexpected('SMS_MFA'),
      totpRequired: unexpected('SOFTWARE_TOKEN_MFA'),
      customChallenge: unexpected('CUSTOM_CHALLENGE'),
      mfaSetup: unexpected('MFA_SETUP'),
      selectMFAType: unexpected('SELECT_MFA_TYPE'),
    });
  });
}

function promised(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

await main('amazon-cognito-identity-js', async (report) => {
  const config = readConfig(['endpoint', 'userPoolId', 'clientId', 'username', 'password']);
  report.version = packageVersion('amazon-cognito-identity-js');
  report.calls = recordCalls();
  const storage = new LocalStorageLike();
  const pool = new CognitoUserPool({
    UserPoolId: config.userPoolId,
    ClientId: config.clientId,
    endpoint: config.endpoint,
    Storage: storage,
  });
  const user = new CognitoUser({ Username: config.username, Pool: pool, Storage: storage });
  const authFlow = config.authFlow ?? 'USER_SRP_AUTH';
  user.setAuthenticationFlowType(authFlow);
  report.authFlow = authFlow;

  const signedIn = await step(report, 'signIn', async () => {
    const details = new AuthenticationDetails({ Username: config.username, Password: config.password });
    return tokensOf(await authenticate(user, details));
  });

  await step(report, 'getUserAttributes', async () => {
    const attributes = await promised((cb) => user.getUserAttributes(cb));
    return { attributes: Object.fromEntries(attributes.map((a) => [a.getName(), a.getValue()])) };
  });

  if (config.refresh !== false) {
    await step(report, 'refreshSession', async () => {
      const refreshToken = new CognitoRefreshToken({ RefreshToken: signedIn.refreshToken });
      return tokensOf(await promised((cb) => user.refreshSession(refreshToken, cb)));
    });
  }
});
