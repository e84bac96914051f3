package org.stemstream.node.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.stemstream.node.security.Credentials;
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

    @Option(names = "--security", paramLabel = "DIR",
            description = "Credentials made by stemstream keys init, to reach a secured cluster (default:"
                    + " stemstream.security.dir).")
    Path security;

    @Option(names = "--ask-timeout", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long to wait for the cluster to answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    ClusterClient connect() {
        OptionRange.atLeast(spec, "--ask-timeout", timeoutSeconds, 1);
        Config config = ConfigFactory.load();
        String address = contact != null ? contact : config.getString("stemstream.cli.contact");
        return ClusterClient.connect(address, Duration.ofSeconds(timeoutSeconds),
                security != null ? Credentials.at(security) : Credentials.of(config));
    }
}
