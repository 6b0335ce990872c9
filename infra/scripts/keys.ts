/**
 * `npm run keys -- create --name N --scopes a,b | list | revoke <keyId>
 *                 | limit <keyId> --policy api|emails (--capacity C --per-second R | --clear)`
 * A key's own limit replaces the policy's capacity and refill for that key, from its next
 * request, in every running container: no deploy (see README, Rate limiting).
 * Talks to the Redis Ferry uses: UPSTASH_REDIS_REST_URL/TOKEN when set (a deployed stack), else
 * the running local runtime (`npm run dev` records its endpoints in .ferry/local.json).
 * `revoke` also closes the key's WebSocket connections, through WS_CALLBACK_URL (a deployed
 * stack; needs execute-api:ManageConnections on DELETE @connections) or the local runtime.
 */
import "#infra/scripts/cli-environment.ts";
import { SCOPES, type Scope } from "#shared/app/manifest.ts";
import {
  createApiKey,
  type KeyLimit,
  keyLimitSchema,
  listApiKeys,
  PER_KEY_POLICIES,
  type PerKeyPolicy,
  type StoredApiKey,
  setApiKeyLimit,
} from "#shared/auth/api-keys.ts";
import { revokeKeyEverywhere } from "#shared/realtime/revoke-connections.ts";
import { parseCliArgs } from "./cli-args.ts";
import { resolveManagementApiForCli } from "./management-for-cli.ts";
import { resolveRedisForCli } from "./redis-for-cli.ts";
import { runAsEntry } from "./run-as-entry.ts";

const USAGE = `Usage:
  npm run keys -- create --name <name> --scopes <scope,scope,...>
  npm run keys -- list
  npm run keys -- revoke <keyId>
  npm run keys -- limit <keyId> --policy <${PER_KEY_POLICIES.join("|")}> --capacity <units> --per-second <units>
  npm run keys -- limit <keyId> --policy <${PER_KEY_POLICIES.join("|")}> --clear
Scopes: ${SCOPES.join(", ")}`;

function parsePolicy(raw: string | undefined): PerKeyPolicy {
  if (!raw || !(PER_KEY_POLICIES as readonly string[]).includes(raw)) {
    throw new Error(`--policy must be one of ${PER_KEY_POLICIES.join(", ")}`);
  }
  return raw as PerKeyPolicy;
}

function parseLimit(capacity: string | undefined, perSecond: string | undefined): KeyLimit {
  const parsed = keyLimitSchema.safeParse({ capacity: Number(capacity), refillPerSecond: Number(perSecond) });
  if (!parsed.success) {
    throw new Error("--capacity must be a whole number ≥ 1 and --per-second a number > 0");
  }
  return parsed.data;
}

const describeLimits = (key: StoredApiKey) =>
  Object.entries(key.limits ?? {})
    .map(([policy, l]) => `${policy}=${l.capacity}@${l.refillPerSecond}/s`)
    .join(",") || "-";

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) throw new Error(`--scopes is required (${SCOPES.join(", ")})`);
  const scopes = raw.split(",").map((s) => s.trim());
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown scope(s): ${unknown.join(", ")}; known: ${SCOPES.join(", ")}`);
  return scopes as Scope[];
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCliArgs(
    argv,
    {
      name: { type: "string" },
      scopes: { type: "string" },
      json: { type: "boolean" },
      policy: { type: "string" },
      capacity: { type: "string" },
      "per-second": { type: "string" },
      clear: { type: "boolean" },
    },
    USAGE,
  );
  if (args.kind === "exit") return args.code;
  const { positionals, values } = args;
  const [command, ...rest] = positionals;
  if (command !== "create" && command !== "list" && command !== "revoke" && command !== "limit") {
    console.error(USAGE);
    return 2;
  }
  const redis = await resolveRedisForCli();
  if (command === "create") {
    if (!values.name) throw new Error("--name is required");
    const { secret, key } = await createApiKey(redis, {
      name: values.name,
      scopes: parseScopes(values.scopes),
    });
    if (values.json) console.log(JSON.stringify({ secret, ...key }));
    else {
      console.log(`Created ${key.keyId} (${key.name}) with scopes ${key.scopes.join(", ")}.`);
      console.log(`API key (shown once, store it now): ${secret}`);
    }
    return 0;
  }
  if (command === "list") {
    const keys = await listApiKeys(redis);
    if (values.json) console.log(JSON.stringify(keys));
    else if (keys.length === 0) console.log("No API keys.");
    else {
      for (const k of keys) {
        console.log(`${k.keyId}\t${k.name}\t${k.scopes.join(",")}\t${k.createdAt}\t${describeLimits(k)}`);
      }
    }
    return 0;
  }
  if (command === "limit") {
    const keyId = rest[0];
    if (!keyId) throw new Error("limit needs a keyId (see `npm run keys -- list`)");
    const policy = parsePolicy(values.policy);
    const limit = values.clear ? null : parseLimit(values.capacity, values["per-second"]);
    const updated = await setApiKeyLimit(redis, keyId, policy, limit);
    if (!updated) {
      console.error(`No key with id ${keyId}.`);
      return 1;
    }
    if (values.json) console.log(JSON.stringify(updated));
    else if (limit) {
      console.log(
        `${keyId}: ${policy} limited to ${limit.capacity} units, ${limit.refillPerSecond}/s, from its next request.`,
      );
    } else console.log(`${keyId}: ${policy} follows the policy again, from its next request.`);
    return 0;
  }
  const keyId = rest[0];
  if (!keyId) throw new Error("revoke needs a keyId (see `npm run keys -- list`)");
  const managementApi = resolveManagementApiForCli();
  const outcome = await revokeKeyEverywhere({ redis, managementApi }, keyId);
  managementApi?.destroy();
  const forgotten = outcome.closed + outcome.notOpen + outcome.failed;
  if (forgotten > 0) {
    console.log(`Closed ${outcome.closed} WebSocket connection(s) of ${keyId}.`);
    if (!managementApi && outcome.notOpen > 0)
      console.error("Set WS_CALLBACK_URL to close them too; until then they receive nothing.");
    if (outcome.failed > 0)
      console.error(`${outcome.failed} could not be closed; they receive nothing and time out when idle.`);
  }
  if (!outcome.revoked) {
    console.error(`No key with id ${keyId}.`);
    return 1;
  }
  console.log(`Revoked ${keyId}.`);
  return 0;
}

runAsEntry(import.meta.url, "keys", main);
