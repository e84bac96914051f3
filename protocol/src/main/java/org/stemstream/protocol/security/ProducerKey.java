package org.stemstream.protocol.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The secret a deployment's producers and nodes share ({@code producer.key}, 64 hex digits, from
 * {@code stemstream keys init}): a producer proves it holds it when it opens a session with a node, and each session's
 * keys are derived from it ({@link SessionHandshake}). It never travels.
 */
public final class ProducerKey {
    public static final String FILE = "producer.key";
    static final int BYTES = 32;

    private final byte[] secret;

    private ProducerKey(byte[] secret) {
        this.secret = secret;
    }

    public static ProducerKey generate() {
        byte[] secret = new byte[BYTES];
        new SecureRandom().nextBytes(secret);
        return new ProducerKey(secret);
    }

    /** The key in {@code file}; an error naming the file and what is wrong with it. */
    public static ProducerKey read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("producer key: cannot read " + file + " (" + e.getMessage() + ")");
        }
        if (text.length() != 2 * BYTES || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("producer key: " + file + " does not hold " + 2 * BYTES
                    + " hex digits (stemstream keys init makes one)");
        }
        return new ProducerKey(HexFormat.of().parseHex(text));
    }

    /** The form {@link #read} takes. */
    public String hex() {
        return HexFormat.of().formatHex(secret);
    }

    byte[] secret() {
        return secret;
    }
}
