package org.stemstream.simulator;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;
import static org.stemstream.protocol.FrameGeometry.SECTOR_PIXELS;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Synthetic 4D Camera frames with known electrons, deterministic for a seed: any frame (or any one sector of it) can
 * be made again independently, so four emulated receivers each render only their own sector of the same frame.
 *
 * <p>Physics, as in the reference fixtures: a fixed per-pixel dark offset (~20 ADU), Gaussian read noise, electrons
 * whose charge spreads over their 3 x 3 neighbourhood (most in a central bright-field disk), and a few x-ray hits.
 * Read noise comes from a pool drawn once and read at a per-frame offset, so making a frame costs about as much as
 * copying one. A {@link Specimen} at the frame's position scatters some of the disk's electrons to high angles and
 * shifts the disk.
 */
public final class SyntheticDetector {
    /** What the generator put into a frame. */
    public interface Truth {
        void electron(long frame, double row, double col, double charge, int peakPixel, double peakCharge);

        void xray(long frame, int row, int col, int value);
    }

    public static final Truth NO_TRUTH = new Truth() {
        @Override
        public void electron(long frame, double row, double col, double charge, int peakPixel, double peakCharge) {
        }

        @Override
        public void xray(long frame, int row, int col, int value) {
        }
    };

    private static final int POOL = FRAME_PIXELS * 2 + 7919;
    private static final int MAX_ELECTRONS = 4096;
    /** Charge spread of an electron, in pixels: about a third of its charge lands on its peak pixel, as measured. */
    private static final double SPREAD = 0.7;
    /** Most electrons land in the bright-field disk of the convergent beam; the rest are scattered. */
    private static final double BRIGHT_FIELD = 0.8;
    private static final double DISK_RADIUS = 110;
    /**
     * Electrons a specimen scatters land in this annulus around the disk's centre (high angles); with the disk
     * pushed by at most {@link Specimen#MAX_SHIFT} it stays on the detector.
     */
    private static final double SCATTER_INNER = 150;
    private static final double SCATTER_OUTER = 260;

    private final long seed;
    private final double electronsPerFrame;
    private final double xraysPerFrame;
    private final short[] darkOffset = new short[FRAME_PIXELS];
    private final short[] noise = new short[POOL];

    /** One frame's hits, reused: electron centres, charges, x-rays. */
    private final double[] rows = new double[MAX_ELECTRONS];
    private final double[] cols = new double[MAX_ELECTRONS];
    private final double[] charges = new double[MAX_ELECTRONS];
    private final float[] signal = new float[FRAME_PIXELS];
    private int xrayPixel = -1;

    public SyntheticDetector(long seed, double electronsPerFrame, double xraysPerFrame) {
        this.seed = seed;
        this.electronsPerFrame = electronsPerFrame;
        this.xraysPerFrame = xraysPerFrame;
        SplittableRandom random = new SplittableRandom(seed);
        for (int p = 0; p < FRAME_PIXELS; p++) {
            darkOffset[p] = (short) Math.round(20 + 1.5 * random.nextGaussian());
        }
        for (int i = 0; i < POOL; i++) {
            noise[i] = (short) Math.round(2.0 * random.nextGaussian());
        }
    }

    /** An identical detector (same seed, same pixels) for another thread. */
    public SyntheticDetector copy() {
        return new SyntheticDetector(seed, electronsPerFrame, xraysPerFrame);
    }

    /** The reference fixtures' physics: about 40 electrons and a rare x-ray per frame. */
    public static SyntheticDetector typical(long seed) {
        return new SyntheticDetector(seed, 40, 0.05);
    }

