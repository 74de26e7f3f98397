// Remembered devices with amazon-cognito-identity-js: sign in (the library confirms the new device
// itself), remember the device, read it, sign in again with a second CognitoUser sharing the storage
// (device SRP: DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER), refresh with the device key, forget
// the device, and sign in once more (an ordinary sign-in that hands out a new device).
//
//   node identity-js-device.mjs '{"endpoint": "http://127.0.0.1:8000/", "userPoolId": "us-east-1_abc",
//                                 "clientId": "...", "username": "alice", "password": "..."}'
//
// Optional config: "mfaCodes": a URL answering like /_testing/messages; when a sign-in is asked for
// SMS_MFA, the newest code found there is sent. Any other challenge fails the step.
// Prints one JSON line (see common.mjs for the exit codes); "requests" lists, per step, each request's
// operation, ChallengeName, whether it carried a Session and the DEVICE_KEY it sent.

import { webcrypto } from 'node:crypto';

import cognito from 'amazon-cognito-identity-js';

import { StepFailure, jwtPayload, main, packageVersion, readConfig, recordCalls, step } from './common.mjs';
import { recordRequests } from './requests.mjs';

globalThis.crypto ??= webcrypto;

const { CognitoUser, CognitoUserPool, AuthenticationDetails } = cognito;

/** window.localStorage semantics (missing keys read as null), shared by every CognitoUser here. */
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

function promised(fn) {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

function callbacks(resolve, reject) {
  return { onSuccess: (value) => resolve(value), onFailure: (err) => reject(err) };
}

async function newestCode(config) {
  const url = new URL(config.mfaCodes);
  url.searchParams.set('userPoolId', config.userPoolId);
  const response = await fetch(url);
  const { messages } = await response.json();
  const codes = messages.filter((m) => m.code).map((m) => m.code);
  return codes[codes.length - 1];
}

/** authenticateUser as a promise; SMS_MFA is answered from config.mfaCodes, anything else fails. */
function authenticate(user, config, prompts) {
  return new Promise((resolve, reject) => {
    const unexpected = (challengeName) => (...args) => reject(new StepFailure('signIn', {
      ok: false,
      error: { name: 'UnexpectedChallenge', code: null, message: `server asked for ${challengeName}` },
      challengeArgs: args.filter((a) => typeof a !== 'function'),
    }));
    const details = new AuthenticationDetails({ Username: config.username, Password: config.password });
    const handlers = {
      onSuccess: (session, userConfirmationNecessary) => resolve({ session, userConfirmationNecessary }),
      onFailure: (err) => reject(err),
      mfaRequired: (challengeName) => {
        prompts.push(challengeName);
        if (!config.mfaCodes) return unexpected(challengeName)();
        return newestCode(config).then(
          (code) => user.sendMFACode(code, handlers, 'SMS_MFA'),
          (err) => reject(err),
        );
      },
      newPasswordRequired: unexpected('NEW_PASSWORD_REQUIRED'),
      totpRequired: unexpected('SOFTWARE_TOKEN_MFA'),
      customChallenge: unexpected('CUSTOM_CHALLENGE'),
      mfaSetup: unexpected('MFA_SETUP'),
      selectMFAType: unexpected('SELECT_MFA_TYPE'),
    };
    user.authenticateUser(details, handlers);
  });
}

await main('amazon-cognito-identity-js', async (report) => {
  const config = readConfig(['endpoint', 'userPoolId', 'clientId', 'username', 'password']);
  report.version = packageVersion('amazon-cognito-identity-js');
  report.calls = recordCalls();
  const requests = recordRequests();
  const storage = new LocalStorageLike();
  const pool = new CognitoUserPool({
    UserPoolId: config.userPoolId,
    ClientId: config.clientId,
    endpoint: config.endpoint,
    Storage: storage,
  });
  const newUser = () => new CognitoUser({ Username: config.username, Pool: pool, Storage: storage });

  /** Run a sign-in step on a fresh CognitoUser; report its requests, prompts and the device. */
  const signIn = async (name) => {
    const user = newUser();
    const from = requests.length;
    const prompts = [];
    const result = await step(report, name, async () => {
      const { session, userConfirmationNecessary } = await authenticate(user, config, prompts);
      const access = jwtPayload(session.getAccessToken().getJwtToken());
      return {
        accessToken: session.getAccessToken().getJwtToken(),
        refreshToken: session.getRefreshToken().getToken(),
        deviceKeyClaim: access?.device_key ?? null,
        userConfirmationNecessary: userConfirmationNecessary ?? null,
        deviceKey: user.deviceKey ?? null,
        mfaPrompts: prompts,
        requests: requests.slice(from),
      };
    });
    return { user, result };
  };

  const first = await signIn('firstSignIn');

  await step(report, 'rememberDevice', async () => ({
    result: await new Promise((resolve, reject) => first.user.setDeviceStatusRemembered(callbacks(resolve, reject))),
  }));

  await step(report, 'getDevice', async () => {
    const data = await new Promise((resolve, reject) => first.user.getDevice(callbacks(resolve, reject)));
    return { device: data.Device };
  });

  const second = await signIn('deviceSignIn');

  await step(report, 'refreshSession', async () => {
    const from = requests.length;
    const refreshToken = second.user.getSignInUserSession().getRefreshToken();
    const session = await promised((cb) => second.user.refreshSession(refreshToken, cb));
    return {
      deviceKeyClaim: jwtPayload(session.getAccessToken().getJwtToken())?.device_key ?? null,
      requests: requests.slice(from),
    };
  });

  await step(report, 'forgetDevice', async () => {
    const from = requests.length;
    const result = await new Promise((resolve, reject) => second.user.forgetDevice(callbacks(resolve, reject)));
    return { result, requests: requests.slice(from) };
  });

  await signIn('signInAfterForget');
});
