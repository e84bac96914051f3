package org.stemstream.protocol;

/** The fixed geometry of the NCEM 4D Camera: 576 x 576 pixels of uint16, read out as 4 sectors. */
public final class FrameGeometry {
    public static final int FRAME_WIDTH = 576;
    public static final int FRAME_HEIGHT = 576;
    public static final int FRAME_PIXELS = FRAME_WIDTH * FRAME_HEIGHT;
    public static final int FRAME_BYTES = FRAME_PIXELS * Short.BYTES;
    public static final int SECTORS = 4;
    public static final int SECTOR_PIXELS = FRAME_PIXELS / SECTORS;
    public static final int SECTOR_BYTES = SECTOR_PIXELS * Short.BYTES;
    public static final int BLOCK_BYTES = BlockHeader.BYTES + SECTOR_BYTES;
    /** A frame whose four sectors all arrived. */
    public static final int ALL_SECTORS = (1 << SECTORS) - 1;

    private FrameGeometry() {
    }
}