    /** The per-pixel dark offset (the true dark reference of this detector). */
    public float[] darkReference() {
        float[] dark = new float[FRAME_PIXELS];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            dark[p] = darkOffset[p];
        }
        return dark;
    }

    /** Renders frame {@code frame} (any index, the same pixels every time) into a little-endian buffer. */
    public void frame(long frame, ByteBuffer out, Truth truth) {
        frame(frame, Specimen.Probe.NONE, out, truth);
    }

    /** Renders frame {@code frame} with the beam as the specimen leaves it at the frame's position. */
    public void frame(long frame, Specimen.Probe probe, ByteBuffer out, Truth truth) {
        render(frame, probe, 0, FRAME_PIXELS, out, 0, truth);
    }

    /** Renders only sector {@code sector} (version-5 horizontal strip) of a frame into {@code out} from index 0. */
    public void sector(long frame, int sector, ByteBuffer out, Truth truth) {
        sector(frame, sector, Specimen.Probe.NONE, out, truth);
    }

    /** Renders only sector {@code sector} of a frame, with the beam as the specimen leaves it. */
    public void sector(long frame, int sector, Specimen.Probe probe, ByteBuffer out, Truth truth) {
        render(frame, probe, sector * SECTOR_PIXELS, SECTOR_PIXELS, out, 0, truth);
    }

    private synchronized void render(long frame, Specimen.Probe probe, int from, int count, ByteBuffer out,
                                     int outPixel, Truth truth) {
        SplittableRandom random = new SplittableRandom(seed ^ (frame * 0x9E3779B97F4A7C15L));
        int electrons = hits(frame, probe, random, truth, from, count);
        int start = poolStart(frame);
        // dark and noise everywhere, then the few pixels with signal again: the same pixels as one pass over all
        int n = (start + from) % POOL;
        for (int i = 0; i < count; i++) {
            out.putShort((outPixel + i) << 1, pixel(darkOffset[from + i] + noise[n], 0));
            if (++n == POOL) {
                n = 0;
            }
        }
        for (int e = 0; e < electrons; e++) {
            int r0 = (int) Math.round(rows[e]);
            int c0 = (int) Math.round(cols[e]);
            for (int dr = -1; dr <= 1; dr++) {
                for (int dc = -1; dc <= 1; dc++) {
                    withSignal((r0 + dr) * FRAME_WIDTH + c0 + dc, start, from, count, out, outPixel);
                }
            }
        }
        if (xrayPixel >= 0) {
            withSignal(xrayPixel, start, from, count, out, outPixel);
        }
        clearSignal(electrons);
    }

    private void withSignal(int p, int start, int from, int count, ByteBuffer out, int outPixel) {
        if (p >= from && p < from + count) {
            out.putShort((outPixel + p - from) << 1, pixel(darkOffset[p] + noise[(start + p) % POOL], signal[p]));
        }
    }

    private static short pixel(int darkAndNoise, float signal) {
        return (short) Math.min(0xFFFF, Math.max(0, darkAndNoise + Math.round(signal)));
    }

    /** Draws the frame's electrons and x-rays into {@link #signal}; returns the electron count. */
    private int hits(long frame, Specimen.Probe probe, SplittableRandom random, Truth truth, int from, int count) {
        int n = Math.min(MAX_ELECTRONS, poisson(random, electronsPerFrame));
        for (int e = 0; e < n; e++) {
            double row;
            double col;
            if (random.nextDouble() < BRIGHT_FIELD) { // inside the beam disk, unless the specimen scatters it
                double r = DISK_RADIUS * Math.sqrt(random.nextDouble());
                double angle = 2 * Math.PI * random.nextDouble();
                // no draw without a specimen, so a featureless beam gives the same frames as it always did
                if (probe.scatter() > 0 && random.nextDouble() < probe.scatter()) {
                    r = Math.sqrt(SCATTER_INNER * SCATTER_INNER
                            + (SCATTER_OUTER * SCATTER_OUTER - SCATTER_INNER * SCATTER_INNER) * random.nextDouble());
                }
                row = FRAME_HEIGHT / 2.0 + probe.shiftRow() + r * Math.sin(angle);
                col = FRAME_WIDTH / 2.0 + probe.shiftCol() + r * Math.cos(angle);
            } else { // scattered anywhere
                row = 1 + random.nextDouble() * (FRAME_HEIGHT - 3);
                col = 1 + random.nextDouble() * (FRAME_WIDTH - 3);
            }
            double charge = 30 + random.nextDouble() * 80;
            rows[e] = row;
            cols[e] = col;
            charges[e] = charge;
            int peak = deposit(row, col, charge);
            if (peak >= from && peak < from + count) {
                truth.electron(frame, row, col, charge, peak, peakShare(row, col, charge, peak));
            }
        }
        if (random.nextDouble() < xraysPerFrame) {
            int row = random.nextInt(FRAME_HEIGHT);
            int col = random.nextInt(FRAME_WIDTH);
            int value = 3000 + random.nextInt(5000);
            xrayPixel = row * FRAME_WIDTH + col;
            signal[xrayPixel] += value;
            if (xrayPixel >= from && xrayPixel < from + count) {
                truth.xray(frame, row, col, value);
            }
        }
        return n;
    }

    /** Spreads an electron's charge over the 3 x 3 pixels around it (Gaussian, sigma 0.7 px); returns the peak pixel. */
    private int deposit(double row, double col, double charge) {
        int r0 = (int) Math.round(row);
        int c0 = (int) Math.round(col);
        double total = 0;
        for (int dr = -1; dr <= 1; dr++) {
            for (int dc = -1; dc <= 1; dc++) {
                total += weight(row, col, r0 + dr, c0 + dc);
            }
        }
        for (int dr = -1; dr <= 1; dr++) {
            for (int dc = -1; dc <= 1; dc++) {
                signal[(r0 + dr) * FRAME_WIDTH + c0 + dc] += (float) (charge * weight(row, col, r0 + dr, c0 + dc) / total);
            }
        }
        return r0 * FRAME_WIDTH + c0;
    }

    private double peakShare(double row, double col, double charge, int peak) {
        int r0 = peak / FRAME_WIDTH;
        int c0 = peak % FRAME_WIDTH;
        double total = 0;
        for (int dr = -1; dr <= 1; dr++) {
            for (int dc = -1; dc <= 1; dc++) {
                total += weight(row, col, r0 + dr, c0 + dc);
            }
        }
        return charge * weight(row, col, r0, c0) / total;
    }

    private static double weight(double row, double col, int r, int c) {
        double dr = r - row;
        double dc = c - col;
        return Math.exp(-(dr * dr + dc * dc) / (2 * SPREAD * SPREAD));
    }

    private void clearSignal(int electrons) {
        for (int e = 0; e < electrons; e++) {
            int r0 = (int) Math.round(rows[e]);
            int c0 = (int) Math.round(cols[e]);
            for (int dr = -1; dr <= 1; dr++) {
                for (int dc = -1; dc <= 1; dc++) {
                    signal[(r0 + dr) * FRAME_WIDTH + c0 + dc] = 0;
                }
            }
        }
        if (xrayPixel >= 0) {
            signal[xrayPixel] = 0;
            xrayPixel = -1;
        }
    }

    private int poolStart(long frame) {
        return (int) Math.floorMod(frame * 104_729L + seed, (long) POOL);
    }

    private static int poisson(SplittableRandom random, double mean) {
        if (mean <= 0) {
            return 0;
        }
        // Knuth for small means; normal approximation above, where it is accurate enough for a simulator.
        if (mean > 200) {
            return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * random.nextGaussian()));
        }
        double limit = Math.exp(-mean);
        double product = random.nextDouble();
        int k = 0;
        while (product > limit) {
            product *= random.nextDouble();
            k++;
        }
        return k;
    }
}
