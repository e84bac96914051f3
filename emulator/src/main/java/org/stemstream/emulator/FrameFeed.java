package org.stemstream.emulator;

import java.io.IOException;
import org.stemstream.protocol.BlockHeader;

/** The frames an emulated detector sends, in order, and each sector's view of them. */
public interface FrameFeed {
    long scanNumber();

    /** How many frames are sent. */
    int frames();

    /** A reader for one sector's producer thread (readers are not shared between threads). */
    SectorReader reader(int sector) throws IOException;

    interface SectorReader extends AutoCloseable {
        BlockHeader header(int index);

        /**
         * The sector's payload of frame {@code index}: an array the caller may hand to ZeroMQ and never touch
         * again (it may be shared, read-only); null when the sector does not exist.
         */
        byte[] payload(int index) throws IOException;

        @Override
        default void close() throws IOException {
        }
    }
}
