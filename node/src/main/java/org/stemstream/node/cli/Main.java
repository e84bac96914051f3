package org.stemstream.node.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code stemstream} command line of the product: the node, the actor CLI and offline counting. The tools module
 * adds its commands (demo, detector, simulate, bench) with {@link #commandLine}.
 */
@Command(name = "stemstream", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Streams 4D-STEM detector frames into a cluster and counts electrons on the fly.",
        subcommands = {NodeCommand.class, ScanCommand.class, MembersCommand.class, SectorsCommand.class,
                PartitionsCommand.class, CountCommand.class, KeysCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        org.slf4j.LoggerFactory.getILoggerFactory(); // logging ready before Pekko's threads start using it
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code: 0 done, 1 failed, 2 bad usage or bad input. */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    /** The command line with the product's commands and {@code more} (picocli commands), errors reported plainly. */
    public static CommandLine commandLine(Object... more) {
        CommandLine line = new CommandLine(new Main()).setExecutionExceptionHandler(Main::reportError)
                .setParameterExceptionHandler(Main::reportUsageError);
        for (Object command : more) {
            line.addSubcommand(command);
        }
        return line;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Bad input ends with one clear line, not a stack trace. */
    private static int reportError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (cause instanceof IOException || cause instanceof IllegalArgumentException) {
            cmd.getErr().println("stemstream " + cmd.getCommandName() + ": " + describe(cause));
            return 2;
        }
        cmd.getErr().println("stemstream " + cmd.getCommandName() + " failed:");
        e.printStackTrace(cmd.getErr());
        return 1;
    }

    /** A usage error is one line and where to read more (a whole usage text buries it in a job's log). */
    private static int reportUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        cmd.getErr().println(e.getMessage());
        cmd.getErr().println("(see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
        return 2;
    }

    /** The JDK names a file it could not find, and nothing else: say what went wrong with it. */
    private static String describe(Throwable e) {
        if (e instanceof FileSystemException f && f.getReason() == null) {
            String what = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists" : e.getClass().getSimpleName();
            return f.getFile() + ": " + what;
        }
        return e.getMessage();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"stemstream " + (v == null ? "dev" : v)};
        }
    }
}
