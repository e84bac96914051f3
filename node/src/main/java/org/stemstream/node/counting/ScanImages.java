package org.stemstream.node.counting;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.imageio.ImageIO;

/**
 * The two pictures a microscopist looks at first, accumulated while counting: electrons per probe position (a
 * virtual detector image of the scan) and electrons per detector pixel summed over the scan (the mean diffraction
 * pattern).
 */
public final class ScanImages implements FrameListener {
    private final int scanWidth;
    private final int scanHeight;
    private final int framesPerPosition;
    private final AtomicLongArray perPosition;
    private final AtomicLongArray perPixel = new AtomicLongArray(FRAME_PIXELS);

    public ScanImages(int scanWidth, int scanHeight, int framesPerPosition) {
        this.scanWidth = scanWidth;
        this.scanHeight = scanHeight;
        this.framesPerPosition = framesPerPosition;
        this.perPosition = new AtomicLongArray(scanWidth * scanHeight);
    }

    @Override
    public void counted(int slot, long frameNumber, int[] events, int count) {
        perPosition.addAndGet(slot / framesPerPosition, count);
        for (int i = 0; i < count; i++) {
            perPixel.incrementAndGet(events[i]);
        }
    }

    /** Takes back a frame's events (a frame that left its slot). */
    public void removed(int slot, int[] events, int count) {
        perPosition.addAndGet(slot / framesPerPosition, -count);
        for (int i = 0; i < count; i++) {
            perPixel.decrementAndGet(events[i]);
        }
    }

    /** Writes {@code <prefix>_scan.png} and {@code <prefix>_diffraction.png}; returns the two paths. */
    public Path[] writePngs(Path prefix) throws IOException {
        Path scan = Path.of(prefix + "_scan.png");
        Path diffraction = Path.of(prefix + "_diffraction.png");
        ImageIO.write(grey(perPosition, scanWidth, scanHeight, Math.max(1, 512 / Math.max(scanWidth, scanHeight))),
                "png", scan.toFile());
        ImageIO.write(grey(perPixel, FRAME_WIDTH, FRAME_HEIGHT, 1), "png", diffraction.toFile());
        return new Path[] {scan, diffraction};
    }

    /**
     * A grey image, each value drawn as a zoom x zoom square, scaled from the smallest value to the 99.9th percentile
     * so that a few hot pixels do not turn the rest black.
     */
    private static BufferedImage grey(AtomicLongArray values, int width, int height, int zoom) {
        long[] sorted = new long[values.length()];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = values.get(i);
        }
        java.util.Arrays.sort(sorted);
        long min = sorted[0];
        long max = sorted[(int) Math.floor(0.999 * (sorted.length - 1))];
        double range = Math.max(1, max - min);
        BufferedImage image = new BufferedImage(width * zoom, height * zoom, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height * zoom; y++) {
            for (int x = 0; x < width * zoom; x++) {
                long value = Math.min(max, values.get((y / zoom) * width + x / zoom));
                int v = (int) Math.round(255 * (value - min) / range);
                image.getRaster().setSample(x, y, 0, v);
            }
        }
        return image;
    }
}
