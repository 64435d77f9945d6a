// Drives the server with node-redis over RESP3 and prints one JSON line of
// what it saw.  Usage: node resp3.mjs HOST PORT TOKEN
// tests/integ/test_clients.py runs it and asserts the output; this script
// makes no judgement of its own beyond failing on exceptions.
import { createClient } from 'redis';

const [host, portStr, token] = process.argv.slice(2);
const port = Number(portStr);

function plain(v) {
  // JSON-friendly copy of a reply (Maps, Sets, Buffers, bigint).
  if (v === null || v === undefined) return v ?? null;
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof Set) return [...v].map(plain);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const out = { token };
const errors = [];
const client = createClient({ socket: { host, port, reconnectStrategy: false }, RESP: 3 });
client.on('error', (e) => errors.push(String(e)));

try {
  await client.connect();
  const key = `node:${token}`;
  out.set = await client.set(key, `value-${token}`);
  out.get = await client.get(key);
  out.getMissing = await client.get(`node:missing:${token}`);
  out.incr = [];
  for (let i = 0; i < 3; i++) out.incr.push(await client.incr(`node:counter:${token}`));
  out.incrBy = await client.incrBy(`node:counter:${token}`, 10);
  // many commands in flight at once (node-redis pipelines them)
  const many = await Promise.all(Array.from({ length: 200 }, () => client.incr(`node:many:${token}`)));
  out.manyMax = Math.max(...many);
  out.manySorted = many.every((x, i) => x === i + 1);
  out.hello = plain(await client.sendCommand(['HELLO']));
  out.clientId = await client.sendCommand(['CLIENT', 'ID']);
  out.configGet = plain(await client.configGet('port'));
  out.commandInfoGet = plain(await client.sendCommand(['COMMAND', 'INFO', 'get']));
  out.multi = plain(await client.multi().set(`${key}:m`, '1').incr(`${key}:m`).get(`${key}:m`).exec());
  out.mget = plain(await client.mGet([key, `node:missing:${token}`]));
  try {
    await client.sendCommand(['NOSUCHCOMMAND', 'a']);
    out.unknownError = null;
  } catch (e) {
    out.unknownError = String(e.message ?? e);
  }
  out.ttlMissing = await client.ttl(`node:missing:${token}`);
  await client.quit();
} catch (e) {
  out.exception = String(e && e.stack ? e.stack : e);
}
out.errors = errors;
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(out.exception ? 1 : 0);
