// The wrk report parser: the bench's numbers are only as good as this. Run: node --test bench/wrk.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput, parseWrkTime } from './wrk.ts';

const REPORT = `Running 10s test @ http://127.0.0.1:5000/v3/auth/tokens
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02s   210.33ms   1.61s    70.00%
    Req/Sec     4.12      2.91    10.00     81.25%
  Latency Distribution
     50%  982.46ms
     75%    1.14s
     90%    1.30s
     99%    1.55s
  54 requests in 10.02s, 75.52KB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:      5.39
Transfer/sec:      7.54KB
`;

test('wrk times in us, ms, s and m all become milliseconds', () => {
  assert.equal(parseWrkTime('635.00us'), 0.635);
  assert.equal(parseWrkTime('1.20ms'), 1.2);
  assert.equal(parseWrkTime('2.01s'), 2010);
  assert.equal(parseWrkTime('1.00m'), 60_000);
  assert.throws(() => parseWrkTime('fast'));
});

test('a --latency report yields req/s, percentiles, errors and the run length', () => {
  const r = parseWrkOutput(REPORT);
  assert.equal(r.requestsPerSecond, 5.39);
  assert.equal(r.requests, 54);
  assert.equal(r.seconds, 10.02);
  assert.equal(r.p50Ms, 982.46);
  assert.equal(r.p99Ms, 1550);
  assert.equal(r.non2xx, 3);
  assert.deepEqual(r.socketErrors, { connect: 0, read: 0, write: 0, timeout: 2 });
});

test('a report without the latency distribution is rejected rather than reported as zero', () => {
  assert.throws(() => parseWrkOutput(REPORT.replace(/ {2}Latency Distribution[\s\S]*?99%.*\n/, '')), /--latency/);
});
