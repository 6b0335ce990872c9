/**
 * External AWS endpoints for `npm run dev`: SQS, SES and Secrets Manager served by another process
 * (LocalStack, or emulators of your own) instead of the in-process emulators.
 *
 * One variable for all three, FERRY_LOCAL_AWS_ENDPOINT, because that is what LocalStack-like
 * systems are: one edge port (4566) for every service. Per-service variables override it, because
 * single-service emulators (fauxqs, aws-ses-v2-local) each listen on a port of their own, and
 * because a mix must stay possible (SQS in LocalStack, SES in process). The same shape as the AWS
 * SDK's own AWS_ENDPOINT_URL + AWS_ENDPOINT_URL_<SERVICE>, under the FERRY_LOCAL_ prefix because
 * those SDK variables are read by every client in the process: set in a shell they would also
 * redirect the operator CLIs, and the functions' own are always the local AWS edge (aws-proxy.ts).
 */

/** The services the local runtime can find outside its process. */
export type ExternalService = "sqs" | "ses" | "secrets";

export const SHARED_ENDPOINT_VARIABLE = "FERRY_LOCAL_AWS_ENDPOINT";

export const SERVICE_ENDPOINT_VARIABLES: Readonly<Record<ExternalService, string>> = {
  sqs: "FERRY_LOCAL_SQS_ENDPOINT",
  ses: "FERRY_LOCAL_SES_ENDPOINT",
  secrets: "FERRY_LOCAL_SECRETS_ENDPOINT",
};

/** How the banner and errors name each service. */
export const SERVICE_LABELS: Readonly<Record<ExternalService, string>> = {
  sqs: "SQS",
  ses: "SES",
  secrets: "Secrets Manager",
};

export const REGION_VARIABLE = "FERRY_LOCAL_AWS_REGION";
export const ACCESS_KEY_VARIABLE = "FERRY_LOCAL_AWS_ACCESS_KEY_ID";
export const SECRET_KEY_VARIABLE = "FERRY_LOCAL_AWS_SECRET_ACCESS_KEY";
export const SECRET_ID_VARIABLE = "FERRY_LOCAL_SECRET_ID";

/** LocalStack's documented defaults; an emulator that checks nothing accepts them too. */
export const DEFAULT_EXTERNAL_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;
export const DEFAULT_LOCAL_SECRET_ID = "ferry-local";

export interface ExternalEndpoint {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** The variable it came from: start-up errors name it. */
  readonly variable: string;
}

export interface ExternalAws {
  readonly endpoints: Readonly<Partial<Record<ExternalService, ExternalEndpoint>>>;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The secret the functions read by reference, by name or ARN (with an external Secrets Manager). */
  readonly secretId: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const value = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
};

/** One endpoint's problem, or its normalised URL. */
function endpointOf(variable: string, raw: string): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: `${variable}: "${raw}" is not a URL (expected http://host:port)` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { problem: `${variable}: "${raw}" must be an http:// or https:// URL` };
  }
  // The edge forwards each call's own path to the endpoint's host: a path here would be ignored.
  if (url.pathname !== "/" || url.search || url.hash) {
    return { problem: `${variable}: "${raw}" must have no path (expected http://host:port)` };
  }
  return { url: url.origin };
}

/**
 * Reads the external-endpoint settings; throws one error naming every malformed variable. No
 * endpoint variable set: every service stays in process (the default).
 */
export function externalAwsFrom(env: Env): ExternalAws {
  const problems: string[] = [];
  const endpoints: Partial<Record<ExternalService, ExternalEndpoint>> = {};
  const shared = value(env, SHARED_ENDPOINT_VARIABLE);
  for (const service of Object.keys(SERVICE_ENDPOINT_VARIABLES) as ExternalService[]) {
    const own = SERVICE_ENDPOINT_VARIABLES[service];
    const variable = value(env, own) ? own : shared ? SHARED_ENDPOINT_VARIABLE : undefined;
    if (!variable) continue;
    const parsed = endpointOf(variable, value(env, variable) ?? "");
    if ("problem" in parsed) {
      // The shared variable is reported once, not once per service it stands for.
      if (!problems.includes(parsed.problem)) problems.push(parsed.problem);
    } else endpoints[service] = { url: parsed.url, variable };
  }
  if (problems.length > 0)
    throw new Error(`Invalid external AWS endpoint settings:\n  ${problems.join("\n  ")}`);
  return {
    endpoints,
    credentials: {
      accessKeyId: value(env, ACCESS_KEY_VARIABLE) ?? DEFAULT_EXTERNAL_CREDENTIALS.accessKeyId,
      secretAccessKey: value(env, SECRET_KEY_VARIABLE) ?? DEFAULT_EXTERNAL_CREDENTIALS.secretAccessKey,
    },
    secretId: value(env, SECRET_ID_VARIABLE) ?? DEFAULT_LOCAL_SECRET_ID,
  };
}

/** The region of the whole local runtime (local ARNs, and what the external endpoints are asked in). */
export function localRegionFrom(env: Env): string {
  return value(env, REGION_VARIABLE) ?? "us-east-1";
}

/** Budget of the start-up probe: an endpoint that takes longer is as good as absent. */
const PROBE_TIMEOUT_MS = 3000;

/** Why a fetch failed, in the words a user can act on (ECONNREFUSED, ENOTFOUND, a timeout…). */
function reasonOf(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The start-up error for an endpoint that failed, naming the variable and the endpoint. */
export function endpointError(service: ExternalService, endpoint: ExternalEndpoint, detail: string): Error {
  return new Error(
    `${endpoint.variable}=${endpoint.url}: ${SERVICE_LABELS[service]} ${detail}. Start that endpoint, ` +
      `or unset ${endpoint.variable} to use the in-process emulator.`,
  );
}

/**
 * Every external endpoint must answer HTTP before anything is created on it: any status counts
 * (an AWS endpoint answers a bare GET / with an error document), silence or a refused connection
 * is a start-up error naming the variable and the endpoint.
 */
export async function probeExternalEndpoints(external: ExternalAws): Promise<void> {
  const failures = await Promise.all(
    (Object.entries(external.endpoints) as [ExternalService, ExternalEndpoint][]).map(
      async ([service, endpoint]) => {
        try {
          const res = await fetch(endpoint.url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
          await res.body?.cancel();
          return undefined;
        } catch (error) {
          return endpointError(service, endpoint, `does not answer (${reasonOf(error)})`).message;
        }
      },
    ),
  );
  const problems = failures.filter((f): f is string => f !== undefined);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}
