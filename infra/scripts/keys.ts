/**
 * `npm run keys -- create --name N --scopes a,b | list | revoke <keyId>`
 * Talks to the Redis Ferry uses: UPSTASH_REDIS_REST_URL/TOKEN when set (a deployed stack), else
 * the running local runtime (`npm run dev` records its endpoints in .ferry/local.json).
 * `revoke` also closes the key's WebSocket connections, through WS_CALLBACK_URL (a deployed
 * stack; needs execute-api:ManageConnections on DELETE @connections) or the local runtime.
 */
import { parseArgs } from "node:util";
import { SCOPES, type Scope } from "#shared/app/manifest.ts";
import { createApiKey, listApiKeys } from "#shared/auth/api-keys.ts";
import { revokeKeyEverywhere } from "#shared/realtime/revoke-connections.ts";
import { resolveManagementApiForCli } from "./management-for-cli.ts";
import { resolveRedisForCli } from "./redis-for-cli.ts";

const USAGE = `Usage:
  npm run keys -- create --name <name> --scopes <scope,scope,...>
  npm run keys -- list
  npm run keys -- revoke <keyId>
Scopes: ${SCOPES.join(", ")}`;

function parseScopes(raw: string | undefined): Scope[] {
  if (!raw) throw new Error(`--scopes is required (${SCOPES.join(", ")})`);
  const scopes = raw.split(",").map((s) => s.trim());
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`unknown scope(s): ${unknown.join(", ")}; known: ${SCOPES.join(", ")}`);
  return scopes as Scope[];
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: "string" }, scopes: { type: "string" }, json: { type: "boolean" } },
  });
  const [command, ...rest] = positionals;
  if (command !== "create" && command !== "list" && command !== "revoke") {
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
    else for (const k of keys) console.log(`${k.keyId}\t${k.name}\t${k.scopes.join(",")}\t${k.createdAt}`);
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

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
