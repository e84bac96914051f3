package org.stemstream.node.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.stemstream.protocol.security.ProducerKey;

/**
 * A deployment's credentials directory, as {@code stemstream keys init} makes it: the certificate authority that
 * signs every certificate ({@code ca.crt}; its key, {@code ca.p12}, is needed only to sign more), the trust store
 * holding the CA ({@code trust.p12}), the nodes' key and certificate ({@code node.p12}), the actor CLI's
 * ({@code cli.p12}), the stores' password ({@code password}), the HTTP operators' token ({@code http-token}) and the
 * key the detector's producers share with the nodes ({@code producer.key}), the last three readable by their owner
 * only.
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
    /** The bearer token that HTTP requests which change the cluster (Management's member operations) must carry. */
    public static final String HTTP_TOKEN = "http-token";

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
        for (String file : List.of(TRUST_STORE, NODE_KEYS, CLI_KEYS, PASSWORD, HTTP_TOKEN,
                ProducerKey.FILE)) {
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

    /** The credentials the configuration names ({@code stemstream.security.dir}), or null: security off. */
    public static Credentials of(Config config) {
        String dir = config.getString("stemstream.security.dir");
        return dir.isEmpty() ? null : at(Path.of(dir));
    }

    public Path dir() {
        return dir;
    }

    /** The token an HTTP request that changes the cluster must carry ({@code Authorization: Bearer TOKEN}). */
    public String httpToken() {
        try {
            return Files.readString(dir.resolve(HTTP_TOKEN), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The key producers prove they hold before a node takes their blocks. */
    public ProducerKey producerKey() {
        return ProducerKey.read(dir.resolve(ProducerKey.FILE));
    }

    /** TLS for the node's HTTPS port, presenting the node's certificate. */
    public SSLContext httpsServer() {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(dir.resolve(NODE_KEYS))) {
                keys.load(in, password.toCharArray());
            }
            KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            managers.init(keys, password.toCharArray());
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(managers.getKeyManagers(), null, null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("credentials: " + dir.resolve(NODE_KEYS) + ": " + e.getMessage(), e);
        }
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
