package org.stemstream.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The one-part message a detector producer sends after the last block of a scan: which scan, which sector, and how
 * many blocks it sent, so the receiver can tell lost blocks from a producer that is merely slow.
 *
 * <pre>
 * bytes 0-7   "STEMEND1"
 * bytes 8-11  scan number (uint32, little-endian)
 * bytes 12-15 sector (uint32)
 * bytes 16-23 blocks sent (uint64)
 * </pre>
 */
public record EndOfScan(long scanNumber, int sector, long blocksSent) {
    public static final int BYTES = 24;
    private static final byte[] MAGIC = "STEMEND1".getBytes(StandardCharsets.US_ASCII);

    public EndOfScan {
        if (scanNumber < 0 || scanNumber > 0xFFFF_FFFFL || sector < 0 || blocksSent < 0) {
            throw new IllegalArgumentException("end-of-scan: scan " + scanNumber + ", sector " + sector + ", blocks "
                    + blocksSent);
        }
    }

    public byte[] toBytes() {
        return ByteBuffer.allocate(BYTES).order(ByteOrder.LITTLE_ENDIAN).put(MAGIC).putInt((int) scanNumber)
                .putInt(sector).putLong(blocksSent).array();
    }

    /** Parses a one-part message; throws with the reason when it is not an end-of-scan. */
    public static EndOfScan parse(byte[] bytes, int length) {
        if (length != BYTES) {
            throw new IllegalArgumentException("a one-part message of " + length + " bytes is not an end-of-scan ("
                    + BYTES + " bytes)");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException("a one-part message without the STEMEND1 mark");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        long scan = Integer.toUnsignedLong(b.getInt(8));
        int sector = b.getInt(12);
        long blocks = b.getLong(16);
        if (sector < 0 || sector >= FrameGeometry.SECTORS || blocks < 0) {
            throw new IllegalArgumentException("end-of-scan with sector " + sector + " and " + blocks + " blocks");
        }
        return new EndOfScan(scan, sector, blocks);
    }
}
