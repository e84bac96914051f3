package org.stemstream.node.security;

import java.util.concurrent.ConcurrentHashMap;
import org.stemstream.protocol.security.BlockSeal;
import org.stemstream.protocol.security.ProducerKey;
import org.stemstream.protocol.security.SessionHandshake;
import org.stemstream.protocol.security.SessionKeys;

/**
 * The producers' sessions open on this node: the routing socket's thread opens them ({@link #hello}) and seals its
 * answers in them ({@link #sealAnswer}), each sector's receiver thread checks its blocks against them
 * ({@link #sealFor}). A session belongs to one sector, so its seal,
 * which is not thread-safe, is only ever used by that sector's thread.
 *
 * <p>A hello costs the node a session before the producer has proved anything, so sessions are bounded: ones idle for
 * an hour go, then ones never used after a minute, and a node that still has {@value #MAX_SESSIONS} refuses new ones.
 */
public final class ProducerSessions {
    static final int MAX_SESSIONS = 4096;
    private static final long IDLE_NANOS = 3_600_000_000_000L;
    private static final long UNUSED_NANOS = 60_000_000_000L;

    private final ProducerKey key;
    private final boolean encryptedOnly;
    private final ConcurrentHashMap<Long, Session> sessions = new ConcurrentHashMap<>();

    private static final class Session {
        final SessionKeys keys;
        final BlockSeal seal;
        final long openedNanos = System.nanoTime();
        volatile long usedNanos;

        Session(SessionKeys keys) {
            this.keys = keys;
            this.seal = new BlockSeal(keys);
        }
    }

    /** @param encryptedOnly whether only blocks with their pixels encrypted are taken */
    public ProducerSessions(ProducerKey key, boolean encryptedOnly) {
        this.key = key;
        this.encryptedOnly = encryptedOnly;
    }

    public boolean encryptedOnly() {
        return encryptedOnly;
    }

    /**
     * Opens a session for a producer's hello and returns the welcome to answer with.
     *
     * @throws IllegalArgumentException for a hello that is malformed, or when the node has too many sessions
     */
    public byte[] hello(byte[] message) {
        SessionHandshake.Hello hello = SessionHandshake.Hello.decode(message);
        if (sessions.size() >= MAX_SESSIONS) {
            expire();
            if (sessions.size() >= MAX_SESSIONS) {
                throw new IllegalArgumentException("a hello while " + MAX_SESSIONS + " sessions are open");
            }
        }
        SessionHandshake.Opened opened = SessionHandshake.open(key, hello);
        sessions.put(opened.keys().session(), new Session(opened.keys()));
        return opened.welcome().encode();
    }

    /** The seal of the session a message's seal names, or null when no session of this sector has that id. */
    public BlockSeal sealFor(int sector, byte[] seal) {
        Session session = sessions.get(BlockSeal.sessionOf(seal));
        if (session == null || session.seal.sector() != sector) {
            return null;
        }
        session.usedNanos = System.nanoTime();
        return session.seal;
    }

    /**
     * The seal of an answer to a producer's question, for the challenge it came with (the routing socket's thread);
     * null when the challenge names no session open here.
     */
    public byte[] sealAnswer(byte[] challenge, byte[][] parts) {
        if (challenge.length != BlockSeal.CHALLENGE_BYTES) {
            return null;
        }
        Session session = sessions.get(BlockSeal.sessionOf(challenge));
        return session == null ? null : BlockSeal.sealAnswer(session.keys, challenge, parts);
    }

    public int open() {
        return sessions.size();
    }

    private void expire() {
        long now = System.nanoTime();
        sessions.values().removeIf(s -> s.usedNanos == 0 ? now - s.openedNanos > UNUSED_NANOS
                : now - s.usedNanos > IDLE_NANOS);
    }
}
