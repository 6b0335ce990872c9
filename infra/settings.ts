/**
 * The deploy settings (cdk.json context or `-c key=value`) and the checks on them. Two levels:
 *   settingProblems   what synth refuses: a value the functions could not run with (bad JSON,
 *                     a sender outside its SES identity). FerryStack runs it on every synth.
 *   preflightProblems what `npm run deploy` refuses on top: every required setting present and
 *                     none a placeholder (cdk.json ships example.com values so synth works
 *                     offline; deploying them gives a stack that can send nothing).
 * Free of CDK imports: the preflight runs before anything is synthesized.
 */
import * as z from "zod/mini";
import "#shared/zod/messages.ts";
import { configSchema } from "#shared/config.ts";

/** Context keys the app reads (infra/bin/app.ts). */
export const SETTING_KEYS = [
  "stage",
  "emailFrom",
  "sesIdentity",
  "sesConfigurationSet",
  "upstashRestUrl",
  "rateLimits",
  "alarmEmail",
  "webSocketAccessLogs",
  "consoleOrigins",
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface DeploySettings {
  readonly stage?: string | undefined;
  readonly emailFrom?: string | undefined;
  readonly sesIdentity?: string | undefined;
  readonly sesConfigurationSet?: string | undefined;
  readonly upstashRestUrl?: string | undefined;
  readonly rateLimits?: string | undefined;
  readonly alarmEmail?: string | undefined;
  readonly webSocketAccessLogs?: string | undefined;
  /** Comma-separated origins the web console is served from (CORS on the HTTP API); default none. */
  readonly consoleOrigins?: string | undefined;
}

/** Reads the settings through `get` (the app's tryGetContext); empty strings count as unset. */
export function readSettings(get: (key: string) => unknown): DeploySettings {
  const settings: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const value = get(key);
    if (value === undefined || value === null || value === "") continue;
    settings[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return settings;
}

/** A stage names a stack (Ferry-<stage>): short, and valid in a CloudFormation stack name. */
const STAGE = /^[A-Za-z][A-Za-z0-9-]{0,24}$/;

/** `Ferry` without a stage, `Ferry-<stage>` with one, so several stacks fit one account. */
export function stackNameFor(stage: string | undefined): string {
  return stage ? `Ferry-${stage}` : "Ferry";
}

export function stageProblems(stage: string | undefined): string[] {
  if (stage === undefined || STAGE.test(stage)) return [];
  return [`stage: "${stage}" must start with a letter and hold only letters, digits and "-" (at most 25)`];
}

/** Whatever a function would fail on at cold start, and a sender outside its identity. */
export function settingProblems(settings: DeploySettings, isToken: (v: string) => boolean = () => false) {
  const problems: string[] = [];
  const concrete = (v: string | undefined): v is string => v !== undefined && v !== "" && !isToken(v);
  const schema = z.partial(
    z.pick(configSchema, { UPSTASH_REDIS_REST_URL: true, EMAIL_FROM: true, RATE_LIMITS: true }),
  );
  const values = {
    UPSTASH_REDIS_REST_URL: settings.upstashRestUrl,
    EMAIL_FROM: settings.emailFrom,
    RATE_LIMITS: settings.rateLimits,
  };
  const names: Record<string, string> = {
    UPSTASH_REDIS_REST_URL: "upstashRestUrl",
    EMAIL_FROM: "emailFrom",
    RATE_LIMITS: "rateLimits",
  };
  const result = schema.safeParse(Object.fromEntries(Object.entries(values).filter(([, v]) => concrete(v))));
  if (!result.success) {
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? "");
      const rest = issue.path.slice(1).join(".");
      problems.push(
        `${names[variable] ?? variable}: ${issue.message} (${variable}${rest ? `.${rest}` : ""})`,
      );
    }
  }
  if (concrete(settings.emailFrom) && concrete(settings.sesIdentity)) {
    const identity = identityName(settings.sesIdentity).toLowerCase();
    const sender = settings.emailFrom.toLowerCase();
    if (sender !== identity && !sender.endsWith(`@${identity}`)) {
      problems.push(
        `emailFrom: "${settings.emailFrom}" is neither the SES identity "${identityName(settings.sesIdentity)}" nor an address of its domain`,
      );
    }
  }
  if (concrete(settings.alarmEmail) && !z.email().safeParse(settings.alarmEmail).success) {
    problems.push(`alarmEmail: "${settings.alarmEmail}" is not an email address`);
  }
  if (
    settings.webSocketAccessLogs !== undefined &&
    settings.webSocketAccessLogs !== "true" &&
    settings.webSocketAccessLogs !== "false"
  ) {
    problems.push(`webSocketAccessLogs: "${settings.webSocketAccessLogs}" must be true or false`);
  }
  problems.push(...stageProblems(settings.stage));
  problems.push(...parseConsoleOrigins(settings.consoleOrigins).problems);
  return problems;
}

