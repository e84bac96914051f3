package org.stemstream.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every option and parameter of every command, the product's and the tools', says in --help what it is, and its default where it has one. */
class CliHelpTest {
    private static void check(CommandLine command, List<String> problems) {
        String name = command.getCommandSpec().qualifiedName();
        for (ArgSpec arg : command.getCommandSpec().args()) {
            String label = arg instanceof OptionSpec option ? option.longestName() : arg.paramLabel();
            String description = String.join(" ", arg.description());
            if (description.isBlank()) {
                problems.add(name + " " + label + ": no description");
            } else if (arg.defaultValue() != null && !description.contains("default")) {
                problems.add(name + " " + label + ": default " + arg.defaultValue() + " not named");
            }
        }
        command.getSubcommands().values().forEach(sub -> check(sub, problems));
    }

    @Test
    void everyOptionAndParameterIsDescribed() {
        List<String> problems = new ArrayList<>();
        check(StemstreamTools.commandLine(), problems);
        assertEquals(List.of(), problems);
    }
}
