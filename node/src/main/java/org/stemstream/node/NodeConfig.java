package org.stemstream.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.stemstream.node.security.Credentials;

/**
 * Loads the configuration in layers: command-line overrides, then the given file (else the top-level
 * {@code application.conf} the launcher points to), then the defaults in {@code reference.conf}.
 */
public final class NodeConfig {
    private NodeConfig() {
    }

    public static Config load(Path file, Map<String, Object> overrides) {
        Config base;
        try {
            if (file != null) {
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("configuration file " + file + " does not exist");
                }
                base = ConfigFactory.parseFile(file.toFile()).withFallback(ConfigFactory.load());
            } else {
                base = ConfigFactory.load();
            }
            Config config = withLease(ConfigFactory.parseMap(overrides).withFallback(base).resolve());
            refuseUnknown(config);
            NodeSettings.from(config); // fail now, with the setting's name, rather than halfway through start-up
            Credentials.of(config); // missing credentials stop the node before it starts
            return config;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    /** With a lease file, the split brain resolver keeps the side that holds the lease in it. */
    private static Config withLease(Config config) {
        String file = config.getString("stemstream.cluster.lease-file");
        if (file.isEmpty()) {
            return config;
        }
        Path dir = Path.of(file).toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("stemstream.cluster.lease-file " + file + ": no directory " + dir);
        }
        return ConfigFactory.parseMap(Map.of(
                "pekko.cluster.split-brain-resolver.active-strategy", "lease-majority",
                "pekko.cluster.split-brain-resolver.lease-majority.lease-implementation", "stemstream.file-lease",
                "stemstream.file-lease.file", file))
                .withFallback(config);
    }

    /**
     * A misspelt setting would otherwise be ignored, and the node run on the default: every key under
     * {@code stemstream} must be one the reference configuration defines (the counting dispatcher takes Pekko's
     * dispatcher settings, so it is not checked here).
     */
    private static void refuseUnknown(Config config) {
        Config reference = ConfigFactory.defaultReference().getConfig("stemstream");
        for (Map.Entry<String, ConfigValue> setting : config.getConfig("stemstream").entrySet()) {
            String key = setting.getKey();
            if (key.startsWith("counting-dispatcher.") || reference.hasPathOrNull(key)) {
                continue;
            }
            List<String> path = ConfigUtil.splitPath(key);
            int known = 0;
            while (reference.hasPath(ConfigUtil.joinPath(path.subList(0, known + 1)))) {
                known++;
            }
            String parent = known == 0 ? "" : ConfigUtil.joinPath(path.subList(0, known));
            Config section = known == 0 ? reference : reference.getConfig(parent);
            throw new IllegalArgumentException("configuration: unknown setting stemstream." + key + " ("
                    + setting.getValue().origin().description() + "); stemstream" + (known == 0 ? "" : "." + parent)
                    + " has " + String.join(", ", new TreeSet<>(section.root().keySet())));
        }
    }
}
