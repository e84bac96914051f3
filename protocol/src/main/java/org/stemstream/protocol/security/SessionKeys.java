package org.stemstream.protocol.security;

/**
 * One session's keys, as both sides derive them ({@link SessionHandshake}).
 *
 * @param session       the session's id, named in every sealed message
 * @param sector        the only sector the session may send
 * @param macKey        HMAC-SHA256 key of authenticated messages
 * @param encryptionKey AES-256-GCM key of encrypted payloads
 * @param proof         the node's proof that it holds the producer key
 */
public record SessionKeys(long session, int sector, byte[] macKey, byte[] encryptionKey, byte[] proof) {
}
