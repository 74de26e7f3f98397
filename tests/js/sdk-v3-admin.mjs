// Signed (IAM) cognito-idp calls made by the AWS SDK for JavaScript v3, to check that its SigV4
// signer covers every x-amz-* header it sends (Poolgate refuses an unsigned one).
//
//   node sdk-v3-admin.mjs '{"endpoint": "http://127.0.0.1:8000", "region": "us-east-1",
//                           "accessKeyId": "...", "secretAccessKey": "...", "userPoolId": "us-east-1_abc"}'
//
// The SDK's cognito-identity-provider client is not installed here, but every v3 client shares the
// same middleware stack (user agent, invocation id, retry headers, the @smithy/signature-v4 signer)
// and the same AWS JSON 1.1 protocol. So a client of another JSON 1.1 service that is in the lock
// file (Kinesis Data Firehose, which aws-amplify depends on) is pointed at Poolgate: its signing
// name becomes "cognito-idp", and a build-step middleware (which runs before signing) puts the
// Cognito operation in X-Amz-Target and its parameters in the body. The report lists, per call,
// the HTTP status, the headers sent and the ones the signature covered.
//
// Prints one JSON line (see common.mjs for the exit codes).

import { FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';

import { StepFailure, main, packageVersion, readConfig, step } from './common.mjs';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService';

function cognitoClient(config) {
  const client = new FirehoseClient({
    endpoint: config.endpoint,
    region: config.region,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 1,
    httpAuthSchemeProvider: (parameters) => [
      {
        schemeId: 'aws.auth#sigv4',
        signingProperties: { name: 'cognito-idp', region: parameters.region },
        propertiesExtractor: (clientConfig, context) => ({
          signingProperties: { config: clientConfig, context, signingName: 'cognito-idp' },
        }),
      },
    ],
  });
  const sent = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      args.request.headers['x-amz-target'] = `${TARGET_PREFIX}.${context.cognitoOperation}`;
      args.request.body = JSON.stringify(context.cognitoParams);
      delete args.request.headers['content-length'];
      return next(args);
    },
    { step: 'build', name: 'poolgateCognitoTarget' },
  );
  // The deserialize step runs after signing: it sees the request as it goes on the wire.
  client.middlewareStack.add(
    (next) => async (args) => {
      const headers = Object.keys(args.request.headers).map((name) => name.toLowerCase()).sort();
      const auth = args.request.headers.authorization ?? args.request.headers.Authorization ?? '';
      const signed = (auth.match(/SignedHeaders=([^,]+)/)?.[1] ?? '').split(';');
      const call = { headers, signed, status: null };
      sent.push(call);
      try {
        const result = await next(args);
        call.status = result.response.statusCode;
        return result;
      } catch (err) {
        call.status = err?.$metadata?.httpStatusCode ?? null;
        throw err;
      }
    },
    { step: 'deserialize', name: 'poolgateRecordSigned', priority: 'high' },
  );
  return { client, sent };
}

await main('aws-sdk-js-v3', async (report) => {
  const config = readConfig(['endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'userPoolId']);
  report.version = packageVersion('@aws-sdk/client-firehose');
  const { client, sent } = cognitoClient(config);
  report.calls = sent;
  const operations = [
    ['ListUserPools', { MaxResults: 1 }],
    ['DescribeUserPool', { UserPoolId: config.userPoolId }],
  ];
  for (const [operation, params] of operations) {
    await step(report, operation, async () => {
      const command = new ListDeliveryStreamsCommand({});
      command.middlewareStack.add(
        (next, context) => async (args) => {
          context.cognitoOperation = operation;
          context.cognitoParams = params;
          return next(args);
        },
        { step: 'initialize', name: 'poolgateCognitoOperation' },
      );
      const output = await client.send(command);
      return { status: output.$metadata.httpStatusCode };
    });
  }
  const unsigned = sent.flatMap((c) => c.headers.filter((h) => h.startsWith('x-amz-') && !c.signed.includes(h)));
  if (unsigned.length) {
    throw new StepFailure('signedHeaders', { ok: false, error: { name: 'UnsignedHeader', message: unsigned.join(',') } }, 2);
  }
});
