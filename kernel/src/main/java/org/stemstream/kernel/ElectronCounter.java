package org.stemstream.kernel;

import static org.stemstream.kernel.CountingPlan.HIGH;
import static org.stemstream.kernel.CountingPlan.LOW15;
import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;
import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTOR_PIXELS;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Finds the electron events of one frame with stempy's semantics: after dark, gain and thresholds, a pixel is an event
 * when it is non-zero and strictly greater than each of its (up to 8) in-frame neighbours. Events come out as flat
 * indices {@code row * 576 + col}, ascending.
 *
 * <p>A frame is either one heap buffer, or the four horizontal sector strips as they arrived from the detector
 * (counted in place, no assembly copy; a missing sector counts as zeros). The scan reads the arrays through a
 * {@code long} view, which the JIT compiles to plain loads. One instance per thread; it allocates nothing per frame.
 */
public final class ElectronCounter {
    /** No frame can hold more events than this: two events are never neighbours. */
    public static final int MAX_EVENTS = FRAME_PIXELS / 2;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final byte[] ZERO_SECTOR = new byte[SECTOR_BYTES];
    /** Bytes scanned per step: four words of four pixels each. */
    private static final int STEP = 32;

    private final CountingPlan plan;
    /** The frame being counted, as strips of {@link #stripPixels} pixels each; reused. */
    private final byte[][] strips = new byte[SECTORS][];
    private final int[] offsets = new int[SECTORS];
    private int stripPixels;

    public ElectronCounter(CountingPlan plan) {
        this.plan = plan;
    }

    public CountingPlan plan() {
        return plan;
    }

    /**
     * Counts a frame held in one buffer.
     *
     * @param frame  a little-endian heap buffer of 576 x 576 uint16 pixels from index 0
     * @param events receives the event indices; at least {@link #MAX_EVENTS} long
     * @return how many events were written
     */
    public int count(ByteBuffer frame, int[] events) {
        if (!frame.hasArray() || frame.order() != ByteOrder.LITTLE_ENDIAN || frame.capacity() < FRAME_BYTES) {
            throw new IllegalArgumentException("a frame is a little-endian heap buffer of " + FRAME_BYTES + " bytes");
        }
        strips[0] = frame.array();
        offsets[0] = frame.arrayOffset();
        stripPixels = FRAME_PIXELS;
        return countStrips(1, events);
    }

    /**
     * Counts a frame held as its four sectors (header version 5: sector s is rows 144 s .. 144 s + 143).
     *
     * @param sectors four arrays of {@link org.stemstream.protocol.FrameGeometry#SECTOR_BYTES} little-endian pixels,
     *                null where a sector is missing (counted as zeros, as a zero-filled frame would be)
     */
    public int count(byte[][] sectors, int[] events) {
        for (int s = 0; s < SECTORS; s++) {
            byte[] sector = sectors[s] == null ? ZERO_SECTOR : sectors[s];
            if (sector.length < SECTOR_BYTES) {
                throw new IllegalArgumentException("sector " + s + " holds " + sector.length + " bytes, not "
                        + SECTOR_BYTES);
            }
            strips[s] = sector;
            offsets[s] = 0;
        }
        stripPixels = SECTOR_PIXELS;
        return countStrips(SECTORS, events);
    }

    private int countStrips(int count, int[] events) {
        long[] bias = plan.laneBias();
        int n = 0;
        try {
            if (bias == null) {
                return countEveryPixel(events);
            }
            for (int s = 0; s < count; s++) {
                int firstPixel = s * stripPixels;
                n = plan.uniformBias()
                        ? scan(strips[s], offsets[s], firstPixel, bias[0], events, n)
                        : scan(strips[s], offsets[s], firstPixel, bias, events, n);
            }
            return n;
        } finally {
            java.util.Arrays.fill(strips, null); // hold no reference to a pooled buffer between frames
        }
    }

