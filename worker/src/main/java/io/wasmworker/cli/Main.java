package io.wasmworker.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code wasm-worker}: the command line. Exit codes are listed in {@link ExitCodes}. */
@Command(
        name = "wasm-worker",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Runs process-engine task logic as sandboxed WebAssembly.",
        subcommands = {
            RunCommand.class,
            DevCommand.class,
            InvokeCommand.class,
            ArtifactsCommand.class,
            SnapshotsCommand.class,
            TemplatesCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:the guest failed (trap, exit code, timeout, limit, invalid output)",
            "2:usage error (bad arguments, input, artifact or module)",
            "3:the guest declared a business error"
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI in-process (tests use this) and returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // No @argument files: `invoke --input @FILE` reads FILE as the input itself, and a payload's
        // lines must never become options (a JSON file could otherwise set --max-memory).
        cli.setExpandAtFiles(false);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + ExitCodes.describe(e));
            return ExitCodes.USAGE;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
