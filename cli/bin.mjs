#!/usr/bin/env node
// `npx ferry …` from the repository: run the TypeScript CLI through tsx, as the other scripts do.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