/**
 * `consoleOrigins`: where a Ferry console (or any browser app calling the API with a key) is
 * served from, e.g. `https://console.example.org,http://localhost:3000`. Each entry is an origin
 * exactly as a browser sends it: scheme, host and optional port, no path, no trailing slash;
 * `https`, or `http` for localhost and 127.0.0.1 only. `*` is refused: a stack says which pages
 * may call it (a key pasted into a page on any other origin is then refused by the browser).
 */
export function parseConsoleOrigins(value: string | undefined): { origins: string[]; problems: string[] } {
  const entries = (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const problems: string[] = [];
  for (const entry of entries) {
    const why = originProblem(entry);
    if (why) problems.push(`consoleOrigins: "${entry}" ${why}`);
  }
  return { origins: problems.length === 0 ? [...new Set(entries)] : [], problems };
}

function originProblem(entry: string): string | undefined {
  if (entry === "*") return "is not accepted: list the origins the console is served from";
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return "is not an origin (scheme://host[:port])";
  }
  if (url.origin !== entry) return `is not an origin as a browser sends it (did you mean "${url.origin}"?)`;
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return "must be https (http only for localhost or 127.0.0.1)";
  }
  return undefined;
}

/** `arn:aws:ses:…:identity/example.com` → `example.com`; a name stays as it is. */
export function identityName(identity: string): string {
  return identity.split(":identity/").pop() ?? identity;
}

/**
 * Domains reserved for documentation and tests (RFC 2606, RFC 6761): mail to or from them goes
 * nowhere, so a setting that uses one is a placeholder left in.
 */
const RESERVED_DOMAINS = ["example.com", "example.net", "example.org"];
const RESERVED_TLDS = ["example", "test", "invalid", "localhost"];

function isReservedDomain(domain: string): boolean {
  const d = domain.toLowerCase().replace(/\.$/, "");
  if (RESERVED_DOMAINS.some((r) => d === r || d.endsWith(`.${r}`))) return true;
  return RESERVED_TLDS.some((tld) => d === tld || d.endsWith(`.${tld}`));
}

const domainOf = (address: string) => address.split("@").pop() ?? address;

/** The Upstash host cdk.json ships, and anything still holding a `<…>` template. */
function isPlaceholderUrl(url: string): boolean {
  if (/[<>]/.test(url)) return true;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host === "example.upstash.io" || isReservedDomain(host);
  } catch {
    return false; // malformed: settingProblems names it
  }
}

/** Everything `npm run deploy` refuses, each problem naming its setting. Empty: go ahead. */
export function preflightProblems(settings: DeploySettings): string[] {
  const problems: string[] = [];
  const required: readonly [SettingKey, string][] = [
    ["emailFrom", "the sender of every email (-c emailFrom=noreply@your-domain)"],
    ["sesIdentity", "the verified SES identity of the sender (-c sesIdentity=your-domain)"],
    ["upstashRestUrl", "the Upstash Redis REST URL (-c upstashRestUrl=https://<db>.upstash.io)"],
    [
      "alarmEmail",
      "where alarms are sent (-c alarmEmail=oncall@your-domain); without it no one hears of them",
    ],
  ];
  for (const [key, what] of required) {
    if (!settings[key]) problems.push(`${key}: is not set: ${what}`);
  }
  const { emailFrom, sesIdentity, upstashRestUrl, alarmEmail } = settings;
  if (emailFrom && isReservedDomain(domainOf(emailFrom))) {
    problems.push(
      `emailFrom: "${emailFrom}" is a placeholder (a reserved domain: mail from it goes nowhere)`,
    );
  }
  if (sesIdentity && isReservedDomain(domainOf(identityName(sesIdentity)))) {
    problems.push(`sesIdentity: "${sesIdentity}" is a placeholder (a reserved domain SES cannot verify)`);
  }
  if (upstashRestUrl && isPlaceholderUrl(upstashRestUrl)) {
    problems.push(`upstashRestUrl: "${upstashRestUrl}" is a placeholder; use your database's REST URL`);
  } else if (upstashRestUrl && /^http:/i.test(upstashRestUrl)) {
    problems.push(`upstashRestUrl: "${upstashRestUrl}" must be https (the token travels with every call)`);
  }
  if (alarmEmail && isReservedDomain(domainOf(alarmEmail))) {
    problems.push(
      `alarmEmail: "${alarmEmail}" is a placeholder (a reserved domain: alarms would reach no one)`,
    );
  }
  problems.push(...settingProblems(settings));
  return problems;
}
