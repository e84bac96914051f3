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

    /**
     * Writes {@code <prefix>_scan.png} (bright field, annular dark field, centre of mass x and y, side by side) and
     * {@code <prefix>_diffraction.png}; returns the two paths.
     */
    public Path[] writePngs(Path prefix) throws IOException {
        Path scan = Path.of(prefix + "_scan.png");
        Path diffraction = Path.of(prefix + "_diffraction.png");
        ImageIO.write(panels(virtual.radii()), "png", scan.toFile());
        ImageIO.write(diffraction(), "png", diffraction.toFile());
        return new Path[] {scan, diffraction};
    }

    /** The scan picture with the given radii and the diffraction picture so far, as PNG bytes. */
    public byte[][] pngs(VirtualImages.Radii radii) throws IOException {
        return new byte[][] {png(panels(radii)), png(diffraction())};
    }

    private static byte[] png(BufferedImage image) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private BufferedImage diffraction() {
        long[] pattern = new long[FRAME_PIXELS];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = perPixel.get(i);
        }
        return grey(toDouble(pattern), FRAME_WIDTH, FRAME_HEIGHT, 1);
    }

    /** The four virtual images side by side, 4 px of black between them. */
    private BufferedImage panels(VirtualImages.Radii radii) {
        int zoom = Math.max(1, 256 / Math.max(scanWidth, scanHeight));
        List<BufferedImage> images = List.of(grey(virtual.brightField(radii), scanWidth, scanHeight, zoom),
                grey(virtual.annularDarkField(radii), scanWidth, scanHeight, zoom),
                grey(virtual.centreOfMassX(), scanWidth, scanHeight, zoom),
                grey(virtual.centreOfMassY(), scanWidth, scanHeight, zoom));
        int gap = 4;
        int w = scanWidth * zoom;
        BufferedImage out = new BufferedImage(images.size() * (w + gap) - gap, scanHeight * zoom,
                BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < images.size(); i++) {
            out.getRaster().setRect(i * (w + gap), 0, images.get(i).getRaster());
        }
        return out;
    }

    private static double[] toDouble(long[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
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
