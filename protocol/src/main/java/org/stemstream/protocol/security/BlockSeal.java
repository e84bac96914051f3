package org.stemstream.protocol.security;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals (producer) and opens (node) the messages of one session: each gets a last part, the seal, that names the
 * session and the message's sequence number, and authenticates it. One thread uses a seal.
 *
 * <pre>
 * bytes 0-7    session (uint64, little-endian)
 * bytes 8-15   sequence (uint64): 1 for the session's first message, then one more for each
 * byte  16     kind: 0 a block in clear, 1 a block with its payload encrypted, 2 an end of scan
 * bytes 17-48  kinds 0 and 2: HMAC-SHA256 (the session's mac key) of bytes 0-16, then the header (or the end of scan),
 *              then the payload
 * </pre>
 *
 * Kind 1's seal is its 17 first bytes; its payload part is the payload encrypted with AES-256-GCM (the session's
 * encryption key; nonce: the sequence, little-endian, then the kind and three zero bytes; additional data: the seal's
 * 17 bytes, then the header), followed by GCM's 16-byte tag. A node accepts a message only with a sequence above the
 * last it accepted in the session, so a message sent again by anyone else is refused as replayed.
 *
 * <p>A producer's question about stored frames carries a challenge (the session, then 8 random bytes), and the node
 * seals its answer to it: an HMAC-SHA256 with the session's mac key of "stemstream stored", the challenge, and each
 * part of the answer after its length (uint32). So only a node that holds the session's keys can tell a producer its
 * frames are stored, and only in answer to that question.
 *
 * <p>HMAC rather than GCM's own authentication for blocks in clear: the JDK's GCM copies additional data it is given
 * (333 KB for a block), and its HMAC-SHA256 runs at about 1.4 GB/s with the CPU's SHA instructions (see
 * docs/benchmarks.md).
 */
public final class BlockSeal {
    public static final int KIND_CLEAR = 0;
    public static final int KIND_ENCRYPTED = 1;
    public static final int KIND_END = 2;
    static final int PREFIX_BYTES = 17;
    static final int MAC_BYTES = 32;
    public static final int TAG_BYTES = 16;
    /** The seal of a message authenticated by HMAC (a block in clear, or an end of scan). */
    public static final int MAC_SEAL_BYTES = PREFIX_BYTES + MAC_BYTES;
    /** The seal of an encrypted block. */
    public static final int GCM_SEAL_BYTES = PREFIX_BYTES;
    /** An encrypted block's payload part: the encrypted payload and GCM's tag. */
    public static final int ENCRYPTED_PAYLOAD_BYTES = SECTOR_BYTES + TAG_BYTES;

    /** A challenge's length. */
    public static final int CHALLENGE_BYTES = 16;
    private static final byte[] ANSWER_LABEL = "stemstream stored".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /** What a node makes of a sealed message. */
    public enum Verdict { ACCEPTED, TAMPERED, REPLAYED }

    /** A sealed block's two last parts: its payload part (encrypted or not) and its seal. */
    public record Sealed(byte[] payload, byte[] seal) {
    }

    private final SessionKeys keys;
    private final Mac mac;
    private final Cipher cipher;
    private final SecretKeySpec encryptionKey;
    private final byte[] nonce = new byte[12];
    private final byte[] expected = new byte[MAC_BYTES];
    /** Producer: the last sequence sealed. Node: the last sequence accepted. */
    private long sequence;

