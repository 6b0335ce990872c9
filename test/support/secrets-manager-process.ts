/**
 * The test Secrets Manager (secrets-manager-emulator.ts) as a process of its own, as an external
 * endpoint would be: `node --import tsx test/support/secrets-manager-process.ts` prints
 * `listening <url>` once it serves, and runs until it is killed.
 */
import { startSecretsManagerEmulator } from "./secrets-manager-emulator.ts";

const emulator = await startSecretsManagerEmulator();
console.log(`listening ${emulator.url}`);
