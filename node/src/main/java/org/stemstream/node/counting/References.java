package org.stemstream.node.counting;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.stemstream.protocol.RawFormatException;
import org.stemstream.protocol.RawScan;

/** Dark and gain references: per-pixel float32 files, or a dark reference averaged from a dark scan. */
public final class References {
    private static final long FLOAT32_BYTES = (long) FRAME_PIXELS * Float.BYTES;

    private References() {
    }

    /** The dark reference (null without one) and where it came from. */
    public record Dark(float[] values, String source) {
    }

    /** The dark reference from a file or from a dark scan's raw files (neither given: none). */
    public static Dark dark(Path file, List<Path> darkScan) throws IOException {
        if (file != null) {
            return new Dark(readFloat32(file, "dark reference"), file.toAbsolutePath().toString());
        }
        if (darkScan != null && !darkScan.isEmpty()) {
            return new Dark(darkFromScan(darkScan), "mean of dark scan " + darkScan);
        }
        return new Dark(null, null);
    }

    /** The gain from a file, or null without one. */
    public static float[] gain(Path file) throws IOException {
        return file == null ? null : readFloat32(file, "gain");
    }

    /** Reads 576 * 576 little-endian float32 values (row-major), checking the size and that every value is finite. */
    public static float[] readFloat32(Path file, String what) throws IOException {
        long size = Files.size(file);
        if (size != FLOAT32_BYTES) {
            throw new RawFormatException(what + " " + file + ": " + size + " bytes, expected " + FLOAT32_BYTES
                    + " (576 x 576 float32, little-endian)");
        }
        float[] values = new float[FRAME_PIXELS];
        ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        for (int p = 0; p < values.length; p++) {
            if (!Float.isFinite(values[p])) {
                throw RawFormatException.at(file, (long) p * Float.BYTES, what + " value " + values[p]
                        + " at pixel " + p + " is not a finite number");
            }
        }
        return values;
    }

    /** The per-pixel mean of a dark scan's complete frames. */
    public static float[] darkFromScan(List<Path> files) throws IOException {
        try (RawScan scan = RawScan.open(files)) {
            double[] sum = new double[FRAME_PIXELS];
            ByteBuffer frame = ByteBuffer.allocateDirect(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            int used = 0;
            for (int slot = 0; slot < scan.frameSlots(); slot++) {
                if (!scan.isComplete(slot)) {
                    continue;
                }
                scan.readFrame(slot, frame);
                for (int p = 0; p < FRAME_PIXELS; p++) {
                    sum[p] += frame.getShort(p << 1) & 0xFFFF;
                }
                used++;
            }
            if (used == 0) {
                throw new RawFormatException("dark scan " + files + " has no complete frame to average");
            }
            float[] dark = new float[FRAME_PIXELS];
            for (int p = 0; p < FRAME_PIXELS; p++) {
                dark[p] = (float) (sum[p] / used);
            }
            return dark;
        }
    }
}
