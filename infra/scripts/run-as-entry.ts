/**
 * The tail every `npm run <script>` shares: run `main` only when this file is the process's entry
 * (so tests can import `main` without running it), exit with the code it returns, and turn an
 * unexpected error into one line named after the command instead of a stack trace.
 */
export function runAsEntry(
  moduleUrl: string,
  command: string,
  main: (argv: string[]) => Promise<number>,
): void {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
