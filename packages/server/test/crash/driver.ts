/**
 * The agent side of the crash test: concurrent workers submitting one-record updates, each with
 * its own idempotency key and its own written value. A request whose answer is lost (the server
 * died first) is re-submitted, unchanged, to the next server; answered ones are sometimes replayed
 * too, and must answer the same action.
 */

export interface Answer {
  readonly http: number;
  readonly actionId: string;
  readonly status: string;
}

export interface CrashRequest {
  readonly n: number;
  readonly key: string;
  readonly contact: string;
  /** The owner_id this request writes; no other request writes it. */
  readonly value: string;
  attempts: number;
  readonly answers: Answer[];
}

export interface DriverStats {
  submitted: number;
  resubmitted: number;
  lost: number;
  unanswered: number;
  /** Answers that were neither an executed (200) nor a denied (403) action. */
  errors: number;
  errorSamples: string[];
  /** Keys answered with two different actions or outcomes. */
  mismatched: string[];
}

export interface Run {
  /** Resolves when every worker has stopped (after the server died, or the queue ran dry). */
  stopped(): Promise<void>;
}

export interface Driver {
  run(address: string, workers: number): Run;
  /** Re-submits every lost request (and nothing new) until all are answered, or fails. */
  drain(address: string): Promise<void>;
  /** Queues `count` random answered requests to be submitted again. */
  replayAnswered(count: number): void;
  requests(): readonly CrashRequest[];
  has(key: string): boolean;
  hasValue(value: string): boolean;
  stats(): DriverStats;
}

export function createDriver(opts: {
  token: string;
  contacts: readonly string[];
  seed: number;
  random: () => number;
}): Driver {
  const all: CrashRequest[] = [];
  const keys = new Set<string>();
  const values = new Set<string>();
  let retry: CrashRequest[] = [];
  const stats: DriverStats = {
    submitted: 0,
    resubmitted: 0,
    lost: 0,
    unanswered: 0,
    errors: 0,
    errorSamples: [],
    mismatched: [],
  };

  const fresh = (): CrashRequest => {
    const n = all.length;
    const req: CrashRequest = {
      n,
      key: `k9-${opts.seed}-${n}`,
      contact: opts.contacts[n % opts.contacts.length]!,
      value: `k9-${n}`,
      attempts: 0,
      answers: [],
    };
    all.push(req);
    keys.add(req.key);
    values.add(req.value);
    return req;
  };

  /** One attempt; false when the server is gone (the request goes back to the retry list). */
  async function submit(address: string, req: CrashRequest): Promise<boolean> {
    req.attempts++;
    if (req.attempts === 1) stats.submitted++;
    else stats.resubmitted++;
    let http: number;
    let body: { id?: string; status?: string };
    try {
      const res = await fetch(`${address}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          connector: 'crm',
          object: 'contacts',
          operation: 'update',
          reason: `crash test request ${req.n}`,
          idempotency_key: req.key,
          records: [{ id: req.contact, changes: { owner_id: req.value } }],
        }),
        signal: AbortSignal.timeout(15_000),
      });
      http = res.status;
      body = (await res.json()) as typeof body;
    } catch {
      stats.lost++;
      retry.push(req);
      return false;
    }
    if ((http !== 200 && http !== 403) || typeof body.id !== 'string' || typeof body.status !== 'string') {
      stats.errors++;
      if (stats.errorSamples.length < 5) stats.errorSamples.push(`${req.key}: HTTP ${http} ${JSON.stringify(body)}`);
      retry.push(req);
      return true;
    }
    const first = req.answers[0];
    if (first && (first.actionId !== body.id || first.status !== body.status)) stats.mismatched.push(req.key);
    req.answers.push({ http, actionId: body.id, status: body.status });
    return true;
  }

  function run(address: string, workers: number, withNew: boolean): Run {
    let dead = false;
    const queue = retry;
    retry = [];
    const worker = async () => {
      while (!dead) {
        const req = queue.shift() ?? (withNew ? fresh() : undefined);
        if (!req) return;
        if (!(await submit(address, req))) dead = true;
      }
    };
    const running = Array.from({ length: workers }, worker);
    return {
      async stopped() {
        await Promise.all(running);
        // Anything still queued when the server died was never sent: it waits for the next one.
        retry.push(...queue);
      },
    };
  }

  return {
    run: (address, workers) => run(address, workers, true),
    async drain(address) {
      for (let round = 0; round < 3 && retry.length > 0; round++) await run(address, 4, false).stopped();
      stats.unanswered = all.filter((r) => r.answers.length === 0).length;
    },
    replayAnswered(count) {
      const answered = all.filter((r) => r.answers.length > 0 && !retry.includes(r));
      for (let i = 0; i < count && answered.length > 0; i++) {
        const [picked] = answered.splice(Math.floor(opts.random() * answered.length), 1);
        retry.push(picked!);
      }
    },
    requests: () => all,
    has: (key) => keys.has(key),
    hasValue: (value) => values.has(value),
    stats: () => ({ ...stats }),
  };
}
