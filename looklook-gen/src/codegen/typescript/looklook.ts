/**
 * What every looklook client shares: a transport for each platform, the
 * envelope unwrapped, and the error a refused request throws. No
 * dependencies: it runs in browsers, Node 18+ and WeChat mini-programs.
 */

/** One HTTP request, as a transport sends it. */
export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** The status and text of the answer. */
export interface HttpResponse {
  status: number;
  body: string;
}

/** Sends a request: `fetchTransport`, `wxTransport(wx)` or your own. */
export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

/** The part of `fetch` a client uses, so no DOM or Node types are needed. */
type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; text(): Promise<string> }>;

/** Browsers and Node 18+: the global `fetch`. */
export const fetchTransport: Transport = async (req) => {
  const fetch = (globalThis as { fetch?: FetchLike }).fetch;
  if (fetch === undefined) {
    throw new Error('no global fetch here: pass a transport (wxTransport(wx) in a mini-program)');
  }
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  return { status: res.status, body: await res.text() };
};

/** The part of a mini-program's `wx` a client uses. */
export interface WxLike {
  request(options: {
    url: string;
    method: string;
    header: Record<string, string>;
    data?: string;
    dataType: string;
    responseType: string;
    success(res: { statusCode: number; data: unknown }): void;
    fail(err: { errMsg: string }): void;
  }): void;
}

/** WeChat mini-programs have no `fetch`: send through `wx.request`. */
export function wxTransport(wx: WxLike): Transport {
  return (req) =>
    new Promise((resolve, reject) => {
      wx.request({
        url: req.url,
        method: req.method,
        header: req.headers,
        data: req.body,
        // Text, not parsed: the client reads the envelope itself.
        dataType: 'text',
        responseType: 'text',
        success: (res) =>
          resolve({
            status: res.statusCode,
            body: typeof res.data === 'string' ? res.data : JSON.stringify(res.data),
          }),
        fail: (err) => reject(new Error(err.errMsg)),
      });
    });
}

/**
 * A request the service refused or failed: its business `code` (100002 a
 * bad parameter, 100003 no valid token, ...), its `msg` and the HTTP status.
 */
export class ApiError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly status: number;

  constructor(code: number, msg: string, status: number) {
    super(`${code}: ${msg}`);
    this.name = 'ApiError';
    this.code = code;
    this.msg = msg;
    this.status = status;
  }
}

export interface ClientOptions {
  /** Where the service (or the gateway in front of it) answers: `http://127.0.0.1:8888`. */
  baseUrl: string;
  /** How requests are sent [default: `fetchTransport`]. */
  transport?: Transport;
  /** The bearer token for routes behind JWT; `setToken` changes it. */
  token?: string;
}

type Values = Record<string, unknown>;

/** The methods of a generated client call `call`. */
export class BaseClient {
  private readonly baseUrl: string;
  private readonly transport: Transport;
  private token: string | undefined;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.transport = options.transport ?? fetchTransport;
    this.token = options.token;
  }

  /** The token sent as `Authorization: Bearer ...`; `undefined` sends none. */
  setToken(token: string | undefined): void {
    this.token = token;
  }

  /** Send one request and unwrap the `{code,msg,data}` envelope. */
  protected async call<T>(
    method: string,
    path: string,
    query: Values,
    headers: Values,
    body: unknown,
  ): Promise<T> {
    const search = Object.entries(query)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    const sent: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(headers)) {
      if (v !== undefined && v !== null) sent[k] = String(v);
    }
    if (this.token !== undefined) sent.authorization = `Bearer ${this.token}`;
    if (body !== undefined) sent['content-type'] = 'application/json';
    const res = await this.transport({
      url: this.baseUrl + path + (search ? `?${search}` : ''),
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let envelope: { code?: unknown; msg?: unknown; data?: unknown };
    try {
      envelope = JSON.parse(res.body) as typeof envelope;
    } catch {
      throw new ApiError(0, `HTTP ${res.status}: ${res.body.slice(0, 200)}`, res.status);
    }
    if (res.status === 200 && envelope.code === 200) return envelope.data as T;
    const code = typeof envelope.code === 'number' ? envelope.code : 0;
    const msg = typeof envelope.msg === 'string' ? envelope.msg : `HTTP ${res.status}`;
    throw new ApiError(code, msg, res.status);
  }
}