    /** Every pixel has the same raw ceiling (no dark): one constant, nothing streamed but the frame. */
    private int scan(byte[] pixels, int offset, int firstPixel, long bias, int[] events, int n) {
        int end = offset + stripPixels * 2;
        for (int at = offset; at < end; at += STEP) {
            long a = (long) LONGS.get(pixels, at);
            long b = (long) LONGS.get(pixels, at + 8);
            long c = (long) LONGS.get(pixels, at + 16);
            long d = (long) LONGS.get(pixels, at + 24);
            long ma = ((a & LOW15) + bias | a) & HIGH;
            long mb = ((b & LOW15) + bias | b) & HIGH;
            long mc = ((c & LOW15) + bias | c) & HIGH;
            long md = ((d & LOW15) + bias | d) & HIGH;
            if ((ma | mb | mc | md) != 0) {
                int p = firstPixel + ((at - offset) >> 1);
                n = examine(ma, p, events, n);
                n = examine(mb, p + 4, events, n);
                n = examine(mc, p + 8, events, n);
                n = examine(md, p + 12, events, n);
            }
        }
        return n;
    }

    /** A raw ceiling per pixel (a dark reference), four lanes per word of {@code bias}. */
    private int scan(byte[] pixels, int offset, int firstPixel, long[] bias, int[] events, int n) {
        int firstWord = firstPixel >> 2;
        int words = stripPixels >> 2;
        for (int w = 0; w < words; w += 4) {
            int at = offset + (w << 3);
            int word = firstWord + w;
            long a = (long) LONGS.get(pixels, at);
            long b = (long) LONGS.get(pixels, at + 8);
            long c = (long) LONGS.get(pixels, at + 16);
            long d = (long) LONGS.get(pixels, at + 24);
            long ma = ((a & LOW15) + bias[word] | a) & HIGH;
            long mb = ((b & LOW15) + bias[word + 1] | b) & HIGH;
            long mc = ((c & LOW15) + bias[word + 2] | c) & HIGH;
            long md = ((d & LOW15) + bias[word + 3] | d) & HIGH;
            if ((ma | mb | mc | md) != 0) {
                int p = word << 2;
                n = examine(ma, p, events, n);
                n = examine(mb, p + 4, events, n);
                n = examine(mc, p + 8, events, n);
                n = examine(md, p + 12, events, n);
            }
        }
        return n;
    }

    /** Tests exactly the pixels of one word whose lane bit (bit 15 of each 16) the scan set, in ascending order. */
    private int examine(long laneBits, int firstPixel, int[] events, int n) {
        long bits = laneBits;
        while (bits != 0) {
            int p = firstPixel + (Long.numberOfTrailingZeros(bits) >> 4);
            if (isEvent(p)) {
                events[n++] = p;
            }
            bits &= bits - 1;
        }
        return n;
    }

    private int countEveryPixel(int[] events) {
        int n = 0;
        for (int p = 0; p < FRAME_PIXELS; p++) {
            if (isEvent(p)) {
                events[n++] = p;
            }
        }
        return n;
    }

    private boolean isEvent(int p) {
        double v = plan.thresholded(p, raw(p));
        if (v == 0.0) {
            return false;
        }
        int row = p / FRAME_WIDTH;
        int col = p - row * FRAME_WIDTH;
        int rowFrom = row > 0 ? -1 : 0;
        int rowTo = row < FRAME_HEIGHT - 1 ? 1 : 0;
        int colFrom = col > 0 ? -1 : 0;
        int colTo = col < FRAME_WIDTH - 1 ? 1 : 0;
        for (int dr = rowFrom; dr <= rowTo; dr++) {
            for (int dc = colFrom; dc <= colTo; dc++) {
                int q = p + dr * FRAME_WIDTH + dc;
                if (q != p && !(v > plan.thresholded(q, raw(q)))) {
                    return false;
                }
            }
        }
        return true;
    }

    private int raw(int p) {
        int strip = stripPixels == FRAME_PIXELS ? 0 : p / SECTOR_PIXELS;
        int at = offsets[strip] + ((p - strip * stripPixels) << 1);
        byte[] pixels = strips[strip];
        return (pixels[at] & 0xFF) | (pixels[at + 1] & 0xFF) << 8;
    }
}
