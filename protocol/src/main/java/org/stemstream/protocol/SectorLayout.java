package org.stemstream.protocol;

import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.nio.ByteBuffer;

/** Where a sector's pixels lie in the frame, by header version of the 4D Camera raw format. */
public enum SectorLayout {
    /** Version 3: one block holds the whole frame. */
    FULL_FRAME(3),
    /** Version 4: sector s is the vertical strip of columns 144*s .. 144*s+143. */
    VERTICAL_STRIPS(4),
    /** Version 5 (current): sector s is the horizontal strip of rows 144*s .. 144*s+143. */
    HORIZONTAL_STRIPS(5);

    private static final int STRIP = FRAME_WIDTH / FrameGeometry.SECTORS;

    private final int version;

    SectorLayout(int version) {
        this.version = version;
    }

    public int version() {
        return version;
    }

    /** Sectors per frame: 1 for full-frame blocks, else 4. */
    public int sectors() {
        return this == FULL_FRAME ? 1 : FrameGeometry.SECTORS;
    }

    /** Bytes of one block: the header and the pixels of one sector (or of the whole frame). */
    public int blockBytes() {
        return BlockHeader.BYTES + FrameGeometry.FRAME_BYTES / sectors();
    }

    public static SectorLayout ofVersion(int version) {
        for (SectorLayout layout : values()) {
            if (layout.version == version) {
                return layout;
            }
        }
        throw new IllegalArgumentException("unknown 4D Camera header version " + version + " (known: 3, 4, 5)");
    }

    /**
     * Copies one sector's payload ({@code SECTOR_BYTES} from {@code source}'s position, which is not moved) into its
     * place in {@code frame} (absolute indices, little-endian uint16 pixels).
     */
    public void place(ByteBuffer source, int sector, ByteBuffer frame) {
        int from = source.position();
        switch (this) {
            case FULL_FRAME -> frame.put(0, source, from, FrameGeometry.FRAME_BYTES);
            case HORIZONTAL_STRIPS -> frame.put(sector * SECTOR_BYTES, source, from, SECTOR_BYTES);
            case VERTICAL_STRIPS -> {
                int rowBytes = STRIP * Short.BYTES;
                for (int row = 0; row < FrameGeometry.FRAME_HEIGHT; row++) {
                    frame.put((row * FRAME_WIDTH + sector * STRIP) * Short.BYTES, source, from + row * rowBytes, rowBytes);
                }
            }
        }
    }

    /** Zero-fills the pixels of a sector that never arrived. */
    public void clear(int sector, ByteBuffer frame) {
        switch (this) {
            case FULL_FRAME -> fill(frame, 0, FrameGeometry.FRAME_BYTES);
            case HORIZONTAL_STRIPS -> fill(frame, sector * SECTOR_BYTES, SECTOR_BYTES);
            case VERTICAL_STRIPS -> {
                for (int row = 0; row < FrameGeometry.FRAME_HEIGHT; row++) {
                    fill(frame, (row * FRAME_WIDTH + sector * STRIP) * Short.BYTES, STRIP * Short.BYTES);
                }
            }
        }
    }

    private static void fill(ByteBuffer frame, int from, int length) {
        int end = from + length;
        int i = from;
        for (; i + Long.BYTES <= end; i += Long.BYTES) {
            frame.putLong(i, 0L);
        }
        for (; i < end; i++) {
            frame.put(i, (byte) 0);
        }
    }
}
