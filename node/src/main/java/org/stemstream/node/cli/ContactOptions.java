package org.stemstream.node.cli;

import java.time.Duration;
import picocli.CommandLine.Option;

/** Where the actor CLI finds the cluster. */
final class ContactOptions {
    @Option(names = "--contact", paramLabel = "HOST:PORT",
            description = "Any node's cluster address (default: ${DEFAULT-VALUE}, from application.conf).",
            defaultValue = "${STEMSTREAM_CONTACT:-127.0.0.1:2552}")
    String contact;

    @Option(names = "--ask-timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long to wait for the cluster to answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    ClusterClient connect() {
        return ClusterClient.connect(contact, Duration.ofSeconds(timeoutSeconds));
    }
}
