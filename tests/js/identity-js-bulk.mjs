// Many USER_SRP_AUTH sign-ins with amazon-cognito-identity-js, each right one followed by a wrong
// one for the same user (so no user reaches the lockout), one after another.
//
//   node identity-js-bulk.mjs '{"endpoint": "http://127.0.0.1:8000/", "userPoolId": "us-east-1_abc",
//                               "clientId": "...", "usernames": ["a", "b"], "password": "...",
//                               "wrongPassword": "...", "count": 300}'
//
// Prints one JSON line: how many right sign-ins got tokens, how many wrong ones were refused and
// with which error codes, anything unexpected, and the seconds taken. Exit 0 when it ran to the end
// (the caller judges the counts), 2 when it could not run.

import { webcrypto } from 'node:crypto';

import cognito from 'amazon-cognito-identity-js';

import { describeError, packageVersion, readConfig } from './common.mjs';

globalThis.crypto ??= webcrypto;

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = cognito;

/** One sign-in; resolves to {ok: true} with tokens, {ok: false, error} when refused. */
function signIn(pool, username, password) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  user.setAuthenticationFlowType('USER_SRP_AUTH');
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve) => {
    const other = (name) => () => resolve({ ok: false, error: { name: 'UnexpectedChallenge', message: name } });
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ ok: true, valid: session.isValid() }),
      onFailure: (err) => resolve({ ok: false, error: describeError(err) }),
      newPasswordRequired: other('NEW_PASSWORD_REQUIRED'),
      mfaRequired: other('SMS_MFA'),
      totpRequired: other('SOFTWARE_TOKEN_MFA'),
      customChallenge: other('CUSTOM_CHALLENGE'),
      mfaSetup: other('MFA_SETUP'),
      selectMFAType: other('SELECT_MFA_TYPE'),
    });
  });
}

let config;
try {
  config = readConfig(['endpoint', 'userPoolId', 'clientId', 'password', 'wrongPassword']);
  if (!Array.isArray(config.usernames) || !config.usernames.length || !Number.isInteger(config.count)) {
    throw new Error('config needs "usernames" (a non-empty list) and "count" (an integer)');
  }
} catch (err) {
  config = undefined;
  process.stdout.write(`${JSON.stringify({ ok: false, error: describeError(err) })}\n`, () => process.exit(2));
}
if (config) {
  const pool = new CognitoUserPool({ UserPoolId: config.userPoolId, ClientId: config.clientId, endpoint: config.endpoint });
  const report = {
    client: 'amazon-cognito-identity-js',
    version: packageVersion('amazon-cognito-identity-js'),
    rightWithTokens: 0,
    wrongRefused: {},
    unexpected: [],
  };
  const started = Date.now();
  for (let i = 0; i < config.count; i += 1) {
    const username = config.usernames[i % config.usernames.length];
    const right = await signIn(pool, username, config.password);
    if (right.ok && right.valid) report.rightWithTokens += 1;
    else if (report.unexpected.length < 20) report.unexpected.push({ i, username, password: 'right', ...right });
    const wrong = await signIn(pool, username, config.wrongPassword);
    if (wrong.ok) {
      if (report.unexpected.length < 20) report.unexpected.push({ i, username, password: 'wrong', accepted: true });
    } else {
      const code = wrong.error?.code || wrong.error?.name || 'unknown';
      report.wrongRefused[code] = (report.wrongRefused[code] ?? 0) + 1;
    }
  }
  report.seconds = (Date.now() - started) / 1000;
  report.ok = true;
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
}
