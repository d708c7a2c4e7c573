// The sample fleet's inventory tier in Node: after `delay_ms` of work, reads the stock from the cache
// with the budget reqctx.js gives the call; answers from a fallback (degraded) when the cache fails or
// the budget is too small to call it; stops, and cancels the cache call, when its own caller leaves or
// its deadline passes.
//
// Usage: node inventory.js --port <port> --downstream <host:port> --config <dir> --protos <descriptor set>
//   --config holds inventory.hop-policy.json and inventory-to-cache.service-config.json (exported from the
//   fleet's budget file); --protos is a FileDescriptorSet of the sample protos.
// Prints "reqctx-samples inventory listening on 127.0.0.1:<port>", then one "reqctx-hop {json}" line per hop.
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const reqctx = require('./reqctx');

const METHOD = 'reqctx.samples.v1.InventoryService/CheckStock';
const CACHE_METHOD = 'reqctx.samples.v1.CacheService/Get';
const FALLBACK_AVAILABLE = 1; // the stock level the fallback answers, as the Java inventory's

function options(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const required of ['port', 'downstream', 'config', 'protos']) {
    if (!out[required]) throw new Error(`missing --${required}; usage: node inventory.js --port 0 --downstream host:port --config dir --protos file.pb`);
  }
  return out;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function start(opts) {
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(fs.readFileSync(opts.protos),
    { keepCase: true, enums: String, longs: Number, defaults: true });
  const samples = grpc.loadPackageDefinition(definition).reqctx.samples.v1;
  const policy = readJson(path.join(opts.config, 'inventory.hop-policy.json'));
  const cacheConfig = readJson(path.join(opts.config, 'inventory-to-cache.service-config.json'));
  const cache = new samples.CacheService(opts.downstream, grpc.credentials.createInsecure(),
    { 'grpc.service_config': JSON.stringify(cacheConfig) });

  async function checkStock(call, callback) {
    const hop = reqctx.arrive(call, policy, METHOD);
    const answer = (error, response) => {
      if (!call.cancelled) callback(error, response);
    };
    const fail = (outcome, note) => {
      reqctx.finish(hop, outcome, note);
      answer({ code: grpc.status[outcome === 'DEADLINE_EXCEEDED' ? 'DEADLINE_EXCEEDED' : 'CANCELLED'], details: note });
    };
    const skipped = await reqctx.work(hop, call.request.delay_ms);
    if (hop.cancelCause) return fail(hop.cancelCause, `stopped before reading the cache (${skipped} steps not done)`);

    const read = { key: `stock:${call.request.skus.join(',')}`, delay_ms: call.request.cache_delay_ms };
    const out = reqctx.outbound(hop, cacheConfig, CACHE_METHOD);
    if (out.refused) {
      const own = reqctx.finish(hop, 'REJECTED_BUDGET', `cache not called: ${out.refused}; answered from the fallback`);
      return answer(null, response(call.request, null, [own]));
    }
    const callStart = Date.now();
    const stock = await new Promise((resolve) => {
      const pending = cache.Get(read, out.metadata, { deadline: out.deadline }, (error, reply) => resolve({ error, reply }));
      hop.onCancel(() => pending.cancel()); // the caller left: so does the cache call
    });
    if (hop.cancelCause) return fail(hop.cancelCause, 'request cancelled while reading the cache');
    if (stock.error) {
      const code = grpc.status[stock.error.code];
      const own = reqctx.finish(hop, 'DEGRADED_FALLBACK', `cache call failed (${code}): answered from the fallback`);
      return answer(null, response(call.request, null, [own, seenFromHere(hop, Date.now() - callStart, code)]));
    }
    const own = reqctx.finish(hop, 'OK');
    answer(null, response(call.request, stock.reply, [own, ...stock.reply.hops]));
  }

  const server = new grpc.Server();
  server.addService(samples.InventoryService.service, {
    CheckStock: (call, callback) => checkStock(call, callback).catch((e) => {
      process.stderr.write(`inventory: ${e.stack}\n`);
      callback({ code: grpc.status.INTERNAL, details: String(e) });
    }),
  });
  server.bindAsync(`127.0.0.1:${opts.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      process.stderr.write(`inventory: cannot listen on 127.0.0.1:${opts.port}: ${error.message}\n`);
      process.exit(2);
    }
    process.stdout.write(`reqctx-samples inventory listening on 127.0.0.1:${port}\n`);
  });
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', () => process.exit(0)); // the parent went away
  process.stdin.resume();
}

/** The cache's row when it sent no report (it was cut off): what this hop saw of the call. */
function seenFromHere(hop, elapsedMs, code) {
  const callee = hop.policy.callees.cache;
  return {
    service: CACHE_METHOD, tier: callee.tier, cap_ms: callee.capMs, received_budget_ms: 0, sent_budget_ms: 0,
    elapsed_ms: elapsedMs, outcome: code === 'DEADLINE_EXCEEDED' || code === 'CANCELLED' ? `HOP_OUTCOME_${code}` : 'HOP_OUTCOME_ERROR',
    trace_id: hop.traceId, note: `no report from the callee; seen by its caller as ${code}`, reported_by_caller: true,
  };
}

function response(request, reply, hops) {
  const available = reply ? Number(Buffer.from(reply.value).toString('utf8')) : FALLBACK_AVAILABLE;
  return {
    levels: request.skus.map((sku) => ({ sku, available, warehouse: 'ZRH-1' })),
    degraded: !reply,
    hops,
  };
}

if (require.main === module) start(options(process.argv.slice(2)));
