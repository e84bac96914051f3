package org.stemstream.node.counting;

import static org.stemstream.protocol.FrameGeometry.FRAME_HEIGHT;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;
import static org.stemstream.protocol.FrameGeometry.FRAME_WIDTH;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.imageio.ImageIO;

/**
 * The pictures a microscopist looks at first, accumulated while counting: the scan's virtual images (bright field,
 * annular dark field, centre of mass; see {@link VirtualImages}) and electrons per detector pixel summed over the
 * scan (the mean diffraction pattern).
 */
public final class ScanImages implements FrameListener {
    private final int scanWidth;
    private final int scanHeight;
    /** Positions a side of a live picture's panels at most: 4 panels of 192 x 192 bytes stay under 150 kB. */
    private static final int LIVE_SIDE = 192;

    private final VirtualImages virtual;
    private final AtomicLongArray perPixel = new AtomicLongArray(FRAME_PIXELS);

    public ScanImages(int scanWidth, int scanHeight, int framesPerPosition) {
        this.scanWidth = scanWidth;
        this.scanHeight = scanHeight;
        this.virtual = new VirtualImages(scanWidth * scanHeight, framesPerPosition);
    }

    @Override
    public void counted(int slot, long frameNumber, int[] events, int count) {
        virtual.add(slot, events, count);
        for (int i = 0; i < count; i++) {
            perPixel.incrementAndGet(events[i]);
        }
    }

    /** Takes back a frame's events (a frame that left its slot). */
    public void removed(int slot, int[] events, int count) {
        virtual.remove(slot, events, count);
        for (int i = 0; i < count; i++) {
            perPixel.decrementAndGet(events[i]);
        }
    }

    public VirtualImages virtual() {
        return virtual;
    }

    /** The scan picture beside a counted file: {@code <name>_scan.png} for {@code <name>.h5}. */
    public static Path scanPicture(Path countedFile) {
        return Path.of(countedFile.toString().replaceFirst("\\.h5$", "") + "_scan.png");
    }

    /** The summed pattern's picture beside a counted file: {@code <name>_diffraction.png}. */
    public static Path patternPicture(Path countedFile) {
        return Path.of(countedFile.toString().replaceFirst("\\.h5$", "") + "_diffraction.png");
    }

    /**
     * Writes the scan picture (bright field, annular dark field, centre of mass x and y, side by side) and the
     * pattern's beside {@code countedFile} ({@link #scanPicture}, {@link #patternPicture}); returns the two paths.
     */
    public Path[] writePngs(Path countedFile) throws IOException {
        Path scan = scanPicture(countedFile);
        Path diffraction = patternPicture(countedFile);
        ImageIO.write(panels(virtual.radii(), Math.max(1, 256 / Math.max(scanWidth, scanHeight)), 4, 1), "png",
                scan.toFile());
        ImageIO.write(diffraction(1), "png", diffraction.toFile());
        return new Path[] {scan, diffraction};
    }

    /**
     * The scan picture with the given radii, one pixel a position (positions averaged in blocks beyond
     * {@value #LIVE_SIDE} a side), as PNG bytes: small enough to travel between nodes in one message, well under
     * Artery's 256 KiB (a browser scales it up).
     */
    public byte[] livePng(VirtualImages.Radii radii) throws IOException {
        int bin = (Math.max(scanWidth, scanHeight) + LIVE_SIDE - 1) / LIVE_SIDE;
        return png(panels(radii, 1, 1, bin));
    }

    /** The summed diffraction pattern so far, binned 2 x 2 (288 x 288), as PNG bytes. */
    public byte[] livePatternPng() throws IOException {
        return png(diffraction(2));
    }

    private static byte[] png(BufferedImage image) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** The summed pattern, {@code bin} x {@code bin} detector pixels to one. */
    private BufferedImage diffraction(int bin) {
        int width = FRAME_WIDTH / bin;
        int height = FRAME_HEIGHT / bin;
        double[] pattern = new double[width * height];
        for (int i = 0; i < FRAME_PIXELS; i++) {
            pattern[(i / FRAME_WIDTH / bin) * width + (i % FRAME_WIDTH) / bin] += perPixel.get(i);
        }
        return grey(pattern, width, height, 1);
    }

    /**
     * The four virtual images side by side, {@code bin} x {@code bin} positions averaged into one, each drawn
     * {@code zoom} x {@code zoom}, {@code gap} px between them.
     */
    private BufferedImage panels(VirtualImages.Radii radii, int zoom, int gap, int bin) {
        int width = (scanWidth + bin - 1) / bin;
        int height = (scanHeight + bin - 1) / bin;
        List<BufferedImage> images = List.of(
                grey(binned(virtual.brightField(radii), bin), width, height, zoom),
                grey(binned(virtual.annularDarkField(radii), bin), width, height, zoom),
                grey(binned(virtual.centreOfMassX(), bin), width, height, zoom),
                grey(binned(virtual.centreOfMassY(), bin), width, height, zoom));
        int w = width * zoom;
        BufferedImage out = new BufferedImage(images.size() * (w + gap) - gap, height * zoom,
                BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < images.size(); i++) {
            out.getRaster().setRect(i * (w + gap), 0, images.get(i).getRaster());
        }
        return out;
    }

    /** The scan image with {@code bin} x {@code bin} positions averaged into one (edge blocks over what they hold). */
    private double[] binned(double[] image, int bin) {
        if (bin == 1) {
            return image;
        }
        int width = (scanWidth + bin - 1) / bin;
        int height = (scanHeight + bin - 1) / bin;
        double[] sums = new double[width * height];
        int[] counts = new int[width * height];
        for (int y = 0; y < scanHeight; y++) {
            for (int x = 0; x < scanWidth; x++) {
                int b = (y / bin) * width + x / bin;
                sums[b] += image[y * scanWidth + x];
                counts[b]++;
            }
        }
        for (int b = 0; b < sums.length; b++) {
            sums[b] /= counts[b];
        }
        return sums;
    }

    /**
     * A grey image, each value drawn as a zoom x zoom square, scaled from the 0.1th to the 99.9th percentile so that
     * a few hot pixels do not turn the rest black.
     */
    static BufferedImage grey(double[] values, int width, int height, int zoom) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        double min = sorted[(int) Math.floor(0.001 * (sorted.length - 1))];
        double max = sorted[(int) Math.floor(0.999 * (sorted.length - 1))];
        double range = max > min ? max - min : 1;
        BufferedImage image = new BufferedImage(width * zoom, height * zoom, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < height * zoom; y++) {
            for (int x = 0; x < width * zoom; x++) {
                double value = Math.max(min, Math.min(max, values[(y / zoom) * width + x / zoom]));
                image.getRaster().setSample(x, y, 0, (int) Math.round(255 * (value - min) / range));
            }
        }
        return image;
    }
}
