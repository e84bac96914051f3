package org.stemstream.node.ingest;

import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.EndOfScan;

/** What a sector's receiver hands to the stream: a well-formed block, or a producer's end of scan. */
public sealed interface SectorMessage extends IngestInput {
    int sector();

    /** One sector of one frame; {@code payload} is a pooled buffer of {@code SECTOR_BYTES}. */
    record Block(int sector, BlockHeader header, byte[] payload) implements SectorMessage {
    }

    record End(int sector, EndOfScan end) implements SectorMessage {
    }
}