    public BlockSeal(SessionKeys keys) {
        this.keys = keys;
        try {
            this.mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(keys.macKey(), "HmacSHA256"));
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 and AES-GCM are part of every JDK", e);
        }
        this.encryptionKey = new SecretKeySpec(keys.encryptionKey(), "AES");
    }

    public long session() {
        return keys.session();
    }

    public int sector() {
        return keys.sector();
    }

    // ---- producer ---------------------------------------------------------------------------------------------------

    /** Seals a block: its payload as it is with an HMAC, or encrypted into a new array. */
    public Sealed sealBlock(byte[] header, byte[] payload, boolean encrypt) {
        if (!encrypt) {
            byte[] seal = prefix(KIND_CLEAR, MAC_SEAL_BYTES);
            mac.update(seal, 0, PREFIX_BYTES);
            mac.update(header);
            mac.update(payload, 0, SECTOR_BYTES);
            finishMac(seal);
            return new Sealed(payload, seal);
        }
        byte[] seal = prefix(KIND_ENCRYPTED, GCM_SEAL_BYTES);
        byte[] encrypted = new byte[ENCRYPTED_PAYLOAD_BYTES];
        try {
            cipher.init(Cipher.ENCRYPT_MODE, encryptionKey, gcmNonce(sequence, KIND_ENCRYPTED));
            cipher.updateAAD(seal);
            cipher.updateAAD(header);
            cipher.doFinal(payload, 0, SECTOR_BYTES, encrypted, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused a block", e);
        }
        return new Sealed(encrypted, seal);
    }

    /** The seal of an end of scan. */
    public byte[] sealEnd(byte[] end) {
        byte[] seal = prefix(KIND_END, MAC_SEAL_BYTES);
        mac.update(seal, 0, PREFIX_BYTES);
        mac.update(end);
        finishMac(seal);
        return seal;
    }

    private byte[] prefix(int kind, int length) {
        byte[] seal = new byte[length];
        ByteBuffer.wrap(seal).order(ByteOrder.LITTLE_ENDIAN).putLong(keys.session()).putLong(++sequence)
                .put((byte) kind);
        return seal;
    }

    private void finishMac(byte[] seal) {
        try {
            mac.doFinal(seal, PREFIX_BYTES);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A challenge for a question to the node: the session, and 8 fresh random bytes. */
    public byte[] challenge() {
        byte[] challenge = new byte[CHALLENGE_BYTES];
        RANDOM.nextBytes(challenge);
        ByteBuffer.wrap(challenge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, keys.session());
        return challenge;
    }

    /** Whether an answer's seal is the node's, for this challenge. */
    public boolean answerMatches(byte[] challenge, byte[][] parts, byte[] seal) {
        if (seal == null || seal.length != MAC_BYTES) {
            return false;
        }
        return java.security.MessageDigest.isEqual(answerMac(mac, challenge, parts), seal);
    }

    // ---- node -------------------------------------------------------------------------------------------------------

    /** The seal of an answer to a challenge, with a session's keys (any thread: it makes its own HMAC). */
    public static byte[] sealAnswer(SessionKeys keys, byte[] challenge, byte[][] parts) {
        try {
            Mac answerMac = Mac.getInstance("HmacSHA256");
            answerMac.init(new SecretKeySpec(keys.macKey(), "HmacSHA256"));
            return answerMac(answerMac, challenge, parts);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is part of every JDK", e);
        }
    }

    private static byte[] answerMac(Mac mac, byte[] challenge, byte[][] parts) {
        mac.update(ANSWER_LABEL);
        mac.update(challenge);
        for (byte[] part : parts) {
            mac.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, part.length).array());
            mac.update(part);
        }
        return mac.doFinal();
    }

    /** The session a seal names (the caller checks its length first). */
    public static long sessionOf(byte[] seal) {
        return ByteBuffer.wrap(seal).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** The kind a seal gives: {@link #KIND_CLEAR}, {@link #KIND_ENCRYPTED} or {@link #KIND_END}. */
    public static int kindOf(byte[] seal) {
        return seal[PREFIX_BYTES - 1];
    }

    /**
     * Checks a block (kind 0 or 1, as its seal says; the caller checked the parts' lengths). An encrypted payload is
     * decrypted in place: the first {@code SECTOR_BYTES} of {@code payload} are then the block's pixels.
     */
    public Verdict openBlock(byte[] header, byte[] payload, byte[] seal) {
        long seq = sequenceOf(seal);
        if (kindOf(seal) == KIND_CLEAR) {
            mac.update(seal, 0, PREFIX_BYTES);
            mac.update(header);
            mac.update(payload, 0, SECTOR_BYTES);
            return verdict(macMatches(seal), seq);
        }
        try {
            cipher.init(Cipher.DECRYPT_MODE, encryptionKey, gcmNonce(seq, KIND_ENCRYPTED));
            cipher.updateAAD(seal, 0, PREFIX_BYTES);
            cipher.updateAAD(header);
            cipher.doFinal(payload, 0, ENCRYPTED_PAYLOAD_BYTES, payload, 0);
            return verdict(true, seq);
        } catch (AEADBadTagException e) {
            return Verdict.TAMPERED;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM refused a block", e);
        }
    }

    /** Checks an end of scan (kind 2). */
    public Verdict openEnd(byte[] end, int length, byte[] seal) {
        mac.update(seal, 0, PREFIX_BYTES);
        mac.update(end, 0, length);
        return verdict(macMatches(seal), sequenceOf(seal));
    }

    private boolean macMatches(byte[] seal) {
        try {
            mac.doFinal(expected, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        int difference = 0; // in constant time, as MessageDigest.isEqual, without copying the seal's MAC out
        for (int i = 0; i < MAC_BYTES; i++) {
            difference |= expected[i] ^ seal[PREFIX_BYTES + i];
        }
        return difference == 0;
    }

    /** A genuine message is accepted once: its sequence must pass the last accepted. */
    private Verdict verdict(boolean genuine, long seq) {
        if (!genuine) {
            return Verdict.TAMPERED;
        }
        if (Long.compareUnsigned(seq, sequence) <= 0) {
            return Verdict.REPLAYED;
        }
        sequence = seq;
        return Verdict.ACCEPTED;
    }

    private static long sequenceOf(byte[] seal) {
        return ByteBuffer.wrap(seal).order(ByteOrder.LITTLE_ENDIAN).getLong(8);
    }

    private GCMParameterSpec gcmNonce(long seq, int kind) {
        ByteBuffer.wrap(nonce).order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq).put(8, (byte) kind);
        return new GCMParameterSpec(TAG_BYTES * 8, nonce);
    }
}
