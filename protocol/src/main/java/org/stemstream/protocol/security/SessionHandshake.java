package org.stemstream.protocol.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.stemstream.protocol.FrameGeometry;

/**
 * How a producer opens an authenticated session with a node, on the node's routing socket (see
 * docs/wire-protocol.md): the producer says hello with its sector and a fresh nonce, the node answers with a session
 * id, its own fresh nonce and a proof. Both derive the session's keys from the shared {@link ProducerKey} and both
 * nonces, so neither side can be replayed into an old session, and the proof shows the producer that the node holds
 * the key. The producer proves it holds the key with every message it seals ({@link BlockSeal}).
 *
 * <pre>
 * hello:   stemstream-hello 1 SECTOR PRODUCER_NONCE
 * welcome: stemstream-session 1 SESSION NODE_NONCE PROOF      (hex; nonces 16 bytes, session 8, proof 32)
 * </pre>
 *
 * Keys: {@code PRK = HMAC-SHA256(producer key, "stemstream session 1" | sector | producer nonce | node nonce |
 * session)}, then {@code HMAC-SHA256(PRK, label)} for the labels "mac", "encryption" and "proof" (HKDF's expand step
 * with one block each).
 */
public final class SessionHandshake {
    static final int NONCE_BYTES = 16;
    private static final String HELLO = "stemstream-hello 1 ";
    private static final String WELCOME = "stemstream-session 1 ";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private SessionHandshake() {
    }

    /** A producer's hello: its sector and its nonce. */
    public record Hello(int sector, byte[] nonce) {
        public static Hello fresh(int sector) {
            return new Hello(sector, random(NONCE_BYTES));
        }

        public byte[] encode() {
            return (HELLO + sector + " " + HEX.formatHex(nonce)).getBytes(StandardCharsets.US_ASCII);
        }

        public static boolean isOne(byte[] message) {
            return startsWith(message, HELLO);
        }

        /** @throws IllegalArgumentException naming what is wrong */
        public static Hello decode(byte[] message) {
            String[] words = words(message, 4, "hello");
            int sector = parseInt(words[2], "hello's sector");
            if (sector < 0 || sector >= FrameGeometry.SECTORS) {
                throw new IllegalArgumentException("a hello for sector " + sector);
            }
            return new Hello(sector, hex(words[3], NONCE_BYTES, "hello's nonce"));
        }
    }

    /** A node's answer to a hello: the session it opened, its nonce and its proof of the key. */
    public record Welcome(long session, byte[] nonce, byte[] proof) {
        public byte[] encode() {
            return (WELCOME + Long.toHexString(session) + " " + HEX.formatHex(nonce) + " " + HEX.formatHex(proof))
                    .getBytes(StandardCharsets.US_ASCII);
        }

        public static boolean isOne(byte[] message) {
            return startsWith(message, WELCOME);
        }

        /** @throws IllegalArgumentException naming what is wrong */
        public static Welcome decode(byte[] message) {
            String[] words = words(message, 5, "welcome");
            long session;
            try {
                session = Long.parseUnsignedLong(words[2], 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("a welcome whose session is no number: " + words[2]);
            }
            return new Welcome(session, hex(words[3], NONCE_BYTES, "welcome's nonce"),
                    hex(words[4], 32, "welcome's proof"));
        }
    }

    /** The node's side: a session for this hello, and the welcome that tells the producer. */
    public record Opened(SessionKeys keys, Welcome welcome) {
    }

    public static Opened open(ProducerKey key, Hello hello) {
        long session = RANDOM.nextLong();
        byte[] nonce = random(NONCE_BYTES);
        SessionKeys keys = derive(key, hello.sector(), hello.nonce(), nonce, session);
        return new Opened(keys, new Welcome(session, nonce, keys.proof()));
    }

    /**
     * The producer's side: the session's keys from the node's welcome.
     *
     * @throws IllegalArgumentException when the proof is wrong: the node does not hold this producer key
     */
    public static SessionKeys accept(ProducerKey key, Hello hello, Welcome welcome) {
        SessionKeys keys = derive(key, hello.sector(), hello.nonce(), welcome.nonce(), welcome.session());
        if (!MessageDigest.isEqual(keys.proof(), welcome.proof())) {
            throw new IllegalArgumentException("the node does not hold this deployment's producer key (its proof"
                    + " does not match)");
        }
        return keys;
    }

    static SessionKeys derive(ProducerKey key, int sector, byte[] producerNonce, byte[] nodeNonce, long session) {
        try {
            Mac extract = Mac.getInstance("HmacSHA256");
            extract.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
            extract.update("stemstream session 1".getBytes(StandardCharsets.US_ASCII));
            extract.update(ByteBuffer.allocate(4).putInt(sector).array());
            extract.update(producerNonce);
            extract.update(nodeNonce);
            extract.update(ByteBuffer.allocate(8).putLong(session).array());
            Mac expand = Mac.getInstance("HmacSHA256");
            expand.init(new SecretKeySpec(extract.doFinal(), "HmacSHA256"));
            return new SessionKeys(session, sector, label(expand, "mac"), label(expand, "encryption"),
                    label(expand, "proof"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    private static byte[] label(Mac expand, String label) {
        expand.update(label.getBytes(StandardCharsets.US_ASCII));
        expand.update((byte) 1);
        return expand.doFinal();
    }

    private static byte[] random(int bytes) {
        byte[] out = new byte[bytes];
        RANDOM.nextBytes(out);
        return out;
    }

    private static boolean startsWith(byte[] message, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        return message.length >= p.length && Arrays.equals(message, 0, p.length, p, 0, p.length);
    }

    private static String[] words(byte[] message, int count, String what) {
        String[] words = new String(message, StandardCharsets.US_ASCII).strip().split(" ");
        if (words.length != count) {
            throw new IllegalArgumentException("a " + what + " has " + count + " words, not " + words.length);
        }
        return words;
    }

    private static int parseInt(String word, String what) {
        try {
            return Integer.parseInt(word);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " is no number: " + word);
        }
    }

    private static byte[] hex(String word, int bytes, String what) {
        if (word.length() != 2 * bytes || !word.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException(what + " is not " + bytes + " bytes of hex");
        }
        return HEX.parseHex(word);
    }
}
