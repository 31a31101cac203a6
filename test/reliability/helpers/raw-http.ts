import { Agent, request } from "node:http";

export interface RawRequest {
  readonly method: string;
  /** Sent as is: may hold percent-escapes, dot segments, a query string. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked?: boolean;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly ms: number;
}

/** One keep-alive agent per test file: like a browser, requests share connections. */
export const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

/** An HTTP request with full control of path and headers (fetch normalises both). */
export function rawRequest(baseUrl: string, req: RawRequest, agent: Agent | false = keepAlive): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined && !req.chunked) headers["content-length"] = Buffer.byteLength(req.body);
    // Explicit, so node frames the body in chunks for every method (it does not by default for
    // GET, HEAD and DELETE, and would send the bytes unframed).
    if (req.body !== undefined && req.chunked) headers["transfer-encoding"] = "chunked";
    const r = request(
      { host: url.hostname, port: Number(url.port), method: req.method, path: req.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on("error", reject);
      },
    );
    r.on("error", reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
