// Sign in with Amplify JS v6 (SRP unless config.authFlow says otherwise), read the session, force a
// refresh (Amplify refreshes through GetTokensFromRefreshToken), read the current user, sign out.
//
//   node amplify-signin.mjs '{"endpoint": "http://127.0.0.1:8000", "userPoolId": "us-east-1_abc",
//                             "clientId": "...", "username": "alice", "password": "..."}'
//
// Optional config: "authFlow" (an Amplify authFlowType such as "USER_PASSWORD_AUTH"), "signOut"
// (default true; false leaves the session alive for the caller to inspect).
// Prints one JSON line (see common.mjs for the exit codes). `calls` lists every request Amplify
// made, since signOut swallows the errors of RevokeToken.

import { webcrypto } from 'node:crypto';

import { Amplify } from 'aws-amplify';
import { fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { StepFailure, main, packageVersion, readConfig, recordCalls, step } from './common.mjs';

globalThis.crypto ??= webcrypto;

/** Amplify's KeyValueStorageInterface over a Map, so the script can read the refresh token. */
class MapStorage {
  items = new Map();

  async setItem(key, value) {
    this.items.set(key, value);
  }

  async getItem(key) {
    return this.items.get(key) ?? null;
  }

  async removeItem(key) {
    this.items.delete(key);
  }

  async clear() {
    this.items.clear();
  }

  refreshToken() {
    for (const [key, value] of this.items) {
      if (key.endsWith('.refreshToken')) return value;
    }
    return null;
  }
}

function describeSession(session, storage) {
  const { tokens } = session;
  if (!tokens) return { hasTokens: false };
  const access = tokens.accessToken.payload;
  const id = tokens.idToken?.payload;
  return {
    hasTokens: true,
    idToken: tokens.idToken?.toString() ?? null,
    accessToken: tokens.accessToken.toString(),
    refreshToken: storage.refreshToken(),
    sub: id?.sub ?? null,
    userSub: session.userSub ?? null,
    username: id?.['cognito:username'] ?? null,
    accessIat: access.iat ?? null,
    accessJti: access.jti ?? null,
    hasOriginJti: Boolean(access.origin_jti),
    originJti: access.origin_jti ?? null,
  };
}

await main('aws-amplify', async (report) => {
  const config = readConfig(['endpoint', 'userPoolId', 'clientId', 'username', 'password']);
  report.version = packageVersion('aws-amplify');
  report.calls = recordCalls();

  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.clientId,
        userPoolEndpoint: config.endpoint,
      },
    },
  });
  const storage = new MapStorage();
  cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);

  await step(report, 'signIn', async () => {
    const options = config.authFlow ? { authFlowType: config.authFlow } : undefined;
    const result = await signIn({ username: config.username, password: config.password, options });
    if (!result.isSignedIn) {
      throw new StepFailure('signIn', {
        ok: false,
        error: { name: 'NotSignedIn', code: null, message: `next step ${result.nextStep?.signInStep}` },
        nextStep: result.nextStep,
      });
    }
    return { isSignedIn: result.isSignedIn, nextStep: result.nextStep?.signInStep ?? null };
  });

  await step(report, 'fetchAuthSession', async () => describeSession(await fetchAuthSession(), storage));

  await step(report, 'forceRefresh', async () => {
    const session = describeSession(await fetchAuthSession({ forceRefresh: true }), storage);
    if (!session.hasTokens) {
      // Amplify drops the tokens without an error when the refresh fails: say which call failed.
      const refresh = report.calls.filter((c) => c.operation === 'GetTokensFromRefreshToken').pop();
      throw new StepFailure('forceRefresh', {
        ok: false,
        error: {
          name: refresh?.errorType?.split(':')[0] ?? 'NoTokensAfterRefresh',
          code: null,
          message: 'fetchAuthSession({forceRefresh: true}) returned no tokens',
        },
        call: refresh ?? null,
      });
    }
    return session;
  });

  await step(report, 'getCurrentUser', async () => {
    const user = await getCurrentUser();
    return { username: user.username, userId: user.userId, loginId: user.signInDetails?.loginId ?? null };
  });

  if (config.signOut === false) return;
  await step(report, 'signOut', async () => {
    const before = report.calls.length;
    await signOut();
    const after = await fetchAuthSession();
    return {
      calls: report.calls.slice(before).filter((c) => c.operation),
      hasTokensAfter: Boolean(after.tokens),
    };
  });
});
