package org.stemstream.node.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Where the actor CLI finds the cluster. */
final class ContactOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--contact", paramLabel = "HOST:PORT",
            description = "Any node's cluster address (default: stemstream.cli.contact in application.conf).")
    String contact;

    @Option(names = "--ask-timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long to wait for the cluster to answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    ClusterClient connect() {
        OptionRange.atLeast(spec, "--ask-timeout", timeoutSeconds, 1);
        String address = contact != null ? contact
                : com.typesafe.config.ConfigFactory.load().getString("stemstream.cli.contact");
        return ClusterClient.connect(address, Duration.ofSeconds(timeoutSeconds));
    }
}
