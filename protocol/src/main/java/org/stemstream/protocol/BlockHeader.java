package org.stemstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 16-byte little-endian header in front of every sector: scan number, frame number, scan size and probe position.
 * Unsigned 32-bit fields are held in {@code long}s so that values above 2^31 keep their meaning.
 */
public record BlockHeader(long scanNumber, long frameNumber, int scanWidth, int scanHeight, int x, int y) {
    public static final int BYTES = 16;

    public BlockHeader {
        if (scanNumber < 0 || scanNumber > 0xFFFF_FFFFL || frameNumber < 0 || frameNumber > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("scan and frame numbers are unsigned 32-bit values");
        }
        checkU16("scan width", scanWidth);
        checkU16("scan height", scanHeight);
        checkU16("x", x);
        checkU16("y", y);
    }

    /** Reads a header at the buffer's position (which advances by 16), whatever the buffer's byte order. */
    public static BlockHeader read(ByteBuffer buffer) {
        ByteBuffer b = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(buffer.position() + BYTES);
        return new BlockHeader(
                Integer.toUnsignedLong(b.getInt(0)), Integer.toUnsignedLong(b.getInt(4)),
                Short.toUnsignedInt(b.getShort(8)), Short.toUnsignedInt(b.getShort(10)),
                Short.toUnsignedInt(b.getShort(12)), Short.toUnsignedInt(b.getShort(14)));
    }

    /** Writes the header at the buffer's position (which advances by 16). */
    public void write(ByteBuffer buffer) {
        ByteOrder order = buffer.order();
        buffer.order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) scanNumber).putInt((int) frameNumber)
                .putShort((short) scanWidth).putShort((short) scanHeight)
                .putShort((short) x).putShort((short) y)
                .order(order);
    }

    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        write(b);
        return b.array();
    }

    /** The probe position's index in the row-major scan: {@code y * width + x}. */
    public int position() {
        return y * scanWidth + x;
    }

    /** Why this header cannot belong to a scan of the given size, or null when it can. */
    public String checkWithin(int width, int height) {
        if (scanWidth != width || scanHeight != height) {
            return "scan size " + scanWidth + "x" + scanHeight + " disagrees with " + width + "x" + height;
        }
        if (x >= width || y >= height) {
            return "probe position (" + x + ", " + y + ") is outside the " + width + "x" + height + " scan";
        }
        return null;
    }

    private static void checkU16(String name, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(name + " is an unsigned 16-bit value, got " + value);
        }
    }
}
