// The HTTP side of the console: one fetch wrapper that adds the key, reads JSON or problem+json,
// and turns every failure (network, CORS, non-2xx) into an ApiError the panels can show.

export class ApiError extends Error {
  /** @param {number} status 0 when the request never got an answer (network, CORS). */
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

/** A human sentence for an error, from its problem+json when there is one. */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 0) return error.message;
    const p = error.problem;
    // problem+json from Ferry; API Gateway's own errors are {message} (a 500, a 503 timeout).
    if (p && typeof p === "object" && (p.title || p.detail)) {
      return `${p.status ?? error.status} ${p.title ?? ""}${p.detail ? `: ${p.detail}` : ""}`;
    }
    if (p && typeof p === "object" && typeof p.message === "string") return `${error.status} ${p.message}`;
    return error.message;
  }
  return String(error?.message ?? error);
}

export function createApi(settings) {
  const base = settings.apiBaseUrl;

  async function request(method, path, { body, headers = {}, auth = true } = {}) {
    const init = { method, headers: { ...headers }, cache: "no-store" };
    if (auth && settings.apiKey) init.headers.authorization = `Bearer ${settings.apiKey}`;
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(base + path, init);
    } catch {
      throw new ApiError(
        0,
        undefined,
        `No answer from ${base}${path} (the API is down, the URL is wrong, or its CORS settings do not allow this page's origin).`,
      );
    }
    const type = res.headers.get("content-type") ?? "";
    const text = await res.text();
    let parsed;
    if (text && (type.includes("json") || type.includes("problem"))) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok)
      throw new ApiError(res.status, parsed, `${res.status} ${res.statusText} from ${method} ${path}`);
    return parsed;
  }

  return {
    base,
    get: (path, options) => request("GET", path, options),
    post: (path, body, options) => request("POST", path, { ...options, body }),
    delete: (path, options) => request("DELETE", path, options),
    /** True when `path` answers 2xx: how the console finds out what this target offers. */
    async has(path) {
      try {
        await request("GET", path);
        return true;
      } catch {
        return false;
      }
    },
  };
}
