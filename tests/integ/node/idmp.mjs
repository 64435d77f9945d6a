// Drives Weir's idempotent production through node-redis's own typed API
// (xAdd with the IDMP / IDMPAUTO options, xAddNoMkStream, xCfgSet,
// xInfoStream) and prints one JSON line of what it saw.
// Usage: node idmp.mjs HOST PORT TOKEN RESP
// tests/integ/test_idmp.py runs it and asserts the output; this script
// makes no judgement of its own beyond failing on exceptions.
import { createClient } from 'redis';

const [host, portStr, token, respStr] = process.argv.slice(2);
const port = Number(portStr);
const RESP = Number(respStr || '2');

function plain(v) {
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const IDMP_FIELDS = ['idmp-duration', 'idmp-maxsize', 'pids-tracked', 'iids-tracked', 'iids-added',
  'iids-duplicates', 'length'];

async function idmpInfo(client, key) {
  const info = plain(await client.xInfoStream(key));
  return Object.fromEntries(IDMP_FIELDS.map((f) => [f, info[f]]));
}

const out = { token, resp: RESP };
const errors = [];
const client = createClient({ socket: { host, port, reconnectStrategy: false }, RESP });
client.on('error', (e) => errors.push(String(e)));

try {
  await client.connect();
  const key = `node:idmp:${token}`;
  // explicit iid: the retry gets the original ID back
  out.first = await client.xAdd(key, '*', { order: '1', amount: '10' },
    { IDMP: { pid: 'producer-1', iid: 'order-1' } });
  out.retry = await client.xAdd(key, '*', { order: '1', amount: '999' },
    { IDMP: { pid: 'producer-1', iid: 'order-1' } });
  out.other = await client.xAdd(key, '*', { order: '2' },
    { IDMP: { pid: 'producer-1', iid: 'order-2' } });
  // IDMPAUTO: the same content (any field order) is the same message
  out.auto1 = await client.xAdd(key, '*', { a: '1', b: '2' }, { IDMPAUTO: { pid: 'producer-2' } });
  out.auto2 = await client.xAdd(key, '*', { b: '2', a: '1' }, { IDMPAUTO: { pid: 'producer-2' } });
  // with a policy and trimming in the same call
  out.trimmed = await client.xAdd(key, '*', { order: '3' }, {
    policy: 'KEEPREF',
    IDMP: { pid: 'producer-1', iid: 'order-3' },
    TRIM: { strategy: 'MAXLEN', strategyModifier: '=', threshold: 3 },
  });
  out.trimmedRetry = await client.xAdd(key, '*', { order: '3' }, {
    IDMP: { pid: 'producer-1', iid: 'order-3' },
    TRIM: { strategy: 'MAXLEN', threshold: 0 },
  });
  out.len = await client.xLen(key);
  out.infoBefore = await idmpInfo(client, key);
  out.noMk = await client.xAddNoMkStream(`${key}:missing`, '*', { f: 'v' },
    { IDMP: { pid: 'p', iid: 'i' } });
  out.missingExists = await client.exists(`${key}:missing`);
  // XCFGSET: the same value keeps the map, a new value clears it
  out.cfgSame = await client.xCfgSet(key, { IDMP_DURATION: 100, IDMP_MAXSIZE: 100 });
  out.afterSame = await client.xAdd(key, '*', { order: '1' }, { IDMP: { pid: 'producer-1', iid: 'order-1' } });
  out.cfgChange = await client.xCfgSet(key, { IDMP_DURATION: 60, IDMP_MAXSIZE: 2 });
  out.infoAfterChange = await idmpInfo(client, key);
  out.afterChange = await client.xAdd(key, '*', { order: '1' }, { IDMP: { pid: 'producer-1', iid: 'order-1' } });
  out.cfgOnlyMaxsize = await client.xCfgSet(key, { IDMP_MAXSIZE: 2 });
  try {
    await client.xCfgSet(key, { IDMP_DURATION: 0 });
    out.cfgRangeError = null;
  } catch (e) {
    out.cfgRangeError = String(e.message ?? e);
  }
  try {
    await client.xCfgSet(`${key}:nokey`, { IDMP_MAXSIZE: 5 });
    out.cfgNoKeyError = null;
  } catch (e) {
    out.cfgNoKeyError = String(e.message ?? e);
  }
  try {
    await client.xAdd(key, '5-0', { f: 'v' }, { IDMP: { pid: 'p', iid: 'i' } });
    out.explicitIdError = null;
  } catch (e) {
    out.explicitIdError = String(e.message ?? e);
  }
  out.infoEnd = await idmpInfo(client, key);
  // binary iid through a Buffer
  const bin = Buffer.from([0, 255, 13, 10, 128]);
  out.bin1 = await client.xAdd(key, '*', { f: 'v' }, { IDMP: { pid: 'bin', iid: bin } });
  out.bin2 = await client.xAdd(key, '*', { f: 'w' }, { IDMP: { pid: 'bin', iid: bin } });
  // the duplicate inside one MULTI
  out.multi = plain(await client.multi()
    .xAdd(key, '*', { m: '1' }, { IDMP: { pid: 'tx', iid: 'same' } })
    .xAdd(key, '*', { m: '2' }, { IDMP: { pid: 'tx', iid: 'same' } })
    .exec());
  await client.quit();
} catch (e) {
  out.exception = String(e && e.stack ? e.stack : e);
}
out.errors = errors;
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.exception ? 1 : 0);
