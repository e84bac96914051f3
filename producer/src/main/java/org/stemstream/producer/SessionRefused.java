package org.stemstream.producer;

/**
 * A node would not open a producer session: it has security off, or it does not hold the producer key this producer
 * has (another deployment's). Sending cannot go on; the message is one line naming the node and why.
 */
public final class SessionRefused extends RuntimeException {
    SessionRefused(String message) {
        super(message, null, false, false);
    }
}
