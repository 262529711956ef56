/**
 * Rate-paced HTTP pusher (runs in the runner process): `rate` requests per second for
 * `durationMs`, over keep-alive connections, counting answers and failures. Pacing is by
 * schedule (request n is due at n / rate s), so a slow answer does not lower the offered
 * rate until `maxInFlight` requests are outstanding.
 */
import { Agent, request } from 'node:http';

export interface PushTarget {
  path: string;
  body: string;
}

export interface PushResult {
  sent: number;
  ok: number;
  failed: number;
  /** Pushes not sent because maxInFlight were outstanding at their due time. */
  skipped: number;
  ms: number;
  firstError?: string;
}

export interface PushPlan {
  port: number;
  rate: number;
  durationMs: number;
  /** Builds push number n (its body should carry the publish time, see benchBody). */
  target: (n: number) => PushTarget;
  maxInFlight?: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

function post(port: number, t: PushTarget): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(t.body);
    const req = request(
      { host: '127.0.0.1', port, path: t.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runPushes(plan: PushPlan): Promise<PushResult> {
  const maxInFlight = plan.maxInFlight ?? 256;
  const total = Math.round((plan.rate * plan.durationMs) / 1000);
  const r: PushResult = { sent: 0, ok: 0, failed: 0, skipped: 0, ms: 0 };
  let inFlight = 0;
  const t0 = performance.now();
  let n = 0;
  const pending = new Set<Promise<void>>();
  while (n < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * plan.rate) / 1000) + 1);
    for (; n < due; n++) {
      if (inFlight >= maxInFlight) {
        r.skipped++;
        continue;
      }
      inFlight++;
      r.sent++;
      const p: Promise<void> = post(plan.port, plan.target(n))
        .then(
          (status) => {
            if (status === 200) r.ok++;
            else {
              r.failed++;
              r.firstError ??= `HTTP ${status}`;
            }
          },
          (err: unknown) => {
            r.failed++;
            r.firstError ??= String(err);
          },
        )
        .finally(() => {
          inFlight--;
          pending.delete(p);
        });
      pending.add(p);
    }
    const nextDue = t0 + ((n + 0) * 1000) / plan.rate;
    await new Promise((res) => setTimeout(res, Math.max(1, nextDue - performance.now())));
  }
  await Promise.all(pending);
  r.ms = performance.now() - t0;
  return r;
}
