/** Entry-point plumbing shared by the local commands: exit with main's code, even with idle sockets open. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
      // Handlers' idle keep-alive sockets must not hold the process open.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (e: unknown) => {
      process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(3);
    },
  );
}
