package org.stemstream.node.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.stemstream.node.security.Credentials;
import org.stemstream.protocol.security.ProducerKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code stemstream keys init DIR}: the credentials a deployment needs, made with the JDK's keytool. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Credentials for a secured cluster.",
        subcommands = KeysCommand.Init.class)
public final class KeysCommand {

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Makes a certificate authority, the nodes' and the CLI's keys and certificates signed by it,"
                    + " a trust store, their password and an HTTP token in DIR (a new directory). Point nodes and the"
                    + " CLI at it with --security DIR or stemstream.security.dir.")
    static final class Init implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "The directory to make; it must not exist yet.")
        Path dir;

        @Option(names = "--hosts", paramLabel = "NAME", split = ",", defaultValue = "localhost,127.0.0.1",
                description = "The nodes' host names and addresses, which their certificate names for HTTPS"
                        + " clients that check them (default: ${DEFAULT-VALUE}).")
        List<String> hosts;

        @Option(names = "--days", paramLabel = "N", defaultValue = "825",
                description = "How long the certificates are valid (default: ${DEFAULT-VALUE}).")
        int days;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            OptionRange.between(spec, "--days", days, 1, 3650);
            if (Files.exists(dir)) {
                throw new IllegalArgumentException(dir + " exists: keys init makes a new directory and never"
                        + " overwrites credentials");
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                    "rwx------")));
            writeSecret(Credentials.PASSWORD);
            writeSecret(Credentials.HTTP_TOKEN);
            writeOwnerOnly(ProducerKey.FILE, ProducerKey.generate().hex());
            String names = String.join(",", hosts.stream()
                    .map(h -> (h.matches("[0-9.]+|.*:.*") ? "ip:" : "dns:") + h).toList());

            Keytool keytool = new Keytool(dir);
            keytool.run("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=stemstream CA", "-ext", "bc:c", "-validity", String.valueOf(days),
                    "-keystore", "ca.p12");
            keytool.run("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.crt");
            keytool.run("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt",
                    "-keystore", Credentials.TRUST_STORE);
            for (String who : List.of("node", "cli")) {
                String store = who + ".p12";
                keytool.run("-genkeypair", "-alias", who, "-keyalg", "EC", "-groupname", "secp256r1",
                        "-dname", "CN=stemstream " + who, "-validity", String.valueOf(days), "-keystore", store);
                keytool.run("-certreq", "-alias", who, "-keystore", store, "-file", who + ".csr");
                keytool.run("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-infile", who + ".csr",
                        "-outfile", who + ".crt", "-ext", "eku=serverAuth,clientAuth", "-ext", "san=" + names,
                        "-validity", String.valueOf(days));
                keytool.run("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.crt", "-keystore", store);
                keytool.run("-importcert", "-noprompt", "-alias", who, "-file", who + ".crt", "-keystore", store);
                Files.delete(dir.resolve(who + ".csr"));
            }
            System.out.println("credentials in " + dir.toAbsolutePath().normalize() + ":");
            System.out.println("  ca.p12      the certificate authority's key: keep it off the cluster; it signs"
                    + " new keys");
            System.out.println("  ca.crt, trust.p12, node.p12, cli.p12, node.crt, cli.crt, password: for the nodes"
                    + " and the CLI");
            System.out.println("  http-token  for HTTP requests that change the cluster (Authorization: Bearer ...)");
            System.out.println("  producer.key  for the detector's producers (stemstream detector --security DIR),"
                    + " and the nodes");
            System.out.println("use them with: stemstream node --security " + dir + " ...; stemstream scan ..."
                    + " --security " + dir);
            return 0;
        }

        /** A random secret in a file of the directory that only its owner can read. */
        private void writeSecret(String name) throws IOException {
            byte[] secret = new byte[24];
            new SecureRandom().nextBytes(secret);
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            writeOwnerOnly(name, text);
        }

        private void writeOwnerOnly(String name, String text) throws IOException {
            Path file = dir.resolve(name);
            Files.writeString(file, text + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }

    /**
     * The JDK's keytool, run in the credentials directory; it reads the stores' password from its file, so the
     * password never appears in a process list.
     */
    private record Keytool(Path dir) {
        void run(String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
            command.addAll(List.of(args));
            command.addAll(List.of("-storetype", "PKCS12", "-storepass:file", Credentials.PASSWORD));
            Process keytool = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
                throw new IllegalStateException("keytool " + args[0] + " failed: " + output.strip());
            }
        }
    }
}
