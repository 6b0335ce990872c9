/**
 * Argument parsing shared by the operator commands: `--help`/`-h` prints the usage and succeeds;
 * an unknown option or a missing value prints what was wrong and the usage, and exits 2, instead
 * of a stack trace or node's advice about positionals.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export type CliArgs<O extends Options> =
  | {
      readonly kind: "run";
      readonly positionals: string[];
      readonly values: ReturnType<typeof parse<O>>["values"];
    }
  | { readonly kind: "exit"; readonly code: number };

function parse<O extends Options>(argv: string[], options: O) {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
}

export function parseCliArgs<O extends Options>(argv: string[], options: O, usage: string): CliArgs<O> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return { kind: "exit", code: 0 };
  }
  try {
    const { positionals, values } = parse(argv, options);
    return { kind: "run", positionals, values };
  } catch (error) {
    // node:util's message for an unknown option ends with advice about positionals: keep the first sentence.
    const message = (error as Error).message.split(". ")[0] ?? String(error);
    console.error(`${message}.\n\n${usage}`);
    return { kind: "exit", code: 2 };
  }
}
