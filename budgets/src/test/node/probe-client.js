// Loads a gRPC service config exported by `reqctx-budgets export --grpc-service-config` as the channel's
// service config and calls the probe service on loopback: a method whose exported timeout must end a call
// the server never answers, and a method whose exported retry policy must retry UNAVAILABLE.
// Usage: node probe-client.js <host:port> <probe.proto> <service-config.json>
// Prints one JSON object with what each call returned.
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [target, protoPath, configPath] = process.argv.slice(2);
const serviceConfig = fs.readFileSync(configPath, 'utf8');
const definition = protoLoader.loadSync(protoPath, { keepCase: true });
const probe = grpc.loadPackageDefinition(definition).reqctx.budgets.test.v1;
const client = new probe.ProbeService(target, grpc.credentials.createInsecure(), {
  'grpc.service_config': serviceConfig,
  'grpc.enable_retries': 1,
});

function call(method, request) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    // No deadline of our own: the only timeout is the one the service config gives.
    client[method](request, (error, reply) => {
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve(error
        ? { code: grpc.status[error.code], details: error.details, elapsedMs }
        : { code: 'OK', attempt: reply.attempt, elapsedMs });
    });
  });
}

async function main() {
  // Bound the whole run, whatever happens to the calls.
  const guard = setTimeout(() => {
    console.error('probe-client: no answer within 30 s');
    process.exit(3);
  }, 30000);
  const hang = await call('Hang', { key: 'js-hang' });
  const flaky = await call('Flaky', { key: 'js-flaky', fail_first: 2 });
  clearTimeout(guard);
  client.close();
  process.stdout.write(JSON.stringify({ hang, flaky }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
