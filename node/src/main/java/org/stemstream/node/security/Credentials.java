package org.stemstream.node.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A deployment's credentials directory, as {@code stemstream keys init} makes it: the certificate authority that
 * signs every certificate ({@code ca.crt}; its key, {@code ca.p12}, is needed only to sign more), the trust store
 * holding the CA ({@code trust.p12}), the nodes' key and certificate ({@code node.p12}), the actor CLI's
 * ({@code cli.p12}), and the stores' password ({@code password}, readable by its owner only).
 *
 * <p>With them, Pekko's remoting runs over TLS 1.3 with mutual authentication: a node or CLI accepts a connection
 * only from a peer whose certificate the CA signed, so a process without credentials can neither join the cluster
 * nor ask a node anything; a refused certificate is logged ({@link RefusalLoggingTls}).
 */
public final class Credentials {
    public static final String TRUST_STORE = "trust.p12";
    public static final String NODE_KEYS = "node.p12";
    public static final String CLI_KEYS = "cli.p12";
    public static final String PASSWORD = "password";

    private final Path dir;
    private final String password;

    private Credentials(Path dir, String password) {
        this.dir = dir;
        this.password = password;
    }

    /** The credentials in {@code dir}; a clear error naming what is missing. */
    public static Credentials at(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(absolute)) {
            throw new IllegalArgumentException("credentials: " + dir + " is not a directory (make one with"
                    + " stemstream keys init " + dir + ")");
        }
        for (String file : List.of(TRUST_STORE, NODE_KEYS, CLI_KEYS, PASSWORD)) {
            if (!Files.isRegularFile(absolute.resolve(file))) {
                throw new IllegalArgumentException("credentials: " + absolute.resolve(file) + " is missing (stemstream"
                        + " keys init makes every file a deployment needs)");
            }
        }
        try {
            return new Credentials(absolute, Files.readString(absolute.resolve(PASSWORD), StandardCharsets.UTF_8)
                    .strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** Remoting over mutually authenticated TLS, presenting the node's certificate. */
    public Config forNode() {
        return remoting(NODE_KEYS);
    }

    /** Remoting over mutually authenticated TLS, presenting the CLI's certificate. */
    public Config forCli() {
        return remoting(CLI_KEYS);
    }

    private Config remoting(String keys) {
        String engine = "pekko.remote.artery.ssl.config-ssl-engine.";
        return ConfigFactory.parseMap(Map.of(
                "pekko.remote.artery.transport", "tls-tcp",
                "pekko.remote.artery.ssl.ssl-engine-provider", RefusalLoggingTls.class.getName(),
                engine + "key-store", dir.resolve(keys).toString(),
                engine + "key-store-password", password,
                engine + "key-password", password,
                engine + "trust-store", dir.resolve(TRUST_STORE).toString(),
                engine + "trust-store-password", password,
                engine + "protocol", "TLSv1.3",
                engine + "require-mutual-authentication", "on"));
    }
}
