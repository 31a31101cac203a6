/**
 * The HTTP load generator of benchmark 2, in its own process: autocannon, each connection
 * acquiring then releasing a lock (POST then DELETE /api/documents/:id/lock) on a document of
 * its own, taken round-robin from a list much longer than the number of connections.
 */
import autocannon from "autocannon";
import { serve } from "../lib/rpc.js";

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

async function run(params: {
  url: string;
  token: string;
  documents: string[];
  connections: number;
  durationSec: number;
}): Promise<LoadResult> {
  let next = 0;
  const headers = { "content-type": "application/json", authorization: `Bearer ${params.token}` };
  const body = JSON.stringify({ client_id: "bench-rest-client" });
  const result = await autocannon({
    url: params.url,
    connections: params.connections,
    duration: params.durationSec,
    timeout: 10,
    requests: [
      {
        method: "POST",
        setupRequest: (req, context: { doc?: string }) => {
          context.doc = params.documents[next++ % params.documents.length];
          return { ...req, method: "POST", path: `/api/documents/${context.doc}/lock`, headers, body };
        },
      },
      {
        method: "DELETE",
        setupRequest: (req, context: { doc?: string }) => ({ ...req, method: "DELETE", path: `/api/documents/${context.doc}/lock`, headers, body }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const handlers = { run };
export type AutocannonApi = typeof handlers;
serve(handlers);
