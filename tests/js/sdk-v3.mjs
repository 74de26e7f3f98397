// The AWS SDK for JavaScript v3 (@aws-sdk/client-cognito-identity-provider), the usual Cognito
// client of Node back ends: admin calls SigV4-signed with an access key, the public sign-up,
// sign-in, GetUser and refresh calls from a client that has no credentials at all, and the errors
// as the SDK parses them (name, message, modeled class, HTTP status, fault).
//
//   node sdk-v3.mjs '{"endpoint": "http://127.0.0.1:9229", "region": "us-east-1",
//                     "userPoolId": "us-east-1_abc", "clientId": "...", "username": "alice",
//                     "password": "...", "accessKeyId": "AKIA...", "secretAccessKey": "...",
//                     "messagesUrl": "http://127.0.0.1:9229/_testing/messages"}'
//
// "username" is created by the script (AdminCreateUser); "username" + "-signup" signs itself up.
// Prints one JSON line (see common.mjs for the exit codes).

import * as sdk from '@aws-sdk/client-cognito-identity-provider';

import { StepFailure, describeError, isServiceError, jwtPayload, main, packageVersion, readConfig, step } from './common.mjs';

const {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  ConfirmSignUpCommand,
  GetUserCommand,
  InitiateAuthCommand,
  SignUpCommand,
} = sdk;

/** Record each call the SDK sends: operation, whether it was signed, HTTP status, error name. */
function recordCalls(client, calls) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const headers = args.request?.headers ?? {};
      const call = {
        operation: String(context.commandName ?? '').replace(/Command$/, ''),
        signed: /^AWS4-HMAC-SHA256 /.test(headers.authorization ?? headers.Authorization ?? ''),
        status: null,
      };
      calls.push(call);
      try {
        const out = await next(args);
        call.status = out.response?.statusCode ?? null;
        return out;
      } catch (err) {
        call.status = err?.$metadata?.httpStatusCode ?? null;
        call.errorType = err?.name ?? null;
        throw err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'poolgateRecordCalls' },
  );
}

/** A step that must fail with a service error: what the SDK made of it. */
async function expectError(report, name, fn) {
  return step(report, name, async () => {
    let result;
    try {
      result = await fn();
    } catch (err) {
      if (!isServiceError(err)) throw err;
      return {
        error: describeError(err),
        modeledClass: typeof sdk[err.name] === 'function' && err instanceof sdk[err.name],
        serviceException: err instanceof CognitoIdentityProviderServiceException,
        fault: err.$fault ?? null,
      };
    }
    throw new StepFailure(name, { ok: false, error: { name: 'NoError', message: 'the call succeeded', result } });
  });
}

function tokens(result) {
  const auth = result.AuthenticationResult ?? {};
  return {
    accessToken: auth.AccessToken ?? null,
    idToken: auth.IdToken ?? null,
    refreshToken: auth.RefreshToken ?? null,
    expiresIn: auth.ExpiresIn ?? null,
    tokenType: auth.TokenType ?? null,
    username: jwtPayload(auth.AccessToken)?.username ?? null,
  };
}

await main('@aws-sdk/client-cognito-identity-provider', async (report) => {
  const config = readConfig([
    'endpoint', 'region', 'userPoolId', 'clientId', 'username', 'password', 'accessKeyId', 'secretAccessKey',
    'messagesUrl',
  ]);
  report.version = packageVersion('@aws-sdk/client-cognito-identity-provider');
  report.calls = [];
  const common = { region: config.region, endpoint: config.endpoint, maxAttempts: 1 };
  const admin = new CognitoIdentityProviderClient({
    ...common,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
  // What a browser or a mobile app has: no credentials (the public operations are unsigned).
  const pub = new CognitoIdentityProviderClient({
    ...common,
    credentials: () => Promise.reject(new Error('the public client must not ask for credentials')),
  });
  const stranger = new CognitoIdentityProviderClient({
    ...common,
    credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'not-a-secret-poolgate-knows-0000' },
  });
  for (const client of [admin, pub, stranger]) recordCalls(client, report.calls);
  const pool = { UserPoolId: config.userPoolId };

  await step(report, 'adminCreateUser', async () => {
    const out = await admin.send(new AdminCreateUserCommand({
      ...pool, Username: config.username, MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: `${config.username}@example.com` }],
    }));
    return { userStatus: out.User?.UserStatus ?? null, created: out.User?.UserCreateDate instanceof Date };
  });
  await step(report, 'adminSetUserPassword', async () => {
    await admin.send(new AdminSetUserPasswordCommand({
      ...pool, Username: config.username, Password: config.password, Permanent: true,
    }));
    return {};
  });
  await step(report, 'adminGetUser', async () => {
    const out = await admin.send(new AdminGetUserCommand({ ...pool, Username: config.username }));
    return {
      userStatus: out.UserStatus, enabled: out.Enabled,
      attributes: Object.fromEntries((out.UserAttributes ?? []).map((a) => [a.Name, a.Value])),
    };
  });

  const signedIn = await step(report, 'signIn', async () => tokens(await pub.send(new InitiateAuthCommand({
    ClientId: config.clientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: config.username, PASSWORD: config.password },
  }))));
  await step(report, 'getUser', async () => {
    const out = await pub.send(new GetUserCommand({ AccessToken: signedIn.accessToken }));
    return { username: out.Username, attributes: Object.fromEntries(out.UserAttributes.map((a) => [a.Name, a.Value])) };
  });
  await step(report, 'refresh', async () => tokens(await pub.send(new InitiateAuthCommand({
    ClientId: config.clientId, AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: signedIn.refreshToken },
  }))));

  const signUpName = `${config.username}-signup`;
  await step(report, 'signUp', async () => {
    const out = await pub.send(new SignUpCommand({
      ClientId: config.clientId, Username: signUpName, Password: config.password,
      UserAttributes: [{ Name: 'email', Value: `${signUpName}@example.com` }],
    }));
    return { userConfirmed: out.UserConfirmed, destination: out.CodeDeliveryDetails?.DeliveryMedium ?? null };
  });
  await step(report, 'confirmSignUp', async () => {
    const url = `${config.messagesUrl}?userPoolId=${config.userPoolId}&username=${signUpName}`;
    const { messages } = await (await fetch(url)).json();
    const code = messages.at(-1)?.code;
    await pub.send(new ConfirmSignUpCommand({ ClientId: config.clientId, Username: signUpName, ConfirmationCode: code }));
    return { code };
  });
  await step(report, 'signInAfterSignUp', async () => tokens(await pub.send(new InitiateAuthCommand({
    ClientId: config.clientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: signUpName, PASSWORD: config.password },
  }))));

  await expectError(report, 'wrongPassword', () => pub.send(new InitiateAuthCommand({
    ClientId: config.clientId, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: config.username, PASSWORD: `${config.password}-wrong` },
  })));
  await expectError(report, 'userNotFound', () => admin.send(new AdminGetUserCommand({ ...pool, Username: 'nobody-here' })));
  await expectError(report, 'poolNotFound', () => admin.send(new AdminGetUserCommand({
    UserPoolId: `${config.region}_NoSuchPoo`, Username: config.username,
  })));
  await expectError(report, 'invalidParameter', () => admin.send(new AdminCreateUserCommand({ ...pool, Username: '' })));
  await expectError(report, 'usernameExists', () => pub.send(new SignUpCommand({
    ClientId: config.clientId, Username: config.username, Password: config.password,
  })));
  await expectError(report, 'unknownAccessKey', () => stranger.send(new AdminGetUserCommand({ ...pool, Username: config.username })));
});
