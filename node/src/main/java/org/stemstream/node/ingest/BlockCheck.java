package org.stemstream.node.ingest;

import org.stemstream.protocol.BlockHeader;

/** Whether a well-formed block belongs to a scan this node is counting; the rejection says why not. */
@FunctionalInterface
public interface BlockCheck {
    /** Null when the block is welcome. */
    Rejection check(BlockHeader header);

    /** A rejected message: a short kind to count it under, and the detail to log. */
    record Rejection(String kind, String detail) {
    }
}
