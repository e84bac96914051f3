package org.stemstream.producer;

import org.stemstream.protocol.security.ProducerKey;

/**
 * How a sector's producer sends.
 *
 * @param host              a node (its routing socket tells where each frame goes), or with {@code direct} the one
 *                          receiver that takes everything
 * @param sendHighWaterMark blocks ZeroMQ queues per node before a send waits
 * @param sendTimeoutMillis how long a block may wait in all to be taken by a node, every try and routing fetch
 *                          included (and so the first routing table, and the ends of scan); past it the producer
 *                          gives up with {@link NodesUnreachable}. -1: for ever (a block no node takes after some
 *                          tries counts as undeliverable; the first routing table may take 15 s)
 * @param lingerMillis      how long closing waits for blocks still queued
 * @param retentionBytes    the most block bytes kept until the cluster has stored their frames (a full retention
 *                          makes sending wait); 0 keeps nothing, and a node lost then loses its frames
 * @param ackTimeoutMillis  after the last block, how long to wait for the cluster to store every kept frame before
 *                          the ends of scan go out regardless
 * @param producerKey       the deployment's producer key: every message goes in a session opened with it, sealed;
 *                          null for nodes with security off
 * @param encrypt           whether sealed payloads are also encrypted (across networks others can read)
 */
public record SenderSettings(String host, int port, boolean direct, int sendHighWaterMark, int sendTimeoutMillis,
                             int lingerMillis, long retentionBytes, int ackTimeoutMillis, ProducerKey producerKey,
                             boolean encrypt) {
    public static final long DEFAULT_RETENTION_BYTES = 256L << 20;

    /** Settings for nodes with security off. */
    public SenderSettings(String host, int port, boolean direct, int sendHighWaterMark, int sendTimeoutMillis,
                          int lingerMillis, long retentionBytes, int ackTimeoutMillis) {
        this(host, port, direct, sendHighWaterMark, sendTimeoutMillis, lingerMillis, retentionBytes, ackTimeoutMillis,
                null, false);
    }

    public SenderSettings {
        if (retentionBytes < 0) {
            throw new IllegalArgumentException("retention of " + retentionBytes + " bytes");
        }
        if (encrypt && producerKey == null) {
            throw new IllegalArgumentException("encryption needs the producer key");
        }
    }

    /** Whether blocks are kept for replay: not without a routing table (nothing could say they are stored). */
    public boolean retains() {
        return retentionBytes > 0 && !direct;
    }
}
