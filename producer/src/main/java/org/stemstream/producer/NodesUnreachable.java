package org.stemstream.producer;

/**
 * A producer gave up: no node took its blocks (or gave it a routing table) within the send timeout. The message is
 * one line that says which sector, what it could not reach, and how many of its blocks were sent.
 */
public final class NodesUnreachable extends Exception {
    NodesUnreachable(String message) {
        super(message, null, false, false);
    }
}
