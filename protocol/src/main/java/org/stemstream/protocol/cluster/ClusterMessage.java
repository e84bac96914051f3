package org.stemstream.protocol.cluster;

/** Every message that crosses between nodes or from the CLI: serialized by {@link KryoSerializer}. */
public interface ClusterMessage {
}
