// TOTP MFA with Amplify JS v6 on a pool whose MFA is ON: enrolment during sign-in (MFA_SETUP:
// AssociateSoftwareToken and VerifySoftwareToken with the Session), a wrong then a right code,
// a second sign-in answering SOFTWARE_TOKEN_MFA, then setUpTOTP / verifyTOTPSetup while signed in
// (a wrong code must be an error: Amplify ignores VerifySoftwareToken's Status), and the MFA
// preference read back.
//
//   node amplify-mfa.mjs '{"endpoint": "http://127.0.0.1:8000", "userPoolId": "us-east-1_abc",
//                          "clientId": "...", "username": "alice", "password": "..."}'
//
// Codes are computed here (RFC 6238, SHA-1, 6 digits, 30 s) from the wall clock: the server's
// testing clock must not have been moved. Prints one JSON line (see common.mjs).

import { createHmac, webcrypto } from 'node:crypto';

import { Amplify } from 'aws-amplify';
import {
  confirmSignIn,
  fetchMFAPreference,
  setUpTOTP,
  signIn,
  signOut,
  updateMFAPreference,
  verifyTOTPSetup,
} from 'aws-amplify/auth';

import { StepFailure, describeError, main, packageVersion, readConfig, recordCalls, step } from './common.mjs';

globalThis.crypto ??= webcrypto;

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not Base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The TOTP code of `secret` (Base32) at `seconds` (epoch). */
function totp(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const digest = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

const now = () => Date.now() / 1000;

/** A step that must fail with a service error; records the error's name and message. */
async function refused(report, name, fn) {
  try {
    await fn();
  } catch (err) {
    report.steps[name] = { ok: true, error: describeError(err) };
    return;
  }
  throw new StepFailure(name, { ok: false, error: { name: 'NoError', message: `${name} did not fail` } });
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

  const setup = await step(report, 'signIn', async () => {
    const result = await signIn({ username: config.username, password: config.password });
    return {
      nextStep: result.nextStep?.signInStep ?? null,
      sharedSecret: result.nextStep?.totpSetupDetails?.sharedSecret ?? null,
    };
  });
  await refused(report, 'confirmSetupWrongCode', () => confirmSignIn({ challengeResponse: '000000' }));
  await step(report, 'confirmSetup', async () => {
    const result = await confirmSignIn({ challengeResponse: totp(setup.sharedSecret, now()) });
    return { isSignedIn: result.isSignedIn, nextStep: result.nextStep?.signInStep ?? null };
  });
  await step(report, 'preferenceAfterSetup', async () => ({ ...(await fetchMFAPreference()) }));
  await step(report, 'signOut', async () => {
    await signOut();
    return {};
  });

  await step(report, 'signInAgain', async () => {
    const result = await signIn({ username: config.username, password: config.password });
    return { nextStep: result.nextStep?.signInStep ?? null };
  });
  await refused(report, 'confirmWrongCode', () => confirmSignIn({ challengeResponse: '000000' }));
  await step(report, 'confirmCode', async () => {
    // The setup used the current time step; the next one is accepted too (one step of drift).
    const result = await confirmSignIn({ challengeResponse: totp(setup.sharedSecret, now() + 30) });
    return { isSignedIn: result.isSignedIn };
  });

  const replacement = await step(report, 'setUpTOTP', async () => {
    const details = await setUpTOTP();
    return { sharedSecret: details.sharedSecret };
  });
  await refused(report, 'verifyTOTPSetupWrongCode', () => verifyTOTPSetup({ code: '000000' }));
  await step(report, 'verifyTOTPSetup', async () => {
    await verifyTOTPSetup({ code: totp(replacement.sharedSecret, now()) });
    return {};
  });
  await step(report, 'updateMFAPreference', async () => {
    await updateMFAPreference({ totp: 'PREFERRED' });
    return { ...(await fetchMFAPreference()) };
  });
  await step(report, 'finalSignOut', async () => {
    await signOut();
    return {};
  });
});
