package org.stemstream.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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
            Config config = ConfigFactory.parseMap(overrides).withFallback(base).resolve();
            NodeSettings.from(config); // fail now, with the setting's name, rather than halfway through start-up
            return config;
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }
}
