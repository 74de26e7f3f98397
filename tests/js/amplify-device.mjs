// Remembered devices with Amplify JS v6: sign in (Amplify confirms the new device itself), read the
// session, refresh it (GetTokensFromRefreshToken with the device key), remember the device, list the
// devices, sign out and sign in again (device SRP), forget the device.
//
//   node amplify-device.mjs '{"endpoint": "http://127.0.0.1:8000", "userPoolId": "us-east-1_abc",
//                             "clientId": "...", "username": "alice", "password": "..."}'
//
// Prints one JSON line (see common.mjs for the exit codes); each step lists its requests
// (requests.mjs).

import { webcrypto } from 'node:crypto';

import { Amplify } from 'aws-amplify';
import {
  fetchAuthSession, fetchDevices, forgetDevice, rememberDevice, signIn, signOut,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

import { StepFailure, main, packageVersion, readConfig, recordCalls, step } from './common.mjs';
import { recordRequests } from './requests.mjs';

globalThis.crypto ??= webcrypto;
// A browser has navigator.userAgent, which Amplify sends as the DeviceName of ConfirmDevice; Node 20
// has no navigator, and without one Amplify silently skips ConfirmDevice.
globalThis.navigator ??= { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) poolgate-tests' };

/** Amplify's KeyValueStorageInterface over a Map. */
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
}

await main('aws-amplify', async (report) => {
  const config = readConfig(['endpoint', 'userPoolId', 'clientId', 'username', 'password']);
  report.version = packageVersion('aws-amplify');
  report.calls = recordCalls();
  const requests = recordRequests();
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.clientId,
        userPoolEndpoint: config.endpoint,
      },
    },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage(new MapStorage());

  /** Run ``fn`` as step ``name``, adding the requests it made to what it returns. */
  const traced = (name, fn) => step(report, name, async () => {
    const from = requests.length;
    const result = (await fn()) ?? {};
    return { ...result, requests: requests.slice(from) };
  });

  const signedIn = async () => {
    const result = await signIn({ username: config.username, password: config.password });
    if (!result.isSignedIn) {
      throw new StepFailure('signIn', {
        ok: false,
        error: { name: 'NotSignedIn', code: null, message: `next step ${result.nextStep?.signInStep}` },
      });
    }
    const { tokens } = await fetchAuthSession();
    return { accessToken: tokens.accessToken.toString(), deviceKey: tokens.accessToken.payload.device_key ?? null };
  };

  await traced('signIn', signedIn);
  await traced('forceRefresh', async () => {
    const { tokens } = await fetchAuthSession({ forceRefresh: true });
    if (!tokens) throw new StepFailure('forceRefresh', { ok: false, error: { name: 'NoTokens', code: null, message: 'refresh failed' } });
    return { deviceKey: tokens.accessToken.payload.device_key ?? null };
  });
  await traced('rememberDevice', async () => {
    await rememberDevice();
  });
  await traced('fetchDevices', async () => ({ devices: await fetchDevices() }));
  await traced('signOut', async () => {
    await signOut();
  });
  await traced('deviceSignIn', signedIn);
  await traced('forgetDevice', async () => {
    await forgetDevice();
  });
});
